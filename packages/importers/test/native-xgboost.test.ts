/** The real XGBoost files in fixtures/native (see its MANIFEST.json), scored through the platform's path. */
import { describe, expect, it } from 'vitest';
import { checkFixture } from './helpers.js';

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
    console.log(`breast-cancer-xgb.json: max relative error ${exactness.maxRelativeError.toExponential(2)}`);
  });

  it('diabetes-xgb.ubj (reg:squarederror, UBJSON)', async () => {
    const { imported, prepared, exactness } = await checkFixture(
      'native/diabetes-xgb.ubj',
      'native/diabetes.csv',
      'native/diabetes-xgb.expected.csv',
    );
    expect(imported).toMatchObject({ format: 'xgboost-ubj', library: 'xgboost', libraryVersion: '1.7.4' });
    expect(prepared.schema.task).toBe('regressor');
    console.log(`diabetes-xgb.ubj: max relative error ${exactness.maxRelativeError.toExponential(2)}`);
  });
});
