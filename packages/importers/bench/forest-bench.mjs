// CPU time of scoring an imported scikit-learn forest on one thread: ONNX Runtime against the forest evaluator.
// Run after building, from the repository root:
//   npx tsc -b && node packages/importers/bench/forest-bench.mjs [model.pkl|.joblib] [data.csv]
// (default: the native breast-cancer-rf.pkl and breast_cancer.csv; ROWS, BATCH and ROUNDS from the environment).
import { readFileSync } from 'node:fs';
import { planColumns, prepareModel, ScoringSession, firstDifference } from '@batchcast/inference';
import { importModel } from '../dist/index.js';

const native = new URL('../test/fixtures/native/', import.meta.url);
const modelPath = process.argv[2] ?? new URL('breast-cancer-rf.pkl', native);
const csvPath = process.argv[3] ?? new URL('breast_cancer.csv', native);
const ROWS = Number(process.env.ROWS ?? 200_000);
const BATCH = Number(process.env.BATCH ?? 8192);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

const prepared = await prepareModel((await importModel(new Uint8Array(readFileSync(modelPath)))).onnx);
const lines = readFileSync(csvPath, 'utf8').trim().split('\n');
const header = lines[0].split(',');
const plan = planColumns(prepared.schema, header);
if (!plan.ok) throw new Error(plan.message);
const columns = plan.targets[0].columns;
const width = columns.length;
const source = lines.slice(1).map((l) => l.split(','));

// The file's rows repeated, each value jittered by up to +-5% so the trees take varied paths.
const data = new Float64Array(ROWS * width);
let seed = 42;
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
for (let r = 0; r < ROWS; r++) {
  const row = source[r % source.length];
  for (let c = 0; c < width; c++) data[r * width + c] = Number(row[columns[c]]) * (0.95 + 0.1 * rand());
}
const batchAt = (from, count) => ({ firstRow: from, count, data: [data.subarray(from * width, (from + count) * width)], errors: [] });

/** CPU seconds (user + system) of scoring every row once, and the predictions. */
async function pass(session) {
  const outs = [];
  const before = process.cpuUsage();
  for (let from = 0; from < ROWS; from += BATCH) outs.push(await session.score(batchAt(from, Math.min(BATCH, ROWS - from)), plan.targets));
  const used = process.cpuUsage(before);
  return { seconds: (used.user + used.system) / 1e6, outs };
}

const forest = await ScoringSession.create(prepared.bytes, prepared.schema, { intraOpNumThreads: 1 });
const onnxRuntime = await ScoringSession.create(prepared.bytes, prepared.schema, { intraOpNumThreads: 1, forest: false });
console.log(`${String(modelPath).split('/').pop()}: ${ROWS} rows x ${width} columns, batches of ${BATCH}, engine ${forest.engine.name}`);
const times = { forest: [], onnxruntime: [] };
for (let round = 0; round < ROUNDS; round++) {
  const a = await pass(forest);
  const b = await pass(onnxRuntime);
  times.forest.push(a.seconds.toFixed(3));
  times.onnxruntime.push(b.seconds.toFixed(3));
  const differ = a.outs.map((o, i) => firstDifference(o, b.outs[i])).find((d) => d !== null);
  if (differ) throw new Error(`the engines differ: ${differ}`);
}
console.log(`CPU seconds per pass: forest evaluator ${times.forest.join(', ')}; ONNX Runtime ${times.onnxruntime.join(', ')} (same bits)`);
await forest.release();
await onnxRuntime.release();
