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

// Sizes (formatBytes) come from @batchcast/bytes, on the server and in the browser alike.
