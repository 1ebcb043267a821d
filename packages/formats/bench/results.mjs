// Times the result writers on ROWS synthetic rows of the breast-cancer shape (31 inputs + prediction,
// 2 probabilities, error), written to /dev/null; prints time and peak RSS. `none` only makes the rows.
//   node bench/results.mjs ROWS [jsonl|parquet|xlsx ...]
import { createWriteStream } from 'node:fs';
import { writeResultsJsonl, writeResultsParquet, writeResultsXlsx } from '../dist/index.js';
import { startMeasure } from './measure.mjs';

const [rowsArg, ...formats] = process.argv.slice(2);
const total = Number(rowsArg);
const columns = [
  { name: 'patient_id', type: 'string' },
  ...Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, type: 'double' })),
  { name: 'prediction', type: 'string' },
  { name: 'probability_0', type: 'double' },
  { name: 'probability_1', type: 'double' },
  { name: 'error', type: 'string' },
];
async function* rows() {
  for (let start = 0; start < total; start += 4096) {
    const batch = [];
    for (let r = start; r < Math.min(total, start + 4096); r++) {
      const p = (r % 97) / 97;
      batch.push([
        `P${r}`,
        ...Array.from({ length: 30 }, (_, i) => Math.round(((r * 31 + i) % 1000) * 13.7) / 100),
        p > 0.5 ? 'malignant' : 'benign',
        1 - p,
        p,
        null,
      ]);
    }
    yield batch;
  }
}
const measure = startMeasure();
for (const format of formats.length ? formats : ['jsonl', 'parquet', 'xlsx']) {
  measure.restart();
  const out = createWriteStream('/dev/null');
  if (format === 'none') for await (const _ of rows());
  else if (format === 'jsonl') await writeResultsJsonl(out, { columns, rows: rows() });
  else if (format === 'parquet') await writeResultsParquet(out, { columns, rows: rows() });
  else await writeResultsXlsx(out, { columns, rows: rows() }, { rows: total });
  console.log(`results.${format}: ${total} rows, ${measure.summary()}`);
}
measure.stop();
