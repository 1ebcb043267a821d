/**
 * A row's prediction must not depend on its batch, nor on INFERENCE_THREADS. Two ways it did, for the
 * HistGradientBoosting regressors the forest evaluator does not take (ONNX Runtime scores them):
 * - ONNX Runtime's tree ensembles, given several threads, split a run's trees or rows among them and add the
 *   partial sums in an order that depends on the batch's size: a row got other last bits in a batch of 200 rows
 *   than alone, and than in real time (one thread). Scored with two threads here, as a worker with WORKERS
 *   below the cores does.
 * - The Exp of the Poisson model's sums runs over vectors of values and the values left after the last whole
 *   vector with a scalar loop: the last row of a batch of 3, 5, 7 or 9 rows got other last bits.
 */
import { describe, expect, it } from 'vitest';
import { ScoringSession } from '@batchcast/inference';
import { fixtureBatches, importAndPrepare } from './helpers.js';

async function valuesInBatches(
  session: ScoringSession,
  prepared: Awaited<ReturnType<typeof importAndPrepare>>['prepared'],
  batchRows: number,
) {
  const { plan, batches } = await fixtureBatches(prepared, 'sklearn/numeric-missing.csv', batchRows);
  const values: number[] = [];
  for await (const batch of batches) values.push(...(await session.score(batch, plan.targets)).values!);
  return values;
}

describe.each(['sklearn/hgb-regressor-nan.joblib', 'sklearn/hgb-poisson.pkl'])('%s on two threads', (model) => {
  it('scores every row to the same bits in batches of 1 to 9 rows and in one batch, as on one thread', async () => {
    const { prepared } = await importAndPrepare(model);
    const twoThreads = await ScoringSession.create(prepared.bytes, prepared.schema, { intraOpNumThreads: 2 });
    const oneThread = await ScoringSession.create(prepared.bytes, prepared.schema, { intraOpNumThreads: 1 });
    expect(twoThreads.engine.name).toBe('onnxruntime');
    const reference = await valuesInBatches(oneThread, prepared, 100_000);
    expect(reference.length).toBeGreaterThan(100);
    for (const batchRows of [1, 2, 3, 4, 5, 6, 7, 8, 9, 100_000]) {
      const values = await valuesInBatches(twoThreads, prepared, batchRows);
      const differing = values.filter((v, i) => !Object.is(v, reference[i])).length;
      expect(differing, `rows with other bits in batches of ${batchRows}`).toBe(0);
    }
    await twoThreads.release();
    await oneThread.release();
  });
});
