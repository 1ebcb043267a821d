// Transcodes an .xlsx to CSV with the package (built dist/); prints time, peak RSS and the summary.
//   node bench/xlsx-to-csv.mjs FILE.xlsx OUT.csv [SHEET]
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { xlsxToCsv } from '../dist/index.js';
const [file, out, sheet] = process.argv.slice(2);
let peak = 0;
const timer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
const t0 = performance.now();
const { stream, summary } = xlsxToCsv(file, { sheet });
await pipeline(stream, createWriteStream(out));
const s = await summary;
clearInterval(timer);
console.log(
  `xlsxToCsv: ${s.rows} rows, ${s.bytes} bytes, ${((performance.now() - t0) / 1000).toFixed(2)} s, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`,
);
console.log({ ...s, header: s.header.slice(0, 4), columnKinds: s.columnKinds.slice(0, 4), columnTypes: s.columnTypes.slice(0, 4) });
