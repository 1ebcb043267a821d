/**
 * The graphs importModel makes from scikit-learn decision trees, random forests, extra trees and gradient
 * boosting regressors are scored by
 * @batchcast/inference's forest evaluator instead of ONNX Runtime, with ONNX Runtime's results bit for bit:
 * on each fixture's data, on hostile rows (NaN, infinities, signed zeros, doubles float32 cannot hold, values
 * on, between and one float32 step either side of every threshold) and in batches of every size around the
 * evaluator's eight-row groups. A classifier's per-class copies of each tree are walked once for all classes
 * where they match node for node, and class by class where they do not. The graphs it leaves to ONNX Runtime
 * say why.
 */
import { describe, expect, it } from 'vitest';
import type { RecordBatch } from '@batchcast/csv';
import { firstDifference, forestScorerFor, prepareModel, ScoringSession, seededRandom } from '@batchcast/inference';
import type { PreparedModel } from '@batchcast/inference';
import { importModel } from '../src/index.js';
import { onnx } from '../src/onnx/proto.js';
import { fixtureBatches, fixtureBytes } from './helpers.js';
import { fixtures } from './sklearn-manifest.js';

const ONE_THREAD = { intraOpNumThreads: 1 };

type Model = InstanceType<typeof onnx.ModelProto>;
type Node = InstanceType<typeof onnx.NodeProto>;

const treeNode = (m: Model): Node => m.graph!.node!.find((n) => n.opType === 'TreeEnsemble')! as Node;

/** A double tensor attribute's values (nodes_splits, leaf_weights). */
function doublesOf(node: Node, name: string): number[] {
  const t = node.attribute!.find((a) => a.name === name)!.t!;
  const raw = t.rawData!;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: raw.byteLength / 8 }, (_, i) => view.getFloat64(i * 8, true));
}

const intsOf = (node: Node, name: string): number[] => node.attribute!.find((a) => a.name === name)!.ints!.map(Number);

const f32 = new Float32Array(1);
const bits = new Int32Array(f32.buffer);
/** The next float32 after a finite float32 value, up or down. */
function step(f: number, direction: 1 | -1): number {
  if (f === 0) return direction * 1.401298464324817e-45;
  f32[0] = f;
  bits[0]! += f > 0 === direction > 0 ? 1 : -1;
  return f32[0]!;
}

/**
 * Rows of doubles: the data's rows, and cells replaced by the thresholds of their feature (the double itself,
 * the float32 below and above it, one step beyond either, the double halfway between two float32s), NaN,
 * infinities, signed zeros and doubles beyond float32's range; every third row keeps clear of NaN and infinities
 * so that the trees decide its outputs (a row holding one is answered NaN).
 */
function hostileRows(model: Model, data: Float64Array, width: number, count: number, seed: number): Float64Array {
  const node = treeNode(model);
  const features = intsOf(node, 'nodes_featureids');
  const splits = doublesOf(node, 'nodes_splits');
  const near = Array.from({ length: width }, () => [] as number[]);
  features.forEach((f, i) => {
    const t = splits[i]!;
    const below = Math.fround(t) > t ? step(Math.fround(t), -1) : Math.fround(t);
    const above = step(below, 1);
    near[f]!.push(t, below, above, step(below, -1), step(above, 1), below + (above - below) / 2, -t);
  });
  const finite = [0, -0, 1e-45, -1e-300, 3.4028235677973362e38, -3.4028235677973362e38];
  const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e39, -1e300];
  const next = seededRandom(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)]!;
  const dataRows = data.length / width;
  const x = new Float64Array(count * width);
  for (let r = 0; r < count; r++) {
    const from = (r % dataRows) * width;
    for (let c = 0; c < width; c++) {
      const u = next();
      x[r * width + c] =
        u < 0.02 && r % 3 !== 0
          ? pick(special)
          : u < 0.06
            ? pick(finite)
            : u < 0.6 && near[c]!.length > 0
              ? pick(near[c]!)
              : data[from + c]!;
    }
  }
  return x;
}

/** The fixture's CSV as the platform reads it for the model: one double matrix, all rows. */
async function csvMatrix(prepared: PreparedModel, csvPath: string): Promise<Float64Array> {
  const { batches } = await fixtureBatches(prepared, csvPath, 1000);
  const parts: Float64Array[] = [];
  for await (const batch of batches) parts.push(batch.data[0] as Float64Array);
  const all = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

/** Whether the evaluator walks each tree once for all classes (the importer writes a classifier's trees once per class). */
function walksEachTreeOnce(prepared: PreparedModel): boolean {
  const scorer = forestScorerFor(prepared.bytes, prepared.schema);
  if (typeof scorer === 'string') throw new Error(scorer);
  return 'walksEachTreeOnce' in scorer && scorer.walksEachTreeOnce;
}

async function imported(path: string): Promise<{ model: Model; prepared: PreparedModel }> {
  const bytes = (await importModel(fixtureBytes(path))).onnx;
  return { model: onnx.ModelProto.decode(bytes) as Model, prepared: await prepareModel(bytes) };
}

/** Both engines on the same rows, whole and in batches of 1, 2, 7, 8, 9 and 17 rows: null when they agree. */
async function differences(prepared: PreparedModel, x: Float64Array): Promise<(string | null)[]> {
  const input = prepared.schema.inputs[0]!;
  const targets = [{ name: input.name, type: 'float64' as const, columns: Array.from({ length: input.width }, (_, i) => i) }];
  // As a worker loads a model registered by this evaluator: no ONNX Runtime session at all.
  const forest = await ScoringSession.create(prepared.bytes, prepared.schema, ONE_THREAD);
  const onnxRuntime = await ScoringSession.create(prepared.bytes, prepared.schema, { ...ONE_THREAD, forest: false });
  expect(forest.engine).toEqual({ name: 'forest', reason: null });
  expect(forest.usesOnnxRuntime).toBe(false);
  const batch = (rows: Float64Array): RecordBatch => ({ firstRow: 0, count: rows.length / input.width, data: [rows], errors: [] });
  try {
    const out: (string | null)[] = [];
    for (const rows of [x.length / input.width, 1, 2, 7, 8, 9, 17]) {
      const part = x.subarray(0, rows * input.width);
      out.push(firstDifference(await forest.score(batch(part), targets), await onnxRuntime.score(batch(part), targets)));
    }
    return out;
  } finally {
    await forest.release();
    await onnxRuntime.release();
  }
}

/** Rows holding NaN but no infinity: the hostile rows with every value float32 cannot hold finitely made NaN, and more NaN. */
function nanRows(model: Model, data: Float64Array, width: number, count: number, seed: number): Float64Array {
  const x = hostileRows(model, data, width, count, seed);
  const next = seededRandom(seed + 1);
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(Math.fround(x[i]!)) || next() < 0.15) x[i] = Number.NaN;
  return x;
}

/**
 * The graph as the importer writes it for trees that take NaN (scikit-learn 1.4+ forests): rows refused for an
 * infinity only (Where(IsInf(x), NaN, 0) instead of x * 0), and nodes sending NaN the true way where `tracks`.
 */
function takingNaN(model: Model, tracks: (node: number) => boolean): void {
  const graph = model.graph!;
  const mul = graph.node!.find((n) => n.opType === 'Mul')!;
  const nan = new Float64Array([Number.NaN]);
  graph.initializer!.push(onnx.TensorProto.create({ name: 'nan', dataType: 11, dims: [], rawData: new Uint8Array(nan.buffer) }));
  const isInf = onnx.NodeProto.create({ opType: 'IsInf', input: [mul.input![0]!], output: ['infinite'], name: 'infinite' });
  graph.node!.splice(
    graph.node!.indexOf(mul),
    1,
    isInf,
    onnx.NodeProto.create({ opType: 'Where', input: ['infinite', 'nan', mul.input![1]!], output: mul.output, name: 'refused_if_infinite' }),
  );
  const node = treeNode(model);
  node.attribute!.find((a) => a.name === 'nodes_missing_value_tracks_true')!.ints = intsOf(node, 'nodes_featureids').map((_, i) =>
    tracks(i) ? 1 : 0,
  );
}

const GB_REGRESSORS = ['gb-regressor-squared-error', 'gb-regressor-absolute-error', 'gb-regressor-huber', 'gb-regressor-quantile'];
const TREE_FIXTURES = [
  ...[...fixtures('trees'), ...fixtures('boosting').filter((f) => GB_REGRESSORS.includes(f.name))].map((f) => ({
    model: `sklearn/${f.model}`,
    data: `sklearn/${f.data}`,
  })),
  { model: 'native/breast-cancer-rf.pkl', data: 'native/breast_cancer.csv' },
  { model: 'native/diabetes-gbr.joblib', data: 'native/diabetes.csv' },
  // Random forests grown with max_depth=None: trees 18-24 deep, scored by the compact walk (make_deep_forest.py).
  { model: 'deep-forest/deep-rfc.joblib', data: 'deep-forest/deep.csv' },
  { model: 'deep-forest/deep-rfr.joblib', data: 'deep-forest/deep.csv' },
];

describe("the forest evaluator scores the importer's scikit-learn trees", () => {
  it.each(TREE_FIXTURES)('$model: registered for the evaluator, bit for bit with ONNX Runtime', async ({ model: path, data }) => {
    const { model, prepared } = await imported(path);
    expect(prepared.schema.forestVerified).not.toBeNull();
    // A classifier's copies of each tree, one per class, are walked as one.
    expect(walksEachTreeOnce(prepared)).toBe(prepared.schema.task === 'classifier');
    const rows = await csvMatrix(prepared, data);
    const width = prepared.schema.inputs[0]!.width;
    const same = Array(7).fill(null);
    expect(await differences(prepared, rows)).toEqual(same);
    expect(await differences(prepared, hostileRows(model, rows, width, 3000, 7))).toEqual(same);
  });

  it('answers like ONNX Runtime for rows with NaN or infinities (NaN, the first class) and rows of negative values only', async () => {
    const { prepared } = await imported('sklearn/forest-classifier-multi.joblib');
    const width = prepared.schema.inputs[0]!.width;
    const rows = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e39, -1e-300, -5].flatMap((v) =>
      Array.from({ length: width }, (_, c) => (c === 0 || v < 0 ? v : 1)),
    );
    expect(await differences(prepared, Float64Array.from(rows))).toEqual(Array(7).fill(null));
    const session = await ScoringSession.create(prepared.bytes, prepared.schema, ONE_THREAD);
    const input = prepared.schema.inputs[0]!;
    const targets = [{ name: input.name, type: 'float64' as const, columns: Array.from({ length: width }, (_, i) => i) }];
    const out = await session.score({ firstRow: 0, count: 6, data: [Float64Array.from(rows)], errors: [] }, targets);
    await session.release();
    expect(out.labels!.slice(0, 4)).toEqual(Array(4).fill(prepared.schema.classLabels![0]));
    expect([...out.probabilities!.slice(0, 4 * 3)].every(Number.isNaN)).toBe(true);
    expect([...out.probabilities!.slice(4 * 3)].some(Number.isNaN)).toBe(false);
  });

  it('tree-1.3-missing-field.pkl (a tree that takes NaN, every node sending it left): rows with NaN, bit for bit', async () => {
    const { model, prepared } = await imported('sklearn/tree-1.3-missing-field.pkl');
    expect(prepared.schema.forestVerified).not.toBeNull();
    const rows = await csvMatrix(prepared, 'sklearn/numeric.csv');
    const width = prepared.schema.inputs[0]!.width;
    expect(await differences(prepared, rows)).toEqual(Array(7).fill(null));
    expect(await differences(prepared, hostileRows(model, rows, width, 3000, 5))).toEqual(Array(7).fill(null));
    expect(await differences(prepared, nanRows(model, rows, width, 3000, 9))).toEqual(Array(7).fill(null));
  });

  it.each([
    ['sklearn/forest-classifier-multi.joblib', 'sklearn/numeric.csv'],
    ['sklearn/forest-regressor.joblib', 'sklearn/numeric.csv'],
    ['native/breast-cancer-rf.pkl', 'native/breast_cancer.csv'],
    ['deep-forest/deep-rfc.joblib', 'deep-forest/deep.csv'],
  ])('%s as a forest that takes NaN (some nodes sending it the true way): rows with NaN, bit for bit', async (path, data) => {
    const model = onnx.ModelProto.decode((await importModel(fixtureBytes(path))).onnx) as Model;
    const pattern = seededRandom(3);
    takingNaN(model, () => pattern() < 0.5);
    const prepared = await prepareModel(onnx.ModelProto.encode(model).finish());
    expect(prepared.schema.forestVerified).not.toBeNull();
    const rows = await csvMatrix(prepared, data);
    const width = prepared.schema.inputs[0]!.width;
    expect(await differences(prepared, hostileRows(model, rows, width, 3000, 13))).toEqual(Array(7).fill(null));
    expect(await differences(prepared, nanRows(model, rows, width, 3000, 17))).toEqual(Array(7).fill(null));
  });

  it.each([
    ['native/breast-cancer-rf.pkl', 'native/breast_cancer.csv', 'a threshold'],
    ['native/breast-cancer-rf.pkl', 'native/breast_cancer.csv', 'a feature'],
    ['sklearn/forest-classifier-multi.joblib', 'sklearn/numeric.csv', 'a threshold'],
    ['sklearn/forest-classifier-multi.joblib', 'sklearn/numeric.csv', 'a feature'],
    ['deep-forest/deep-rfc.joblib', 'deep-forest/deep.csv', 'a threshold'],
  ])(
    "%s (rows of %s) with %s changed in one class's copy of one tree: each class walked on its own, bit for bit",
    async (path, data, what) => {
      const model = onnx.ModelProto.decode((await importModel(fixtureBytes(path))).onnx) as Model;
      const node = treeNode(model);
      // The root of the last tree adding to class 1 (its leaves' target, reached down the true branches).
      const roots = intsOf(node, 'tree_roots');
      const trueIds = intsOf(node, 'nodes_truenodeids');
      const trueLeafs = intsOf(node, 'nodes_trueleafs');
      const targetOf = (root: number): number => {
        let i = root;
        while (trueLeafs[i] !== 1) i = trueIds[i]!;
        return intsOf(node, 'leaf_targetids')[trueIds[i]!]!;
      };
      const root = roots.filter((r) => targetOf(r) === 1).at(-1)!;
      if (what === 'a threshold') {
        const splits = node.attribute!.find((a) => a.name === 'nodes_splits')!.t!;
        const view = new DataView(splits.rawData!.buffer, splits.rawData!.byteOffset, splits.rawData!.byteLength);
        view.setFloat64(root * 8, view.getFloat64(root * 8, true) * 0.75 + 0.125, true);
      } else {
        const features = node.attribute!.find((a) => a.name === 'nodes_featureids')!;
        features.ints = intsOf(node, 'nodes_featureids').map((f, i) => (i === root ? (f === 0 ? 1 : 0) : f));
      }
      const prepared = await prepareModel(onnx.ModelProto.encode(model).finish());
      expect(prepared.schema.forestVerified).not.toBeNull();
      expect(walksEachTreeOnce(prepared)).toBe(false);
      const rows = await csvMatrix(prepared, data);
      const width = prepared.schema.inputs[0]!.width;
      expect(await differences(prepared, rows)).toEqual(Array(7).fill(null));
      expect(await differences(prepared, hostileRows(model, rows, width, 3000, 19))).toEqual(Array(7).fill(null));
    },
  );

  it('takes missing-value tracking where the graph answers NaN for every row with a NaN anyway', async () => {
    const bytes = (await importModel(fixtureBytes('sklearn/forest-regressor.joblib'))).onnx;
    const model = onnx.ModelProto.decode(bytes) as Model;
    const node = treeNode(model);
    node.attribute!.find((a) => a.name === 'nodes_missing_value_tracks_true')!.ints = intsOf(node, 'nodes_featureids').map(() => 1);
    const prepared = await prepareModel(onnx.ModelProto.encode(model).finish());
    const width = prepared.schema.inputs[0]!.width;
    const data = Float64Array.from({ length: 50 * width }, (_, i) => ((i * 7919) % 1000) / 100 - 5);
    expect(await differences(prepared, hostileRows(model, data, width, 2000, 11))).toEqual(Array(7).fill(null));
  });
});

/** The engine a one-thread session of the graph (edited by `edit`) gets. */
async function engineOf(path: string, edit?: (node: Node, model: Model) => void) {
  const model = onnx.ModelProto.decode((await importModel(fixtureBytes(path))).onnx) as Model;
  edit?.(treeNode(model), model);
  const prepared = await prepareModel(onnx.ModelProto.encode(model).finish());
  const session = await ScoringSession.create(prepared.bytes, prepared.schema, ONE_THREAD);
  await session.release();
  return { engine: session.engine, verdict: prepared.schema.forestVerified };
}

const setInt = (node: Node, name: string, value: number) => {
  node.attribute!.find((a) => a.name === name)!.i = value;
};

describe('graphs the forest evaluator leaves to ONNX Runtime, saying why', () => {
  it.each([
    [
      'a refusal of positive infinities only',
      'sklearn/tree-1.3-missing-field.pkl',
      (_n: Node, m: Model) =>
        m
          .graph!.node!.find((x) => x.opType === 'IsInf')!
          .attribute!.push(onnx.AttributeProto.create({ name: 'detect_negative', i: 0, type: 2 })),
      'no refusal of rows with infinities',
    ],
    [
      "a gradient boosting classifier (its sigmoid: ONNX Runtime's Exp)",
      'sklearn/gb-classifier-binary.joblib',
      undefined,
      'a Neg node after the sums',
    ],
    [
      'a multi-class gradient boosting classifier (its softmax)',
      'sklearn/gb-classifier-multi.pkl',
      undefined,
      'a Softmax node after the sums',
    ],
    ['XGBoost (float32 sums, CumSum)', 'native/diabetes-xgb.ubj', undefined, '3 tree ensembles'],
    ['a post-transform', 'sklearn/forest-regressor.joblib', (n: Node) => setInt(n, 'post_transform', 2), 'post_transform 2'],
    [
      'two comparison modes',
      'sklearn/forest-regressor.joblib',
      (n: Node) => {
        const t = n.attribute!.find((a) => a.name === 'nodes_modes')!.t!;
        t.rawData = Uint8Array.from(t.rawData!, (m, i) => (i === 3 ? 1 : m));
      },
      'comparison modes 0, 1',
    ],
    [
      'a label that is the last most probable class',
      'sklearn/forest-classifier-multi.joblib',
      (_n: Node, m: Model) =>
        m
          .graph!.node!.find((x) => x.opType === 'ArgMax')!
          .attribute!.push(onnx.AttributeProto.create({ name: 'select_last_index', i: 1, type: 2 })),
      "output 'label' is not the first most probable class",
    ],
    [
      'another divisor node',
      'sklearn/forest-regressor.joblib',
      (_n: Node, m: Model) => {
        m.graph!.node!.find((x) => x.opType === 'Div')!.opType = 'Mul';
      },
      'a Mul node after the sums',
    ],
    [
      'a categorical (MEMBER) node',
      'sklearn/forest-regressor.joblib',
      (n: Node) => {
        const t = n.attribute!.find((a) => a.name === 'nodes_modes')!.t!;
        t.rawData = Uint8Array.from(t.rawData!, (m, i) => (i === 0 ? 6 : m));
        const members = new Float64Array([1, Number.NaN]);
        n.attribute!.push(
          onnx.AttributeProto.create({
            name: 'membership_values',
            type: 4,
            t: onnx.TensorProto.create({ dataType: 11, dims: [2], rawData: new Uint8Array(members.buffer) }),
          }),
        );
      },
      'set membership (MEMBER) nodes',
    ],
  ])('%s', async (_what, path, edit, reason) => {
    expect(await engineOf(path, edit)).toEqual({ engine: { name: 'onnxruntime', reason }, verdict: null });
  });
});
