// Reads every chunk of a Parquet file into float32 batches (30 feature columns), as the worker would;
// prints time and peak RSS. node bench/parquet-read.mjs FILE [CHUNK_ROWS]
import { parquetLayout, readParquetBatches } from '../dist/index.js';
import { startMeasure } from './measure.mjs';
const [file, chunkRowsArg] = process.argv.slice(2);
const measure = startMeasure();
const layout = await parquetLayout(file, { chunkRows: Number(chunkRowsArg ?? 100000) });
const targets = [{ name: 'x', type: 'float32', columns: layout.header.map((_, i) => i).slice(1) }];
let rows = 0;
let errors = 0;

for (const chunk of layout.chunks) {
  for await (const b of readParquetBatches(file, layout, chunk, targets, 8192)) {
    rows += b.count;
    errors += b.errors.length;
  }
}
measure.stop();
console.log(
  `${file}: ${layout.rowGroups.length} row groups, ${layout.chunks.length} chunks, ${rows} rows, ${errors} errors, ${measure.summary()}`,
);
