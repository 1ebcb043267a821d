/**
 * XGBoost save_model files (JSON and UBJSON) for each supported objective and booster, scored through the
 * platform's path and compared with XGBoost's own predictions on the same CSV.
 */
import { describe, expect, it } from 'vitest';
import { checkFixture, float32Steps } from './helpers.js';

const CASES: { model: string; data: string; task: 'classifier' | 'regressor' }[] = [
  { model: 'binary-logistic.json', data: 'binary.csv', task: 'classifier' },
  { model: 'binary-logistic.ubj', data: 'binary.csv', task: 'classifier' },
  { model: 'multi-softprob.ubj', data: 'multi.csv', task: 'classifier' },
  { model: 'multi-softmax.json', data: 'multi.csv', task: 'classifier' },
  { model: 'reg-squarederror.json', data: 'regression.csv', task: 'regressor' },
  { model: 'reg-absoluteerror.ubj', data: 'regression.csv', task: 'regressor' },
  { model: 'reg-pseudohubererror.json', data: 'regression.csv', task: 'regressor' },
  { model: 'reg-logistic.json', data: 'regression.csv', task: 'regressor' },
  { model: 'count-poisson.ubj', data: 'regression.csv', task: 'regressor' },
  { model: 'reg-tweedie.json', data: 'regression.csv', task: 'regressor' },
  { model: 'reg-gamma.json', data: 'regression.csv', task: 'regressor' },
  { model: 'binary-logitraw.json', data: 'regression.csv', task: 'regressor' },
  { model: 'early-stopping.json', data: 'early.csv', task: 'classifier' },
  { model: 'dart.json', data: 'boosters.csv', task: 'classifier' },
  // DART with a base margin other than 0, where XGBoost's two prediction paths round differently: the scikit-learn
  // wrapper's predict is the one matched (see dart-regressor-dmatrix below).
  { model: 'dart-regressor.json', data: 'dart-base.csv', task: 'regressor' },
  { model: 'dart-base-score.json', data: 'dart-base.csv', task: 'classifier' },
  { model: 'dart-multi.json', data: 'dart-base.csv', task: 'classifier' },
  { model: 'gblinear.json', data: 'boosters.csv', task: 'regressor' },
  { model: 'binary-logistic-future.json', data: 'binary.csv', task: 'classifier' },
  // XGBClassifier(missing=-999): the data's -999 cells are missing values (they were compared with the splits).
  { model: 'missing-999.json', data: 'missing-999.csv', task: 'classifier' },
  { model: 'missing-999.ubj', data: 'missing-999.csv', task: 'classifier' },
  { model: 'missing-999-gblinear.json', data: 'missing-999.csv', task: 'regressor' },
];

describe('XGBoost objectives and boosters score like XGBoost', () => {
  for (const c of CASES) {
    it(c.model, async () => {
      const expected = c.model.replace(/(-future)?\.(json|ubj)$/, '.expected.csv');
      const { imported, prepared, exactness, scored } = await checkFixture(
        `xgboost/${c.model}`,
        `xgboost/${c.data}`,
        `xgboost/${expected}`,
      );
      // XGBoost computes in float32; the graph makes the same roundings in the same order, so the numbers are its own.
      expect(float32Steps(scored, `xgboost/${expected}`)).toBe(0);
      expect(imported.library).toBe('xgboost');
      expect(imported.format).toBe(c.model.endsWith('.ubj') ? 'xgboost-ubj' : 'xgboost-json');
      expect(prepared.schema.task).toBe(c.task);
      console.log(`${c.model}: ${exactness.rows} rows, max relative error ${exactness.maxRelativeError.toExponential(2)}`);
    });
  }
});

describe('DART with a base margin other than 0', () => {
  it("is scored as XGBoost's scikit-learn wrapper predicts, which Booster.predict on a DMatrix is not", async () => {
    const { scored } = await checkFixture('xgboost/dart-regressor.json', 'xgboost/dart-base.csv', 'xgboost/dart-regressor.expected.csv');
    expect(float32Steps(scored, 'xgboost/dart-regressor.expected.csv')).toBe(0);
    // The fixture shows the two paths apart: matching the DMatrix path instead would fail the line above.
    expect(float32Steps(scored, 'xgboost/dart-regressor-dmatrix.expected.csv')).toBeGreaterThan(0);
  });
});
