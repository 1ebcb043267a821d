import { describe, expect, it } from 'vitest';
import { planColumns, prepareModel, ScoringSession } from '../src/index.js';
import { makeBatch, modelBytes, readCsv } from './helpers.js';

/**
 * A row's prediction must not depend on the batch it was scored in: chunking a file differently, or sending
 * a row to the real-time endpoint alone, must give the same bits. ONNX Runtime uses another kernel for a
 * single row, so a lone row is padded (see ScoringSession.score); this checks the bits.
 */
describe.each([
  { file: 'iris-logreg.onnx', data: 'iris.csv' },
  { file: 'digits-mlp.onnx', data: 'digits.csv' },
  { file: 'diabetes-gbr.onnx', data: 'diabetes.csv' },
])('$file', ({ file, data }) => {
  it('scores every row alone exactly as in one batch of all rows, and in batches of 2 and 3', async () => {
    const prepared = await prepareModel(modelBytes(file));
    const csv = readCsv(data);
    const plan = planColumns(prepared.schema, csv.header);
    if (!plan.ok) throw new Error(plan.message);
    const session = await ScoringSession.create(prepared.bytes, prepared.schema, { intraOpNumThreads: 1 });
    const rows = csv.rows.slice(0, 40);
    const whole = await session.score(makeBatch(plan.targets, rows), plan.targets);
    for (const size of [1, 2, 3]) {
      for (let from = 0; from < rows.length; from += size) {
        const part = await session.score(makeBatch(plan.targets, rows.slice(from, from + size), from), plan.targets);
        for (let i = 0; i < part.count; i++) {
          const r = from + i;
          if (whole.values) expect(part.values![i], `row ${r} in batches of ${size}`).toBe(whole.values[r]);
          if (whole.labels) expect(part.labels![i]).toBe(whole.labels[r]);
          if (whole.probabilities) {
            const c = whole.probabilities.length / whole.count;
            expect(Array.from(part.probabilities!.subarray(i * c, (i + 1) * c)), `row ${r} in batches of ${size}`).toEqual(
              Array.from(whole.probabilities.subarray(r * c, (r + 1) * c)),
            );
          }
        }
      }
    }
    await session.release();
  });
});

describe('a batch beyond one ONNX Runtime run', () => {
  it('iris-logreg: every row of a batch of 8,192 scores as it does alone (ONNX Runtime rounds its softmax another way from 16K scores)', async () => {
    // Rows from 5,462 on (16K scores of 3 classes) came out one float32 step off in a single run of 8,192.
    const prepared = await prepareModel(modelBytes('iris-logreg.onnx'));
    const csv = readCsv('iris.csv');
    const plan = planColumns(prepared.schema, csv.header);
    if (!plan.ok) throw new Error(plan.message);
    const session = await ScoringSession.create(prepared.bytes, prepared.schema, { intraOpNumThreads: 1 });
    const alone: number[][] = [];
    for (let r = 0; r < csv.rows.length; r++) {
      const one = await session.score(makeBatch(plan.targets, [csv.rows[r]!]), plan.targets);
      alone.push(Array.from(one.probabilities!));
    }
    const rows = Array.from({ length: 8192 }, (_, i) => csv.rows[i % csv.rows.length]!);
    const big = await session.score(makeBatch(plan.targets, rows), plan.targets);
    const c = big.probabilities!.length / big.count;
    let differing = 0;
    for (let i = 0; i < big.count; i++) {
      const got = Array.from(big.probabilities!.subarray(i * c, (i + 1) * c));
      if (got.some((p, k) => p !== alone[i % csv.rows.length]![k])) differing++;
    }
    expect(differing).toBe(0);
    await session.release();
  });
});
