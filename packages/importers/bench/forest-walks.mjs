// CPU time of the forest evaluator's walks alone, on one thread, for an imported scikit-learn forest's first
// target: the compact walk in WebAssembly, in JavaScript eight rows at a time and row by row, and the padded walk
// where it takes the forest (each must give the WebAssembly compact walk's sums bit for bit). Run after building:
//   npx tsc -b && node packages/importers/bench/forest-walks.mjs model.pkl|.joblib data.csv
// (200,000 rows: the file's rows repeated, jittered by up to +-5%, in batches of 8,192; three rounds). Reads the
// evaluator's modules from packages/inference/dist (they are not the package's API).
import { readFileSync } from 'node:fs';
import { planColumns, prepareModel } from '@batchcast/inference';
import { decodeModel } from '../../inference/dist/onnx-graph.js';
import { readTreeEnsembleV5 } from '../../inference/dist/forest/ensemble-v5.js';
import { CompactForest } from '../../inference/dist/forest/compact-forest.js';
import { PaddedForest } from '../../inference/dist/forest/padded-forest.js';
import { importModel } from '../dist/index.js';

const [modelPath, csvPath] = process.argv.slice(2);
const ROWS = 200_000;
const prepared = await prepareModel((await importModel(new Uint8Array(readFileSync(modelPath)))).onnx);
const node = decodeModel(prepared.bytes).graph.node.find((n) => n.opType === 'TreeEnsemble');
const e = readTreeEnsembleV5(node)[0];
const csv = readFileSync(csvPath, 'utf8').trim().split('\n');
const plan = planColumns(prepared.schema, csv[0].split(','));
if (!plan.ok) throw new Error(plan.message);
const columns = plan.targets[0].columns;
const lines = csv.slice(1).map((l) => l.split(','));
const w = prepared.schema.inputs[0].width;
let seed = 42;
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const x = new Float32Array(ROWS * w);
for (let r = 0; r < ROWS; r++)
  for (let c = 0; c < w; c++) x[r * w + c] = Number(lines[r % lines.length][columns[c]]) * (0.95 + 0.1 * rand());

/** The compact walk written row by row (no eight-row groups), for comparison. */
// (jsNodes and roots are the class's private members: TypeScript's privacy is not enforced at run time.)
function rowByRow(forest) {
  const { nodes, threshold: v, nodeWeights: wt } = forest.jsNodes();
  const roots = forest.roots;
  return (x, width, count, scores) => {
    for (let t = 0; t < roots.length; t++) {
      const root = roots[t];
      for (let r = 0; r < count; r++) {
        let i = root;
        const row = r * width;
        for (;;) {
          const n = nodes[4 * i + 2 + (+!(v[4 * i + 1] >= x[row + nodes[4 * i]]) | 0)];
          if (n === i) break;
          i = n;
        }
        scores[r] += wt[i];
      }
    }
  };
}
const walks = {
  'compact wasm': CompactForest.build(e),
  'compact js (8 rows)': CompactForest.build(e, { wasm: false }),
  'compact js (row by row)': { addScores: rowByRow(CompactForest.build(e, { wasm: false })) },
  'padded wasm': PaddedForest.build(e),
};
console.log(
  `${modelPath.split('/').pop()}: ${e.trees.length} trees, ${ROWS} rows x ${w}; padded: ${typeof walks['padded wasm'] === 'string' ? walks['padded wasm'] : 'yes'}`,
);
const BATCH = 8192;
const times = {};
let expected = null;
for (let round = 0; round < 3; round++) {
  for (const [name, walk] of Object.entries(walks)) {
    if (typeof walk === 'string') continue;
    const scores = new Float64Array(ROWS);
    const before = process.cpuUsage();
    for (let from = 0; from < ROWS; from += BATCH) {
      const count = Math.min(BATCH, ROWS - from);
      walk.addScores(x.subarray(from * w, (from + count) * w), w, count, scores.subarray(from, from + count));
    }
    const used = process.cpuUsage(before);
    times[name] = [...(times[name] ?? []), ((used.user + used.system) / 1e6).toFixed(3)];
    const bits = Buffer.from(scores.buffer);
    expected ??= bits;
    if (!expected.equals(bits)) throw new Error(`${name}: other sums than the compact walk's in WebAssembly`);
  }
}
for (const [name, seconds] of Object.entries(times)) console.log(`  ${name}: ${seconds.join(', ')} s`);
