/**
 * XGBoost's scikit-learn wrappers pickled whole (joblib.dump(XGBClassifier(...)), pickle.dump): the Booster's
 * serialised model is read from the pickle and converted like a save_model file, and scores as the wrapper's own
 * predict / predict_proba on the same CSV, bit for bit in float32; as the last step of a scikit-learn Pipeline too.
 */
import { describe, expect, it } from 'vitest';
import { OP } from '../src/pickle/opcodes.js';
import { checkFixture, fixtureBytes, float32Steps } from './helpers.js';
import { PickleBuilder } from './pickle-builder.js';
import { importRefusal } from './refusals.js';
import { prepareModel } from '@batchcast/inference';
import { importModel } from '../src/index.js';

const CASES: { model: string; data: string; task: 'classifier' | 'regressor'; format: string; note: string; library?: string }[] = [
  {
    model: 'wrapper-binary.joblib',
    data: 'binary.csv',
    task: 'classifier',
    format: 'sklearn-joblib',
    note: 'DataFrame with missing values',
  },
  { model: 'wrapper-multi.pkl', data: 'multi.csv', task: 'classifier', format: 'sklearn-pickle', note: '3 classes, pickle protocol 5' },
  {
    model: 'wrapper-missing-999.joblib',
    data: 'missing-999.csv',
    task: 'regressor',
    format: 'sklearn-joblib',
    note: "missing=-999 kept by the wrapper, not the booster's attributes",
  },
  {
    model: 'wrapper-early-stopping.joblib',
    data: 'early.csv',
    task: 'classifier',
    format: 'sklearn-joblib',
    note: 'predicts with rounds 0..best_iteration',
  },
  {
    model: 'wrapper-poisson-array.pkl',
    data: 'regression.csv',
    task: 'regressor',
    format: 'sklearn-pickle',
    note: 'count:poisson, fitted on an array, protocol 2',
  },
  // The last step of a scikit-learn Pipeline: the pipeline is the scikit-learn model, XGBoost its final estimator.
  {
    model: 'wrapper-in-pipeline.joblib',
    data: 'binary.csv',
    task: 'classifier',
    format: 'sklearn-joblib',
    note: 'after a StandardScaler, missing values through it',
    library: 'scikit-learn',
  },
  {
    model: 'wrapper-column-transformer.joblib',
    data: 'wrapper-mixed.csv',
    task: 'regressor',
    format: 'sklearn-joblib',
    note: 'after a ColumnTransformer one-hot encoding text',
    library: 'scikit-learn',
  },
];

describe('pickled XGBoost scikit-learn wrappers score like the wrapper', () => {
  for (const c of CASES) {
    it(`${c.model} (${c.note})`, async () => {
      const expected = c.model.replace(/\.(joblib|pkl)$/, '.expected.csv');
      const { imported, prepared, scored } = await checkFixture(`xgboost/${c.model}`, `xgboost/${c.data}`, `xgboost/${expected}`);
      expect(float32Steps(scored, `xgboost/${expected}`)).toBe(0);
      const library = c.library ?? 'xgboost';
      expect(imported).toMatchObject({ format: c.format, library, libraryVersion: library === 'xgboost' ? '1.7.4' : '1.2.1' });
      expect(prepared.schema.task).toBe(c.task);
    });
  }

  it('takes its input columns from the feature names the wrapper was fitted with', async () => {
    const imported = await importModel(fixtureBytes('xgboost/wrapper.joblib'));
    expect(imported.library).toBe('xgboost');
    expect(imported.converted[0]).toMatch(/binary:logistic/);
    const prepared = await prepareModel(imported.onnx);
    expect(prepared.schema.inputs.map((i) => i.columns)).toEqual([['f_a', 'f_b', 'f_c']]);
  });
});

/** A wrapper object `xgboost.sklearn.<cls>` whose state is {key: value} set by `value` (protocol 2, NEWOBJ + BUILD). */
function wrapperPickle(cls: string, key: string, value: (b: PickleBuilder) => void): Uint8Array {
  const b = new PickleBuilder().proto(2).global('xgboost.sklearn', cls).op(OP.EMPTY_TUPLE).op(OP.NEWOBJ);
  b.op(OP.EMPTY_DICT).str(key);
  value(b);
  return b.op(OP.SETITEM).build().stop().toBytes();
}

describe('pickled XGBoost models that cannot be read', () => {
  it('another XGBoost class (XGBRanker) is refused by name, asking for save_model', async () => {
    const err = await importRefusal(wrapperPickle('XGBRanker', 'n_estimators', (b) => b.int(3)));
    expect(err.code).toBe('unsupported_class');
    expect(err.message).toContain('xgboost.sklearn.XGBRanker');
    expect(err.message).toContain('save_model');
  });

  it('a wrapper saved before fit (no _Booster) is not_fitted', async () => {
    const err = await importRefusal(wrapperPickle('XGBClassifier', 'n_estimators', (b) => b.int(3)));
    expect(err.code).toBe('not_fitted');
    expect(err.message).toContain('XGBClassifier');
  });

  it("a Booster whose bytes are not XGBoost's (a pre-1.0 binary model) is refused naming save_model", async () => {
    const booster = (b: PickleBuilder) => {
      b.global('xgboost.core', 'Booster').op(OP.EMPTY_TUPLE).op(OP.NEWOBJ).op(OP.EMPTY_DICT).str('handle');
      b.bytes(new Uint8Array([0x62, 0x69, 0x6e, 0x66, 0, 0, 0, 0]))
        .op(OP.SETITEM)
        .build();
    };
    const err = await importRefusal(wrapperPickle('XGBRegressor', '_Booster', booster));
    expect(err.code).toBe('unsupported_option');
    expect(err.message).toContain('save_model');
  });
});
