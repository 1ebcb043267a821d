// Speed of parsePredictBody against what the endpoint did before (JSON.parse of the decoded body, then a loop
// collecting every key). Run after `npx tsc -b`: node packages/predict-body/bench/bench.mjs
import { readFileSync } from 'node:fs';
import { parsePredictBody } from '../dist/index.js';

const csv = readFileSync(new URL('../../../examples/data/breast_cancer.csv', import.meta.url), 'utf8')
  .trim()
  .split('\n');
const header = csv[0].split(',');
const records = csv.slice(1).map((l) => l.split(','));
function body(rows) {
  const out = [];
  for (let i = 0; i < rows; i++) {
    const r = records[i % records.length];
    const o = {};
    header.forEach((h, j) => {
      o[h] = j === 0 ? r[j] : Number(r[j]);
    });
    out.push(o);
  }
  return Buffer.from(JSON.stringify({ rows: out }));
}

function baseline(buf) {
  const parsed = JSON.parse(buf.toString('utf8'));
  const seen = new Set();
  for (const r of parsed.rows) for (const k in r) seen.add(k);
  return [...seen].length;
}
const ours = (buf) => parsePredictBody(buf).header.length;

/** Runs both readers alternately, so they share the machine's noise (absolute times move a lot here). */
function compare(buf, n) {
  const fns = { 'JSON.parse+keys': baseline, parsePredictBody: ours };
  const times = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let i = 0; i < 10; i++) for (const fn of Object.values(fns)) fn(buf);
  for (let i = 0; i < n; i++) {
    for (const [k, fn] of Object.entries(fns)) {
      const s = process.hrtime.bigint();
      fn(buf);
      times[k].push(Number(process.hrtime.bigint() - s) / 1e6);
    }
  }
  return Object.entries(times)
    .map(([k, t]) => {
      t.sort((a, b) => a - b);
      return `${k} median ${t[n >> 1].toFixed(2)} ms, p95 ${t[Math.floor(n * 0.95)].toFixed(2)} ms`;
    })
    .join('; ');
}

for (const rows of [1000, 10000]) {
  const buf = body(rows);
  console.log(`${rows} rows x ${header.length} columns (${(buf.length / 1024).toFixed(0)} kB): ${compare(buf, rows === 1000 ? 300 : 30)}`);
}

// Hostile bodies: how fast the refusal comes.
const distinct = Buffer.from(
  JSON.stringify({
    rows: Array.from({ length: 10000 }, (_, i) => Object.fromEntries(Array.from({ length: 100 }, (_, k) => [`k${i}_${k}`, k]))),
  }),
);
for (const [name, buf] of [['10,000 rows x 100 distinct keys', distinct]]) {
  const s = process.hrtime.bigint();
  let code;
  try {
    parsePredictBody(buf);
  } catch (e) {
    code = e.code;
  }
  console.log(`${name} (${(buf.length / 1e6).toFixed(1)} MB): ${code} in ${(Number(process.hrtime.bigint() - s) / 1e6).toFixed(2)} ms`);
}
