/**
 * Rows scikit-learn refuses to predict (ValueError "Input X contains NaN" / "infinity or a value too large for
 * dtype('float32')") get no prediction here either: their outputs are NaN, which the platform fails with the
 * columns at fault. Which rows each fixture refuses was found with scikit-learn 1.2.1 itself, model.predict on
 * each row of numeric-refused-rows.csv: a finite row, an empty cell, inf, -Infinity, 1e39 (infinite as
 * float32), 1e300.
 */
import { describe, expect, it } from 'vitest';
import { importAndPrepare, scoreCsv } from './helpers.js';

const OK = 'ok';
const NO = 'refused';
const CASES: [model: string, rows: string[]][] = [
  ['tree-regressor.pkl', [OK, NO, NO, NO, NO, NO]],
  ['forest-regressor.joblib', [OK, NO, NO, NO, NO, NO]],
  ['extra-trees-classifier.pkl', [OK, NO, NO, NO, NO, NO]],
  ['gb-classifier-binary.joblib', [OK, NO, NO, NO, NO, NO]],
  ['logreg-binary-str.joblib', [OK, NO, NO, NO, OK, OK]],
  ['linear-regression.joblib', [OK, NO, NO, NO, OK, OK]],
  ['mlp-regressor.joblib', [OK, NO, NO, NO, OK, OK]],
  ['robust-minmax-ridge.joblib', [OK, NO, NO, NO, OK, OK]],
  // HistGradientBoosting takes NaN and infinities; a 1.3 tree (missing_go_to_left) takes NaN, not infinities.
  ['hgb-regressor-nan.joblib', [OK, OK, OK, OK, OK, OK]],
  ['tree-1.3-missing-field.pkl', [OK, OK, NO, NO, NO, NO]],
  // The converters added later: each refuses as its scikit-learn estimator checks its input.
  ['variance-hgb.joblib', [OK, OK, OK, OK, OK, OK]], // VarianceThreshold checks nothing (allow_nan), HGB takes all
  ['maxabs-nan.joblib', [OK, OK, NO, NO, OK, OK]], // MaxAbsScaler lets NaN through, not infinities
  ['select-k-best.joblib', [OK, NO, NO, NO, OK, OK]],
  ['pca-whiten.joblib', [OK, NO, NO, NO, OK, OK]],
  ['polynomial-2.joblib', [OK, NO, NO, NO, OK, NO]], // 1e300 squared is infinite, which Ridge refuses
  ['kbins-onehot.joblib', [OK, NO, NO, NO, OK, OK]],
  ['normalizer-l2.joblib', [OK, NO, NO, NO, OK, OK]],
  ['gaussian-nb-str.joblib', [OK, NO, NO, NO, OK, NO]], // 1e300 squared: probabilities NaN
  ['sgd-log-multi.pkl', [OK, NO, NO, NO, OK, OK]],
  ['svr-rbf.pkl', [OK, NO, NO, NO, OK, OK]],
  ['svc-probability.joblib', [OK, NO, NO, NO, OK, OK]],
  ['voting-regressor.joblib', [OK, NO, NO, NO, NO, NO]], // its GradientBoosting member checks float32
  ['calibrated-forest-isotonic.joblib', [OK, NO, NO, NO, NO, NO]], // the forest checks float32
];

describe('rows scikit-learn refuses', () => {
  it.each(CASES)('%s answers no prediction where scikit-learn refuses the row', async (model, rows) => {
    const { prepared } = await importAndPrepare(`sklearn/${model}`);
    const scored = await scoreCsv(prepared, 'sklearn/numeric-refused-rows.csv');
    const numbers = scored.probabilities ?? scored.values!;
    const width = numbers.length / scored.rows;
    const got = Array.from({ length: scored.rows }, (_, i) =>
      numbers.slice(i * width, (i + 1) * width).every((x) => Number.isFinite(x)) ? OK : NO,
    );
    expect(got).toEqual(rows);
  });
});
