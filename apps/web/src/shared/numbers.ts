// Number formatting of the pages, on the server and in the browser alike: pure functions, no DOM, no Node.

const counts = new Intl.NumberFormat('en-US');

/** 1,234,567: counts of rows, as every page writes them (the same on the server and in the browser). */
export function formatCount(n: number): string {
  return counts.format(n);
}

/** "1 row", "2 rows", "1,200 rows". */
export function countOf(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** 512 bytes, 1.5 KB, 20 MB: sizes of files. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Number.isInteger(n) ? n : n.toFixed(1)} ${units[i]}`;
}
