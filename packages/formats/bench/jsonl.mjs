// Measures JSON Lines: writes the CSV's rows as JSON Lines (and as a JSON array) in /tmp, then times the
// scan (JsonlScanner), the array-to-lines split, and reading every chunk into float32 batches.
//   node bench/jsonl.mjs SOURCE.csv --make && node bench/jsonl.mjs SOURCE.csv
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { JsonlScanner, jsonArrayToJsonl, readJsonlBatches } from '../dist/index.js';
import { startMeasure } from './measure.mjs';

const [csv] = process.argv.slice(2);
const jsonl = '/tmp/bench-records.jsonl';
const array = '/tmp/bench-records.json';
if (process.argv[3] === '--make') {
  const [head, ...lines] = readFileSync(csv, 'utf8').trimEnd().split('\n');
  const keys = head.split(',');
  const a = createWriteStream(jsonl);
  const b = createWriteStream(array);
  b.write('[\n');
  for (let i = 0; i < lines.length; i++) {
    const cells = lines[i].split(',');
    const o = {};
    keys.forEach((k, j) => {
      o[k] = j === 0 ? cells[j] : Number(cells[j]);
    });
    const t = JSON.stringify(o);
    a.write(`${t}\n`);
    b.write(`${i ? ',\n' : ''}  ${t}`);
  }
  b.write('\n]\n');
  await Promise.all([new Promise((r) => a.end(r)), new Promise((r) => b.end(r))]);
  process.exit(0);
}
const measure = startMeasure();
const time = async (label, fn) => {
  measure.restart();
  const r = await fn();
  console.log(`${label}: ${measure.summary()}`);
  return r;
};
const layout = await time('JsonlScanner (1 MiB pieces)', async () => {
  const s = new JsonlScanner({ chunkRows: 100000 });
  for await (const piece of createReadStream(jsonl, { highWaterMark: 1 << 20 })) s.push(piece);
  return s.finish();
});
await time('jsonArrayToJsonl', () =>
  pipeline(createReadStream(array, { highWaterMark: 1 << 20 }), jsonArrayToJsonl(), createWriteStream('/dev/null')),
);
await time('readJsonlBatches, every chunk, 30 float32 inputs', async () => {
  const targets = [{ name: 'x', type: 'float32', columns: layout.header.map((_, i) => i).slice(1) }];
  let rows = 0;
  for (const c of layout.chunks) {
    for await (const b of readJsonlBatches(jsonl, { ...c, header: layout.header, targets, batchSize: 8192 })) rows += b.count;
  }
  return rows;
});
measure.stop();
console.log(`${layout.rows} rows, ${layout.bytes} bytes of JSON Lines`);
