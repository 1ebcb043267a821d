// The CSV path on the same data, for comparison within one run: scan + readBatches of every chunk.
//   node bench/csv-baseline.mjs FILE.csv
import { readBatches, scanFile } from '../../csv/dist/index.js';
const [file] = process.argv.slice(2);
let peak = 0;
const timer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
const t0 = performance.now();
const layout = await scanFile(file, { chunkRows: 100000 });
const t1 = performance.now();
const targets = [{ name: 'x', type: 'float32', columns: layout.header.map((_, i) => i).slice(1) }];
let rows = 0;
for (const c of layout.chunks) {
  for await (const b of readBatches(file, {
    start: c.start,
    end: c.end,
    firstRow: c.firstRow,
    header: layout.header,
    targets,
    batchSize: 8192,
  }))
    rows += b.count;
}
clearInterval(timer);
console.log(
  `csv: scan ${((t1 - t0) / 1000).toFixed(2)} s, read ${rows} rows ${((performance.now() - t1) / 1000).toFixed(2)} s, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`,
);
