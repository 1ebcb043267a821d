/** The real scikit-learn files in fixtures/native (see its MANIFEST.json), scored through the platform's path. */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importModel, ModelImportError } from '../src/index.js';
import { checkFixture, fixtureBytes } from './helpers.js';

describe('native scikit-learn models', () => {
  it('iris-pipeline.joblib: Pipeline(StandardScaler, LogisticRegression), string labels, DataFrame', async () => {
    const { imported, prepared, exactness } = await checkFixture(
      'native/iris-pipeline.joblib',
      'native/iris.csv',
      'native/iris-pipeline.expected.csv',
    );
    expect(imported).toMatchObject({ format: 'sklearn-joblib', library: 'scikit-learn', libraryVersion: '1.2.1' });
    expect(imported.converted[0]).toMatch(/^Pipeline\(StandardScaler, LogisticRegression\) -> ONNX /);
    expect(prepared.schema.classLabels).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(prepared.schema.inputs[0]!.columns).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    console.log(`iris-pipeline.joblib: max relative error ${exactness.maxRelativeError.toExponential(2)}`);
  });

  it('breast-cancer-rf.pkl: RandomForestClassifier, pickle protocol 4, int labels', async () => {
    const { imported, prepared, scored, exactness } = await checkFixture(
      'native/breast-cancer-rf.pkl',
      'native/breast_cancer.csv',
      'native/breast-cancer-rf.expected.csv',
    );
    expect(imported).toMatchObject({ format: 'sklearn-pickle', library: 'scikit-learn', libraryVersion: '1.2.1' });
    expect(prepared.schema.classLabels).toEqual([0, 1]);
    expect(scored.columns).not.toContain('patient_id');
    console.log(`breast-cancer-rf.pkl: max relative error ${exactness.maxRelativeError.toExponential(2)}`);
  });

  it('diabetes-gbr.joblib: GradientBoostingRegressor, compressed joblib', async () => {
    const { imported, prepared, exactness } = await checkFixture(
      'native/diabetes-gbr.joblib',
      'native/diabetes.csv',
      'native/diabetes-gbr.expected.csv',
    );
    expect(imported).toMatchObject({ format: 'sklearn-joblib', library: 'scikit-learn', libraryVersion: '1.2.1' });
    expect(prepared.schema.task).toBe('regressor');
    console.log(`diabetes-gbr.joblib: max relative error ${exactness.maxRelativeError.toExponential(2)}`);
  });

  it('churn-hgb.joblib: ColumnTransformer(OneHotEncoder, SimpleImputer + StandardScaler) + HistGradientBoostingClassifier', async () => {
    const { imported, prepared, scored, exactness } = await checkFixture(
      'native/churn-hgb.joblib',
      'native/churn.csv',
      'native/churn-hgb.expected.csv',
    );
    expect(imported).toMatchObject({ format: 'sklearn-joblib', library: 'scikit-learn' });
    expect(prepared.schema.inputs.map((i) => [i.name, i.type])).toEqual([
      ['contract', 'string'],
      ['payment_method', 'string'],
      ['tenure_months', 'float64'],
      ['monthly_charges', 'float64'],
      ['support_tickets', 'float64'],
    ]);
    expect(scored.columns).not.toContain('customer_id');
    console.log(`churn-hgb.joblib: max relative error ${exactness.maxRelativeError.toExponential(2)}`);
  });

  it('evil.pkl: a pickle that would run os.system is refused, and nothing runs', async () => {
    const marker = '/tmp/batchcast-pickle-ran';
    const before = existsSync(marker);
    const err = await importModel(fixtureBytes('native/evil.pkl'), { filename: 'evil.pkl' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelImportError);
    expect((err as ModelImportError).code).toBe('unsafe_pickle');
    expect((err as ModelImportError).message).toMatch(/system/);
    if (!before) expect(existsSync(marker)).toBe(false);
  });
});
