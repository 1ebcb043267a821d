/**
 * What converters get from readPickle, spelled out on real models: the shapes the scikit-learn converter codes
 * against (PyObject attributes, NdArray columns of structured tree arrays, dtypes, shared references).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NdArray, PyBytes, PyDType, PyGlobal, PyObject, PyTuple, type PyValue, readPickle } from '../src/pickle/index.js';
import { OP } from '../src/pickle/opcodes.js';
import { pickle } from './pickle-builder.js';

const read = (name: string) => readPickle(new Uint8Array(readFileSync(new URL(`./fixtures/pickle/${name}`, import.meta.url))));

function obj(v: PyValue | undefined): PyObject {
  expect(v).toBeInstanceOf(PyObject);
  return v as PyObject;
}
function arr(v: PyValue | undefined): NdArray {
  expect(v).toBeInstanceOf(NdArray);
  return v as NdArray;
}
/** The estimator of step `i` of a Pipeline. */
function step(pipeline: PyObject, i: number): PyObject {
  const steps = pipeline.attr('steps') as PyValue[];
  return obj((steps[i] as PyTuple).items[1]);
}

describe('estimators as PyObjects', () => {
  it('iris-pipeline.joblib: a Pipeline of StandardScaler and LogisticRegression with string classes', () => {
    const pipeline = obj(read('iris-pipeline.joblib'));
    expect(pipeline.qualifiedName).toBe('sklearn.pipeline.Pipeline');
    const scaler = step(pipeline, 0);
    const model = step(pipeline, 1);
    expect(scaler.qualifiedName).toBe('sklearn.preprocessing._data.StandardScaler');
    expect(arr(scaler.attr('mean_')).toNumbers().slice(0, 2)).toEqual([5.843333333333334, 3.0573333333333337]);
    expect(arr(scaler.attr('feature_names_in_')).data).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    expect(model.qualifiedName).toBe('sklearn.linear_model._logistic.LogisticRegression');
    expect(arr(model.attr('classes_')).data).toEqual(['setosa', 'versicolor', 'virginica']);
    const coef = arr(model.attr('coef_'));
    expect(coef.shape).toEqual([3, 4]);
    expect(coef.dtype.str).toBe('<f8');
    expect(coef.data).toBeInstanceOf(Float64Array);
  });

  it('breast-cancer-rf.pkl: trees as Tree objects whose nodes are a structured array, read by field', () => {
    const forest = obj(read('breast-cancer-rf.pkl'));
    expect(forest.attr('n_features_in_')).toBe(30);
    const tree = obj(obj((forest.attr('estimators_') as PyValue[])[0]).attr('tree_'));
    expect(tree.qualifiedName).toBe('sklearn.tree._tree.Tree');
    // Tree.__reduce__: (Tree, (n_features, n_classes, n_outputs), state)
    expect(tree.args[0]).toBe(30);
    expect(arr(tree.args[1]).toNumbers()).toEqual([2]);
    expect(tree.attr('node_count')).toBe(37);
    const nodes = arr(tree.attr('nodes'));
    expect(nodes.shape).toEqual([37]);
    expect(nodes.hasField('threshold')).toBe(true);
    expect(nodes.field('threshold').toNumbers().slice(0, 3)).toEqual([0.14159999787807465, 0.11574999988079071, 17.479999542236328]);
    expect(nodes.field('left_child').data).toBeInstanceOf(BigInt64Array);
    expect(nodes.field('left_child').toNumbers().slice(0, 3)).toEqual([1, 2, 3]);
    expect(nodes.field('feature').toNumbers().slice(0, 3)).toEqual([27, 27, 20]);
    expect(arr(tree.attr('values')).shape).toEqual([37, 1, 2]);
  });

  it('churn-hgb.joblib: HistGradientBoosting predictors, its Cython loss and the ColumnTransformer', () => {
    const pipeline = obj(read('churn-hgb.joblib'));
    const columns = step(pipeline, 0);
    const transformers = (columns.attr('transformers_') as PyValue[]).map((t) => (t as PyTuple).items);
    expect(transformers.map(([name, t, cols]) => [name, obj(t).name, cols])).toEqual([
      ['cat', 'OneHotEncoder', ['contract', 'payment_method']],
      ['num', 'Pipeline', ['tenure_months', 'monthly_charges', 'support_tickets']],
    ]);
    const model = step(pipeline, 1);
    const loss = obj(model.attr('_loss'));
    expect(loss.qualifiedName).toBe('sklearn._loss.loss.HalfBinomialLoss');
    const closs = obj(loss.attr('closs'));
    expect(closs.qualifiedName).toBe('sklearn._loss._loss.CyHalfBinomialLoss');
    expect(closs.state).toBeInstanceOf(PyTuple);
    const predictor = obj(((model.attr('_predictors') as PyValue[])[0] as PyValue[])[0]);
    expect(predictor.qualifiedName).toBe('sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor');
    expect(arr(predictor.attr('nodes')).field('num_threshold').toNumbers().slice(0, 3)).toEqual([
      0.5, -0.8442181631279244, -1.426345583077938,
    ]);
    expect(arr(model.attr('_baseline_prediction')).toNumbers()).toEqual([-0.34127416661662036]);
  });

  it('numpy dtypes as values are PyDType objects; scalar types are PyGlobals', () => {
    const pipeline = obj(read('pipeline-ct-logreg-df.p4.pkl'));
    const columns = step(pipeline, 0);
    const numeric = obj(((columns.attr('transformers_') as PyValue[])[0] as PyTuple).items[1]);
    const imputer = step(numeric, 0);
    const fitDType = imputer.attr('_fit_dtype');
    expect(fitDType).toBeInstanceOf(PyDType);
    expect((fitDType as PyDType).dtype.str).toBe('<f8');
    expect((fitDType as PyDType).qualifiedName).toBe('numpy.dtype');
    const onehot = obj(((columns.attr('transformers_') as PyValue[])[3] as PyTuple).items[1]);
    expect(onehot.attr('dtype')).toEqual(new PyGlobal('numpy', 'float64'));
  });

  it('random states are recorded, not seeded', () => {
    const gb = obj(read('gbr-huber-df.p5.pkl'));
    const rng = obj(gb.attr('_rng'));
    expect(rng.qualifiedName).toBe('numpy.random.mtrand.RandomState');
    const state = obj(rng).attr('state');
    expect(state).toBeDefined();
  });
});

describe('plain values', () => {
  it('numpy scalars become plain numbers (bigint beyond 2^53), bytes PyBytes', () => {
    const arrays = read('numpy-arrays.p2.pkl') as { get(k: string): PyValue };
    expect(arrays.get('scalars')).toEqual([1.25, -0.5, -7, 200, true, 'ab', 2n ** 60n, 0.5]);
    const builtins = read('builtins.p2.pkl') as { get(k: string): PyValue };
    expect(builtins.get('bytes')).toEqual(new PyBytes(Uint8Array.of(0, 1, 97, 98, 99, 255)));
    expect(builtins.get('big_ints')).toEqual([2n ** 53n, 2n ** 53n + 1n, -(2n ** 70n), 2n ** 200n, 255, -1, 0]);
  });

  it('shared references stay shared', () => {
    const shared = read('shared.p4.pkl') as { get(k: string): PyValue };
    expect(shared.get('a')).toBeInstanceOf(NdArray);
    expect(shared.get('a')).toBe(shared.get('b'));
    expect(shared.get('l1')).toBe(shared.get('l2'));
  });

  it('Fortran-ordered and big-endian arrays come out in C order with their values', () => {
    const arrays = read('numpy-arrays.p5.pkl') as { get(k: string): PyValue };
    const f = arr(arrays.get('fortran3d_be'));
    expect(f.shape).toEqual([2, 3, 4]);
    expect(f.toNumbers()).toEqual(Array.from({ length: 24 }, (_, i) => i));
    const structured = arr(arrays.get('structured'));
    expect(structured.field('n').field('x').toNumbers()).toEqual([1.5, -2.25, 3e300]);
    expect(structured.field('s').data).toEqual(['ab', 'c', 'déf']);
  });
});

describe('names of other scikit-learn versions', () => {
  it('reads ColumnTransformer remainder columns of scikit-learn >= 1.5 (a list subclass with state)', () => {
    const bytes = pickle()
      .proto(4)
      .stackGlobal('sklearn.compose._column_transformer', '_RemainderColsList')
      .op(OP.EMPTY_TUPLE)
      .op(OP.NEWOBJ)
      .mark()
      .str('tenure')
      .str('plan')
      .op(OP.APPENDS)
      .op(OP.EMPTY_DICT)
      .str('future_dtype')
      .str('str')
      .op(OP.SETITEM)
      .build()
      .stop()
      .toBytes();
    const cols = obj(readPickle(bytes));
    expect(cols.listItems).toEqual(['tenure', 'plan']);
    expect(cols.attr('future_dtype')).toBe('str');
  });

  it('reads the Cython losses of scikit-learn >= 1.3 GradientBoosting with their parameters', () => {
    const bytes = pickle()
      .proto(2)
      .global('sklearn._loss._loss', '__pyx_unpickle_CyPinballLoss')
      .global('sklearn._loss._loss', 'CyPinballLoss')
      .int(12345)
      .raw(OP.BINFLOAT, 0x3f, 0xe9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a)
      .op(OP.TUPLE1)
      .op(OP.TUPLE3)
      .reduce()
      .stop()
      .toBytes();
    const closs = obj(readPickle(bytes));
    expect(closs.qualifiedName).toBe('sklearn._loss._loss.CyPinballLoss');
    expect(closs.state).toEqual(new PyTuple([0.8]));
  });

  it('refuses a Cython unpickle function applied to another class', () => {
    const bytes = pickle()
      .proto(2)
      .global('sklearn._loss._loss', '__pyx_unpickle_CyPinballLoss')
      .global('sklearn._loss._loss', 'CyHalfSquaredError')
      .int(1)
      .op(OP.EMPTY_TUPLE)
      .op(OP.TUPLE3)
      .reduce()
      .stop()
      .toBytes();
    expect(() => readPickle(bytes)).toThrow(/__pyx_unpickle_CyPinballLoss is called for another class/);
  });
});
