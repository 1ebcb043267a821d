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

/**
 * 512 bytes, 1.5 KiB, 20 MiB: sizes of files, in the binary units the README, the server's refusals and the
 * limits (MAX_UPLOAD_BYTES: 1 GiB) are given in. The page said "Up to 1 GB" and "more than the 97.7 KB this
 * server accepts" while the server refused the same file as "larger than the 97.7 KiB".
 */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Number.isInteger(n) ? n : n.toFixed(1)} ${units[i]}`;
}
