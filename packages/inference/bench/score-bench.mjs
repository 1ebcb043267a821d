// Measures onnxruntime scoring throughput and whether `session.run` blocks the event loop.
// Run after building, from the repository root: npx tsc -b packages/inference && node packages/inference/bench/score-bench.mjs
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { planColumns, prepareModel, ScoringSession } from '../dist/index.js';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const BATCH = Number(process.env.BATCH ?? 8192);
const root = new URL('../../../examples/', import.meta.url);

const lines = readFileSync(new URL('data/breast_cancer.csv', root), 'utf8').trim().split('\n');
const header = lines[0].split(',');
const source = lines.slice(1).map((l) => l.split(',').slice(1).map(Number));
const prepared = await prepareModel(readFileSync(new URL('models/breast-cancer-rf.onnx', root)), {
  features: header.slice(1),
});
const plan = planColumns(prepared.schema, header);
if (!plan.ok) throw new Error(plan.message);
const targets = plan.targets;

// 1M rows x 30 float32: the real rows repeated, each value jittered by up to +-5% so trees take varied paths.
const data = new Float32Array(ROWS * 30);
let seed = 42;
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
for (let r = 0; r < ROWS; r++) {
  const src = source[r % source.length];
  for (let c = 0; c < 30; c++) data[r * 30 + c] = src[c] * (0.95 + 0.1 * rand());
}

function batchAt(from, count) {
  return { firstRow: from, count, data: [data.subarray(from * 30, (from + count) * 30)], errors: [] };
}

async function throughput(threads) {
  const session = await ScoringSession.create(prepared.bytes, prepared.schema, { intraOpNumThreads: threads });
  await session.score(batchAt(0, BATCH), targets); // warm-up
  const t0 = performance.now();
  let rows = 0;
  for (let from = 0; from < ROWS; from += BATCH) {
    const count = Math.min(BATCH, ROWS - from);
    const out = await session.score(batchAt(from, count), targets);
    rows += out.count;
  }
  const seconds = (performance.now() - t0) / 1000;
  await session.release();
  return { threads, rows, seconds: Number(seconds.toFixed(2)), rowsPerSecond: Math.round(rows / seconds) };
}

/** The same loop on a bare onnxruntime session: how much of the time is ONNX Runtime itself. */
async function bareRuntime(threads) {
  const session = await ort.InferenceSession.create(prepared.bytes, {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const fetches = [prepared.schema.labelOutput, prepared.schema.probabilityOutput];
  let runMs = 0;
  for (let from = 0; from < ROWS; from += BATCH) {
    const count = Math.min(BATCH, ROWS - from);
    const input = new ort.Tensor('float32', data.subarray(from * 30, (from + count) * 30), [count, 30]);
    const t = performance.now();
    await session.run({ input }, fetches);
    runMs += performance.now() - t;
  }
  await session.release();
  return { bare: true, threads, runSeconds: Number((runMs / 1000).toFixed(2)) };
}

/** Does a 10 ms setInterval keep ticking while one long `score` (one session.run) is in progress? */
async function eventLoop(rows) {
  const session = await ScoringSession.create(prepared.bytes, prepared.schema, { intraOpNumThreads: 1 });
  const tickTimes = [];
  const timer = setInterval(() => tickTimes.push(performance.now()), 10);
  await new Promise((r) => setTimeout(r, 50)); // ticking steadily before the run starts
  const t0 = performance.now();
  let t1 = 0;
  await session.score(batchAt(0, rows), targets).then(() => {
    t1 = performance.now();
  });
  await new Promise((r) => setTimeout(r, 50));
  clearInterval(timer);
  await session.release();
  const during = tickTimes.filter((t) => t > t0 && t < t1).length;
  let maxGap = 0;
  for (let i = 1; i < tickTimes.length; i++) maxGap = Math.max(maxGap, tickTimes[i] - tickTimes[i - 1]);
  return {
    rowsInOneRun: rows,
    runMs: Math.round(t1 - t0),
    intervalTicksDuringRun: during,
    expectedTicksIfNotBlocking: Math.floor((t1 - t0) / 10),
    maxGapBetweenTicksMs: Math.round(maxGap),
  };
}

console.log(JSON.stringify({ rows: ROWS, batch: BATCH, nodeVersion: process.version }));
for (const threads of [1, 2]) console.log(JSON.stringify(await throughput(threads)));
for (const threads of [1, 2]) console.log(JSON.stringify(await bareRuntime(threads)));
console.log(JSON.stringify(await eventLoop(200_000)));
console.log(JSON.stringify(await eventLoop(BATCH)));
