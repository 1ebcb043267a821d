/** The real XGBoost files in fixtures/native (see its MANIFEST.json), scored through the platform's path. */
import { describe, expect, it } from 'vitest';
import { checkFixture, float32Steps } from './helpers.js';

describe('native XGBoost models', () => {
  it('breast-cancer-xgb.json (binary:logistic, feature names from the DataFrame)', async () => {
    const { imported, prepared, scored, exactness } = await checkFixture(
      'native/breast-cancer-xgb.json',
      'native/breast_cancer.csv',
      'native/breast-cancer-xgb.expected.csv',
    );
    expect(imported).toMatchObject({ format: 'xgboost-json', library: 'xgboost', libraryVersion: '1.7.4' });
    expect(prepared.schema.classLabels).toEqual([0, 1]);
    expect(prepared.schema.inputs).toHaveLength(1);
    expect(prepared.schema.inputs[0]!.columns).toHaveLength(30);
    // patient_id is in the CSV but not a feature: the columns come from the file's feature_names.
    expect(scored.columns).not.toContain('patient_id');
    // float32 as XGBoost computes it: 1 - p is exact to 1e-7 relative even where p is near 1 (one value of 1,138 is
    // one float32 step away: an expf rounding).
    expect(float32Steps(scored, 'native/breast-cancer-xgb.expected.csv')).toBeLessThanOrEqual(1);
    console.log(`breast-cancer-xgb.json: max relative error ${exactness.maxRelativeError.toExponential(2)}`);
  });

  it('diabetes-xgb.ubj (reg:squarederror, UBJSON)', async () => {
    const { imported, prepared, exactness, scored } = await checkFixture(
      'native/diabetes-xgb.ubj',
      'native/diabetes.csv',
      'native/diabetes-xgb.expected.csv',
    );
    expect(imported).toMatchObject({ format: 'xgboost-ubj', library: 'xgboost', libraryVersion: '1.7.4' });
    expect(prepared.schema.task).toBe('regressor');
    expect(float32Steps(scored, 'native/diabetes-xgb.expected.csv')).toBe(0);
    console.log(`diabetes-xgb.ubj: max relative error ${exactness.maxRelativeError.toExponential(2)}`);
  });
});
