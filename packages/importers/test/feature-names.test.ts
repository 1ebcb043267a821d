/**
 * A converted model's column names come from the file (scikit-learn's feature_names_in_, XGBoost's feature_names):
 * a registration's `features` that says otherwise is refused. The model reads its columns in the order it was
 * fitted on whatever they are called, so "x4,x3,x2,x1,x0" fed x4 where x0 belongs and scored every row from swapped
 * columns (the defect: 201, and most predictions wrong), and "a,b,c,d,e" quietly replaced the names.
 */
import { describe, expect, it } from 'vitest';
import { ModelError, prepareModel } from '@batchcast/inference';
import { importModel } from '../src/index.js';
import { checkFixture, fixtureBytes, scoreCsv } from './helpers.js';

async function refusal(file: string, features: string[]): Promise<ModelError> {
  const imported = await importModel(fixtureBytes(file));
  const err = await prepareModel(imported.onnx, { features }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `${file} registered with features ${features.join(',')}`).toBeInstanceOf(ModelError);
  return err as ModelError;
}

const CASES = [
  // DecisionTreeClassifier fitted on a DataFrame x0..x4; XGBClassifier fitted on a DataFrame f_a..f_e.
  { file: 'sklearn/tree-classifier-str.joblib', names: ['x0', 'x1', 'x2', 'x3', 'x4'], data: 'sklearn/numeric.csv' },
  { file: 'xgboost/binary-logistic.json', names: ['f_a', 'f_b', 'f_c', 'f_d', 'f_e'], data: 'xgboost/binary.csv' },
  { file: 'xgboost/binary-logistic.ubj', names: ['f_a', 'f_b', 'f_c', 'f_d', 'f_e'], data: 'xgboost/binary.csv' },
];

describe('features that contradict the names stored in the model', () => {
  for (const c of CASES) {
    it(`${c.file}: the names reordered or replaced are refused, naming the model's own`, async () => {
      for (const features of [[...c.names].reverse(), ['a', 'b', 'c', 'd', 'e'], ['x', ...c.names.slice(1)]]) {
        const err = await refusal(c.file, features);
        expect(err.code).toBe('bad_features');
        expect(err.message).toContain(`: ${c.names.join(', ')}.`);
        expect(err.message).toContain(`(${features.join(', ')})`);
        expect(err.message).toMatch(/only for models that do not name their columns/);
      }
    });

    it(`${c.file}: the model's own names (as CSV headers compare) register as without them, and score the same`, async () => {
      const imported = await importModel(fixtureBytes(c.file));
      const plain = await prepareModel(imported.onnx);
      const named = await prepareModel(imported.onnx, { features: c.names.map((n) => ` ${n.toUpperCase()} `) });
      expect(named.schema.inputs[0]!.columns).toEqual(c.names.map((n) => n.toUpperCase()));
      const a = await scoreCsv(plain, c.data);
      const b = await scoreCsv(named, c.data);
      expect(b.probabilities).toEqual(a.probabilities);
      expect(b.labels).toEqual(a.labels);
    });
  }

  it('one input per column (a ColumnTransformer on text): features crossing two inputs are refused', async () => {
    const imported = await importModel(fixtureBytes('sklearn/ct-onehot-ignore.joblib'));
    const plain = await prepareModel(imported.onnx);
    const names = plain.schema.inputs.map((i) => i.name);
    expect(names.length).toBeGreaterThan(1);
    const swapped = [names[1]!, names[0]!, ...names.slice(2)];
    const err = await refusal('sklearn/ct-onehot-ignore.joblib', swapped);
    expect(err.code).toBe('bad_features');
    expect(err.message).toContain(names.join(', '));
  });

  it('a model that names no columns still takes features (they are how its columns get names)', async () => {
    await checkFixture('sklearn/tree-regressor.pkl', 'sklearn/numeric.csv', 'sklearn/tree-regressor.expected.csv');
    const imported = await importModel(fixtureBytes('sklearn/tree-regressor.pkl'));
    const prepared = await prepareModel(imported.onnx, { features: ['x0', 'x1', 'x2', 'x3', 'x4'] });
    expect(prepared.schema.inputs[0]!.columns).toEqual(['x0', 'x1', 'x2', 'x3', 'x4']);
  });
});
