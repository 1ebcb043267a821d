// The main thread's event loop while 3 requests of 10,000 rows are scored at once: in this thread
// (ScoringSession) and in a 2-thread ScoringPool. Run after `npx tsc -b`:
//   node packages/inference/bench/pool-event-loop.mjs
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { planColumns, prepareModel, ScoringPool, ScoringSession } from '../dist/index.js';

const root = new URL('../../../examples/', import.meta.url);
const lines = readFileSync(new URL('data/breast_cancer.csv', root), 'utf8').trim().split('\n');
const header = lines[0].split(',');
const records = lines.slice(1).map((l) => l.split(','));
const prepared = await prepareModel(new Uint8Array(readFileSync(new URL('models/breast-cancer-rf.onnx', root))), {
  features: header.slice(1),
});
const plan = planColumns(prepared.schema, header);
const ROWS = 10_000;

function batch() {
  const data = plan.targets.map((t) => {
    const out = new Float32Array(ROWS * t.columns.length);
    for (let r = 0; r < ROWS; r++) {
      const rec = records[r % records.length];
      t.columns.forEach((c, j) => {
        out[r * t.columns.length + j] = Number(rec[c]);
      });
    }
    return out;
  });
  return { firstRow: 0, count: ROWS, data, errors: [] };
}

async function measure(name, scoreThree) {
  await scoreThree([batch(), batch(), batch()]); // warm: sessions loaded, code compiled
  const batches = [batch(), batch(), batch()]; // built before the clock starts
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let ticks = 0;
  let last = performance.now();
  let longest = 0;
  const interval = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    ticks++;
  }, 1);
  histogram.enable();
  const started = performance.now();
  await scoreThree(batches);
  const elapsed = performance.now() - started;
  longest = Math.max(longest, performance.now() - last);
  histogram.disable();
  clearInterval(interval);
  const ms = (ns) => (Number.isFinite(ns) ? (ns / 1e6).toFixed(1) : '-');
  console.log(
    `${name}: 3 x ${ROWS} rows in ${elapsed.toFixed(0)} ms; a 1 ms interval fired ${ticks} times, longest gap ${longest.toFixed(1)} ms; ` +
      `monitorEventLoopDelay p50 ${ms(histogram.percentile(50))} ms, p99 ${ms(histogram.percentile(99))} ms, max ${ms(histogram.max)} ms ` +
      `(${histogram.count} samples)`,
  );
}

const session = await ScoringSession.create(prepared.bytes, prepared.schema, { intraOpNumThreads: 1 });
await measure('main thread (ScoringSession)', (batches) => Promise.all(batches.map((b) => session.score(b, plan.targets))));
await session.release();

const model = { sha256: prepared.sha256, schema: prepared.schema, loadBytes: async () => prepared.bytes };
for (const threads of [1, 2]) {
  const pool = new ScoringPool({ threads });
  await pool.ready();
  await measure(`ScoringPool, ${threads} thread${threads > 1 ? 's' : ''}`, (batches) =>
    Promise.all(batches.map((b) => pool.score(model, b, plan.targets))),
  );
  await pool.close();
}
