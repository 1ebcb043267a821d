// The CSV path on the same data, for comparison within one run: scan + readBatches of every chunk.
//   node bench/csv-baseline.mjs FILE.csv
import { readBatches, scanFile } from '../../csv/dist/index.js';
import { startMeasure } from './measure.mjs';
const [file] = process.argv.slice(2);
const measure = startMeasure();
const layout = await scanFile(file, { chunkRows: 100000 });
const scanSeconds = measure.seconds();
const t1 = performance.now();
const targets = [{ name: 'x', type: 'float32', columns: layout.header.map((_, i) => i).slice(1) }];
let rows = 0;
for (const c of layout.chunks) {
  for await (const b of readBatches(file, { ...c, header: layout.header, targets, batchSize: 8192 })) rows += b.count;
}
measure.stop();
console.log(
  `csv: scan ${scanSeconds} s, read ${rows} rows ${((performance.now() - t1) / 1000).toFixed(2)} s, peak RSS ${measure.peakMiB()} MiB`,
);
