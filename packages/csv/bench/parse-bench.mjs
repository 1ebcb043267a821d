#!/usr/bin/env node
// Stage-only timing of the CSV hot path against the model it feeds, in ONE process and ONE run, so the
// ratio is meaningful on a shared machine where absolute times move 30-50% between runs.
//
//   npx tsc -b && node packages/csv/bench/parse-bench.mjs /tmp/big.csv [--repeat N] [--no-inference] [--paths wasm,js,general]
//
// Make the file with: node scripts/dist/make-big-csv.js examples/data/breast_cancer.csv 1000000 /tmp/big.csv
//
// Stages: scan (CsvScanner over the file, to get the layout), parse (readBatches over every chunk exactly
// as the workers read them: breast-cancer-rf's 30 float32 targets, batches of 8192), and ONNX Runtime
// scoring of the 100-tree random forest on ONE thread over the parsed batches (the yardstick of the
// target: parse must take at most a quarter of it). Each parser path is timed `--repeat` times (default 3),
// interleaved, best and median shown: `wasm` (the default readBatches), `js` (the JavaScript fast path) and
// `general` (cell by cell: what readBatches did before the fast paths). `--old DIR` adds, for each of
// those paths, `old-<path>`: the same path in another build of this package (e.g. main's, compiled into
// DIR/dist), for before/after figures from the same run.
import { open } from 'node:fs/promises';
import { CsvScanner } from '../dist/index.js';
import { readBatchesWith } from '../dist/read-batches.js';
import { planColumns, ScoringSession } from '../../inference/dist/index.js';
import { loadModel } from '../../../bench/dist/stages.js';

const args = process.argv.slice(2);
const file = args.find((a, i) => !a.startsWith('--') && !/^\d+$/.test(a) && !['--old', '--paths', '--repeat'].includes(args[i - 1]));
if (!file) {
  console.error('usage: parse-bench.mjs FILE.csv [--repeat N] [--no-inference]');
  process.exit(2);
}
const repeatAt = args.indexOf('--repeat');
const REPEAT = repeatAt >= 0 ? Number(args[repeatAt + 1]) : 3;
const INFERENCE = !args.includes('--no-inference');
const pathsAt = args.indexOf('--paths');
const PATHS = (pathsAt >= 0 ? args[pathsAt + 1] : 'wasm,js,general').split(',');
const OPTIONS = { wasm: {}, js: { wasm: false }, general: { fast: false } };
const oldAt = args.indexOf('--old');
const oldReadBatchesWith = oldAt >= 0 ? (await import(`${args[oldAt + 1]}/dist/read-batches.js`)).readBatchesWith : null;
if (oldReadBatchesWith) PATHS.push(...PATHS.map((p) => `old-${p}`));
const BATCH_ROWS = 8192;
const CHUNK_ROWS = 100_000;
const now = () => performance.now();

async function scan() {
  const fh = await open(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  // 'auto': a `;` file with decimal commas is timed the same way (its layout carries the dialect).
  const scanner = new CsvScanner({ chunkRows: CHUNK_ROWS, dialect: 'auto' });
  let ms = 0;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      const t = now();
      scanner.push(buf.subarray(0, bytesRead));
      ms += now() - t;
    }
  } finally {
    await fh.close();
  }
  const t = now();
  const layout = scanner.finish();
  return { layout, seconds: (ms + now() - t) / 1000 };
}

async function parse(layout, targets, keep, path) {
  const batches = keep ? [] : null;
  let rows = 0;
  let errors = 0;
  let check = 0;
  const t0 = now();
  for (const chunk of layout.chunks) {
    const old = path.startsWith('old-');
    const read = old ? oldReadBatchesWith : readBatchesWith;
    // A chunk is the byte range, first row and record count of its read (the extra fields are ignored).
    const opts = { ...chunk, header: layout.header, targets, batchSize: BATCH_ROWS, dialect: layout };
    for await (const batch of read(file, opts, OPTIONS[old ? path.slice(4) : path])) {
      if (batches) batches.push(batch);
      rows += batch.count;
      errors += batch.errors.length;
      check += batch.data[0][0];
    }
  }
  return { seconds: (now() - t0) / 1000, rows, errors, batches, check };
}

async function inference(prepared, batches, targets) {
  const session = await ScoringSession.create(prepared.bytes, prepared.schema, { intraOpNumThreads: 1 });
  try {
    await session.score(batches[0], targets);
    const t0 = now();
    let rows = 0;
    for (const b of batches) rows += (await session.score(b, targets)).count;
    return { seconds: (now() - t0) / 1000, rows };
  } finally {
    await session.release();
  }
}

const { prepared } = await loadModel();
const s = await scan();
const plan = planColumns(prepared.schema, s.layout.header);
if (!plan.ok) throw new Error(plan.message);
const targets = plan.targets;
const fmt = (x) => x.toFixed(3);
console.log(`file: ${file}, ${s.layout.rows} rows, ${s.layout.bytes} bytes, ${s.layout.chunks.length} chunks`);
console.log(`scan: ${fmt(s.seconds)} s (CPU in push/finish)`);
const times = Object.fromEntries(PATHS.map((p) => [p, []]));
let kept = null;
for (let r = 0; r < REPEAT; r++) {
  for (const path of PATHS) {
    const p = await parse(s.layout, targets, kept === null && INFERENCE, path);
    if (p.rows !== s.layout.rows) throw new Error(`parse read ${p.rows} rows, the scan counted ${s.layout.rows}`);
    kept ??= p;
    times[path].push(p.seconds);
    console.log(`parse ${path.padEnd(7)} #${r + 1}: ${fmt(p.seconds)} s (${p.errors} row errors, checksum ${p.check})`);
  }
}
const inf = INFERENCE ? await inference(prepared, kept.batches, targets) : null;
if (inf) console.log(`inference (1 thread): ${fmt(inf.seconds)} s`);
for (const path of PATHS) {
  const sorted = [...times[path]].sort((a, b) => a - b);
  const best = sorted[0];
  const median = sorted[Math.floor(sorted.length / 2)];
  const ratio = inf ? `; inference / parse ${(inf.seconds / median).toFixed(2)}x (median), ${(inf.seconds / best).toFixed(2)}x (best)` : '';
  console.log(`parse ${path.padEnd(7)} best ${fmt(best)} s, median ${fmt(median)} s${ratio}`);
}
