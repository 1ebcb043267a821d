/**
 * The forest evaluator: which models it takes, and that it gives ONNX Runtime's results bit for bit on them,
 * for the example models, for edited forms (BRANCH_LT, three classes with string labels, AVERAGE, base
 * values), for hostile values (NaN, infinities, signed zeros, values one float32 step either side of every
 * threshold) and for every batch size around its eight-row groups.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RecordBatch } from '@batchcast/csv';
import { prepareModel, ScoringSession } from '../src/index.js';
import type { BatchPredictions, PreparedModel } from '../src/index.js';
import { onnx } from '../src/onnx-proto.js';
import type { AttributeProto, ModelProto, NodeProto } from '../src/onnx-proto.js';
import { type Ensemble, readEnsemble } from '../src/forest/ensemble.js';
import { float32Threshold, nextFloat32 } from '../src/forest/float32.js';
import { CompactForest } from '../src/forest/compact-forest.js';
import { layOutForest } from '../src/forest/forest-layout.js';
import { PaddedForest } from '../src/forest/padded-forest.js';
import { firstDifference, seededRandom } from '../src/forest/verify-forest.js';
import { editModel, modelBytes, readCsv } from './helpers.js';

const ONE_THREAD = { intraOpNumThreads: 1 };

function ensembleNode(m: ModelProto): NodeProto {
  return m.graph!.node!.find((n) => n.opType?.startsWith('TreeEnsemble'))!;
}

function setAttribute(node: NodeProto, attr: AttributeProto & { name: string }): void {
  node.attribute = node.attribute!.filter((a) => a.name !== attr.name);
  node.attribute.push(onnx.AttributeProto.create(attr));
}

function floats(node: NodeProto, name: string): number[] {
  return [...(node.attribute!.find((a) => a.name === name)?.floats ?? [])];
}

function ints(node: NodeProto, name: string): number[] {
  return (node.attribute!.find((a) => a.name === name)?.ints ?? []).map(Number);
}

/**
 * Rows of `width` float32 values: the example data's own values, the model's thresholds and the float32 values
 * either side of them, NaN, infinities and signed zeros, mixed per cell.
 */
function hostileRows(model: ModelProto, width: number, count: number, seed: number, data: number[][] = []): Float32Array {
  const node = ensembleNode(model);
  const features = ints(node, 'nodes_featureids');
  const thresholds = floats(node, 'nodes_values');
  const near = Array.from({ length: width }, () => [] as number[]);
  features.forEach((f, i) => {
    const t = Math.fround(thresholds[i]!);
    near[f]!.push(t, nextFloat32(t, 1), nextFloat32(t, -1));
  });
  const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 1e-45, -3.4028234663852886e38];
  const next = seededRandom(seed);
  const x = new Float32Array(count * width);
  for (let r = 0; r < count; r++) {
    const row = data.length > 0 ? data[r % data.length]! : null;
    for (let c = 0; c < width; c++) {
      const u = next();
      const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)]!;
      x[r * width + c] = u < 0.05 ? pick(special) : u < 0.55 && near[c]!.length > 0 ? pick(near[c]!) : row ? row[c]! : next() * 100 - 50;
    }
  }
  return x;
}

function batchOf(x: Float32Array, width: number): RecordBatch {
  return { firstRow: 0, count: x.length / width, data: [x], errors: [] };
}

async function bothEngines(prepared: PreparedModel) {
  const forest = await ScoringSession.create(prepared.bytes, prepared.schema, ONE_THREAD);
  const onnxRuntime = await ScoringSession.create(prepared.bytes, prepared.schema, { ...ONE_THREAD, forest: false });
  const input = prepared.schema.inputs[0]!;
  const targets = [{ name: input.name, type: 'float32' as const, columns: Array.from({ length: input.width }, (_, i) => i) }];
  return {
    forest,
    onnxRuntime,
    width: input.width,
    score: (s: ScoringSession, x: Float32Array) => s.score(batchOf(x, input.width), targets),
    release: async () => {
      await forest.release();
      await onnxRuntime.release();
    },
  };
}

/** Scores the rows with both engines, in batches of every size around the evaluator's eight-row groups. */
async function expectSameAsOnnxRuntime(prepared: PreparedModel, x: Float32Array): Promise<BatchPredictions> {
  const e = await bothEngines(prepared);
  try {
    expect(e.forest.engine).toEqual({ name: 'forest', reason: null });
    const whole = await e.score(e.forest, x);
    expect(firstDifference(whole, await e.score(e.onnxRuntime, x))).toBeNull();
    for (const rows of [1, 2, 7, 8, 9, 17]) {
      const part = x.subarray(0, rows * e.width);
      expect(firstDifference(await e.score(e.forest, part), await e.score(e.onnxRuntime, part))).toBeNull();
    }
    return whole;
  } finally {
    await e.release();
  }
}

const cancer = readCsv('breast_cancer.csv');
const cancerRows = cancer.rows.map((r) => r.slice(1).map(Number));
const diabetes = readCsv('diabetes.csv');
const diabetesRows = diabetes.rows.map((r) => r.slice(0, 10).map(Number));

describe('which models the forest evaluator takes', () => {
  it('takes the example forests and leaves the other example models to ONNX Runtime, saying why', async () => {
    const engines: Record<string, unknown> = {};
    for (const file of ['breast-cancer-rf.onnx', 'diabetes-gbr.onnx', 'iris-logreg.onnx', 'churn-pipeline.onnx']) {
      const prepared = await prepareModel(modelBytes(file));
      const session = await ScoringSession.create(prepared.bytes, prepared.schema, { intraOpNumThreads: 2 });
      engines[file] = session.engine;
      await session.release();
    }
    expect(engines).toEqual({
      'breast-cancer-rf.onnx': { name: 'forest', reason: null },
      'diabetes-gbr.onnx': { name: 'forest', reason: null },
      'iris-logreg.onnx': { name: 'onnxruntime', reason: '0 tree ensembles' },
      'churn-pipeline.onnx': { name: 'onnxruntime', reason: 'not one float input' },
    });
  });

  it.each([
    [
      'missing-value tracking',
      (n: NodeProto) => setAttribute(n, { name: 'nodes_missing_value_tracks_true', ints: ints(n, 'nodes_treeids').map(() => 1), type: 7 }),
      'missing-value tracking',
    ],
    [
      'a LOGISTIC post-transform',
      (n: NodeProto) => setAttribute(n, { name: 'post_transform', s: new TextEncoder().encode('LOGISTIC'), type: 3 }),
      'post_transform LOGISTIC',
    ],
    [
      'two comparison modes',
      (n: NodeProto) => {
        const modes = n.attribute!.find((a) => a.name === 'nodes_modes')!.strings!.map((s) => new TextDecoder().decode(s));
        const first = modes.indexOf('BRANCH_LEQ');
        modes[first] = 'BRANCH_LT';
        setAttribute(n, { name: 'nodes_modes', strings: modes.map((m) => new TextEncoder().encode(m)), type: 8 });
      },
      'comparison modes BRANCH_LT, BRANCH_LEQ',
    ],
  ])('leaves a forest with %s to ONNX Runtime', async (_what, edit, reason) => {
    const prepared = await prepareModel(editModel('breast-cancer-rf.onnx', (m) => edit(ensembleNode(m))));
    const session = await ScoringSession.create(prepared.bytes, prepared.schema, ONE_THREAD);
    expect(session.engine).toEqual({ name: 'onnxruntime', reason });
    await session.release();
  });

  it('takes trees deeper than it pads (the compact walk), and scores them as ONNX Runtime does', async () => {
    // One tree, a chain of 13 comparisons on feature 0 (x <= 0, x <= 1, ...), leaf k worth k.
    const depth = 13;
    const ids = Array.from({ length: 2 * depth + 1 }, (_, i) => i);
    const branch = (i: number) => i % 2 === 0 && i < 2 * depth;
    const node = onnx.NodeProto.create({
      opType: 'TreeEnsembleRegressor',
      domain: 'ai.onnx.ml',
      input: ['input'],
      output: ['variable'],
      attribute: [
        { name: 'nodes_treeids', ints: ids.map(() => 0), type: 7 },
        { name: 'nodes_nodeids', ints: ids, type: 7 },
        { name: 'nodes_featureids', ints: ids.map(() => 0), type: 7 },
        { name: 'nodes_modes', strings: ids.map((i) => new TextEncoder().encode(branch(i) ? 'BRANCH_LEQ' : 'LEAF')), type: 8 },
        { name: 'nodes_values', floats: ids.map((i) => (branch(i) ? i / 2 : 0)), type: 6 },
        { name: 'nodes_truenodeids', ints: ids.map((i) => (branch(i) ? i + 1 : 0)), type: 7 },
        { name: 'nodes_falsenodeids', ints: ids.map((i) => (branch(i) ? i + 2 : 0)), type: 7 },
        { name: 'target_treeids', ints: ids.filter((i) => !branch(i)).map(() => 0), type: 7 },
        { name: 'target_nodeids', ints: ids.filter((i) => !branch(i)), type: 7 },
        { name: 'target_ids', ints: ids.filter((i) => !branch(i)).map(() => 0), type: 7 },
        { name: 'target_weights', floats: ids.filter((i) => !branch(i)).map((i) => i), type: 6 },
        { name: 'n_targets', i: 1, type: 2 },
      ],
    });
    const tensor = (name: string, width: number) =>
      onnx.ValueInfoProto.create({
        name,
        type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: width }] } } },
      });
    const bytes = onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 8,
        opsetImport: [
          { domain: '', version: 17 },
          { domain: 'ai.onnx.ml', version: 3 },
        ],
        graph: { name: 'chain', node: [node], input: [tensor('input', 1)], output: [tensor('variable', 1)] },
      }),
    ).finish();
    const prepared = await prepareModel(bytes);
    const ensemble = readEnsemble(node);
    if (typeof ensemble === 'string') throw new Error(ensemble);
    expect(PaddedForest.build(ensemble)).toBe('trees 13 deep');
    const x = Float32Array.from([-1, 0.5, 5, 11.5, 100, Number.NaN, -0, 12, nextFloat32(12, 1), Number.POSITIVE_INFINITY]);
    const out = await expectSameAsOnnxRuntime(prepared, x);
    expect([...out.values!]).toEqual([1, 3, 11, 25, 26, 26, 1, 25, 26, 26]);
  });

  it('can be turned off', async () => {
    const prepared = await prepareModel(modelBytes('breast-cancer-rf.onnx'));
    const session = await ScoringSession.create(prepared.bytes, prepared.schema, { ...ONE_THREAD, forest: false });
    expect(session.engine.name).toBe('onnxruntime');
    await session.release();
  });
});

describe('the forest evaluator gives ONNX Runtime results bit for bit', () => {
  it('breast-cancer-rf (binary, BRANCH_LEQ) on its data and on hostile values', async () => {
    const prepared = await prepareModel(modelBytes('breast-cancer-rf.onnx'));
    const model = onnx.ModelProto.decode(modelBytes('breast-cancer-rf.onnx'));
    const out = await expectSameAsOnnxRuntime(prepared, hostileRows(model, 30, 6000, 1, cancerRows));
    // Both ways of the label rule are met.
    expect(new Set(out.labels)).toEqual(new Set([0, 1]));
    await expectSameAsOnnxRuntime(prepared, Float32Array.from(cancerRows.flat()));
  });

  it('diabetes-gbr (SUM with a base value) on its data and on hostile values', async () => {
    const prepared = await prepareModel(modelBytes('diabetes-gbr.onnx'));
    const model = onnx.ModelProto.decode(modelBytes('diabetes-gbr.onnx'));
    await expectSameAsOnnxRuntime(prepared, hostileRows(model, 10, 6000, 2, diabetesRows));
    await expectSameAsOnnxRuntime(prepared, Float32Array.from(diabetesRows.flat()));
  });

  it('a binary score of exactly 0.5 (the label rule is strictly greater)', async () => {
    // Leaf weights of 0 or 1/128 (exact in binary): a row reaching 64 weighted leaves scores exactly 0.5.
    const edit = (m: ModelProto) => {
      const n = ensembleNode(m);
      const next = seededRandom(7);
      setAttribute(n, { name: 'class_weights', floats: floats(n, 'class_weights').map(() => (next() < 0.64 ? 1 / 128 : 0)), type: 6 });
    };
    const bytes = editModel('breast-cancer-rf.onnx', edit);
    const out = await expectSameAsOnnxRuntime(
      await prepareModel(bytes),
      hostileRows(onnx.ModelProto.decode(bytes), 30, 6000, 8, cancerRows),
    );
    const halves = [...out.probabilities!.filter((_, i) => i % 2 === 1)].filter((p) => p === 0.5).length;
    expect(halves).toBeGreaterThan(10);
  });

  it('BRANCH_LT (XGBoost-style comparisons), so values equal to a threshold go the other way', async () => {
    const edit = (m: ModelProto) => {
      const n = ensembleNode(m);
      const modes = n.attribute!.find((a) => a.name === 'nodes_modes')!.strings!.map((s) => new TextDecoder().decode(s));
      setAttribute(n, {
        name: 'nodes_modes',
        strings: modes.map((s) => new TextEncoder().encode(s === 'LEAF' ? s : 'BRANCH_LT')),
        type: 8,
      });
    };
    const bytes = editModel('breast-cancer-rf.onnx', edit);
    await expectSameAsOnnxRuntime(await prepareModel(bytes), hostileRows(onnx.ModelProto.decode(bytes), 30, 6000, 3, cancerRows));
  });

  it('AVERAGE with a base value', async () => {
    const edit = (m: ModelProto) => {
      const n = ensembleNode(m);
      setAttribute(n, { name: 'aggregate_function', s: new TextEncoder().encode('AVERAGE'), type: 3 });
      setAttribute(n, { name: 'base_values', floats: [12.375], type: 6 });
    };
    const bytes = editModel('diabetes-gbr.onnx', edit);
    await expectSameAsOnnxRuntime(await prepareModel(bytes), hostileRows(onnx.ModelProto.decode(bytes), 10, 4000, 4, diabetesRows));
  });

  it('three classes with string labels, leaves weighting some classes only, ties', async () => {
    // Each leaf of the forest gets weights for three classes, some left out; equal weights make ties.
    const edit = (m: ModelProto) => {
      const n = ensembleNode(m);
      const trees = ints(n, 'class_treeids');
      const nodes = ints(n, 'class_nodeids');
      const weights = floats(n, 'class_weights');
      const next = seededRandom(5);
      const t: number[] = [];
      const id: number[] = [];
      const cls: number[] = [];
      const w: number[] = [];
      trees.forEach((tree, i) => {
        for (let k = 0; k < 3; k++) {
          if (k > 0 && next() < 0.3) continue;
          t.push(tree);
          id.push(nodes[i]!);
          cls.push(k);
          w.push(next() < 0.2 ? 0.01 : Math.fround(weights[i]! * (k + 1) * next()));
        }
      });
      setAttribute(n, { name: 'class_treeids', ints: t, type: 7 });
      setAttribute(n, { name: 'class_nodeids', ints: id, type: 7 });
      setAttribute(n, { name: 'class_ids', ints: cls, type: 7 });
      setAttribute(n, { name: 'class_weights', floats: w, type: 6 });
      n.attribute = n.attribute!.filter((a) => a.name !== 'classlabels_int64s');
      setAttribute(n, { name: 'classlabels_strings', strings: ['low', 'mid', 'high'].map((s) => new TextEncoder().encode(s)), type: 8 });
      // The ZipMap (int64 keys) goes; the ensemble's probability tensor is the output.
      m.graph!.node = m.graph!.node!.filter((node) => node.opType !== 'ZipMap');
      m.graph!.output![0]!.type!.tensorType!.elemType = onnx.TensorProto.DataType.STRING;
      m.graph!.output![1] = onnx.ValueInfoProto.create({
        name: n.output![1],
        type: {
          tensorType: {
            elemType: onnx.TensorProto.DataType.FLOAT,
            shape: { dim: [{ dimParam: 'N' }, { dimValue: 3 }] },
          },
        },
      });
    };
    const bytes = editModel('breast-cancer-rf.onnx', edit);
    const prepared = await prepareModel(bytes);
    expect(prepared.schema.classLabels).toEqual(['low', 'mid', 'high']);
    const out = await expectSameAsOnnxRuntime(prepared, hostileRows(onnx.ModelProto.decode(bytes), 30, 6000, 6, cancerRows));
    expect(new Set(out.labels)).toEqual(new Set(['low', 'mid', 'high']));
  });
});

/**
 * A float-input model of `trees` random trees, lopsided and deep (most 15-30 levels: the compact walk's), over
 * `width` features: a SUM regressor (classes 0), a binary classifier weighted on class 0 as skl2onnx writes
 * them (classes 2) or a three-class one (classes 3), its outputs the ensemble's own.
 */
function deepForestModel(seed: number, trees: number, width: number, classes: 0 | 2 | 3): Uint8Array {
  const next = seededRandom(seed);
  const a = {
    treeIds: [] as number[],
    nodeIds: [] as number[],
    features: [] as number[],
    modes: [] as string[],
    values: [] as number[],
    trueIds: [] as number[],
    falseIds: [] as number[],
    leafTree: [] as number[],
    leafNode: [] as number[],
    leafTarget: [] as number[],
    leafWeight: [] as number[],
  };
  for (let t = 0; t < trees; t++) {
    let ids = 0;
    const grow = (depth: number): number => {
      const id = ids++;
      const at = a.nodeIds.length;
      a.treeIds.push(t);
      a.nodeIds.push(id);
      const leaf = depth >= 30 || (depth > 2 && next() < 0.45);
      a.features.push(leaf ? 0 : Math.floor(next() * width));
      a.modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      a.values.push(leaf ? 0 : Math.round((next() * 100 - 50) * 1000) / 1000);
      a.trueIds.push(0);
      a.falseIds.push(0);
      if (leaf) {
        const targets = classes === 3 ? [0, 1, 2].filter((k) => k === 0 || next() < 0.7) : [0];
        for (const k of targets) {
          a.leafTree.push(t);
          a.leafNode.push(id);
          a.leafTarget.push(k);
          a.leafWeight.push(classes === 0 ? Math.round((next() * 20 - 10) * 1000) / 1000 : Math.fround(next() / trees));
        }
      } else {
        a.trueIds[at] = grow(depth + 1);
        a.falseIds[at] = grow(depth + 1);
      }
      return id;
    };
    grow(0);
  }
  const classifier = classes > 0;
  const ints = (name: string, values: number[]) => ({ name, ints: values, type: 7 });
  const leafPrefix = classifier ? 'class' : 'target';
  const node = onnx.NodeProto.create({
    opType: classifier ? 'TreeEnsembleClassifier' : 'TreeEnsembleRegressor',
    domain: 'ai.onnx.ml',
    input: ['input'],
    output: classifier ? ['label', 'probabilities'] : ['variable'],
    attribute: [
      ints('nodes_treeids', a.treeIds),
      ints('nodes_nodeids', a.nodeIds),
      ints('nodes_featureids', a.features),
      { name: 'nodes_modes', strings: a.modes.map((m) => new TextEncoder().encode(m)), type: 8 },
      { name: 'nodes_values', floats: a.values, type: 6 },
      ints('nodes_truenodeids', a.trueIds),
      ints('nodes_falsenodeids', a.falseIds),
      ints(`${leafPrefix}_treeids`, a.leafTree),
      ints(`${leafPrefix}_nodeids`, a.leafNode),
      ints(`${leafPrefix}_ids`, a.leafTarget),
      { name: `${leafPrefix}_weights`, floats: a.leafWeight, type: 6 },
      ...(classifier
        ? [
            ints(
              'classlabels_int64s',
              Array.from({ length: classes }, (_, k) => k),
            ),
          ]
        : [{ name: 'n_targets', i: 1, type: 2 }]),
    ],
  });
  const tensor = (name: string, type: number, dims: number[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: type, shape: { dim: [{ dimParam: 'N' }, ...dims.map((d) => ({ dimValue: d }))] } } },
    });
  const { FLOAT, INT64 } = onnx.TensorProto.DataType;
  const outputs = classifier ? [tensor('label', INT64, []), tensor('probabilities', FLOAT, [classes])] : [tensor('variable', FLOAT, [1])];
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [
        { domain: '', version: 17 },
        { domain: 'ai.onnx.ml', version: 3 },
      ],
      graph: { name: 'deep', node: [node], input: [tensor('input', FLOAT, [width])], output: outputs },
    }),
  ).finish();
}

/** The model's ensemble as the evaluator reads it. */
function ensembleOf(bytes: Uint8Array) {
  const ensemble = readEnsemble(ensembleNode(onnx.ModelProto.decode(bytes)));
  if (typeof ensemble === 'string') throw new Error(ensemble);
  return ensemble;
}

describe('deep trees: the compact walk', () => {
  it.each([
    ['a SUM regressor', 0, 21],
    ['a binary classifier', 2, 22],
    ['a three-class classifier', 3, 23],
  ] as const)('%s of 12 trees 15-30 deep: ONNX Runtime bit for bit on hostile rows', async (_what, classes, seed) => {
    const bytes = deepForestModel(seed, 12, 6, classes);
    const ensemble = ensembleOf(bytes);
    expect(PaddedForest.build(ensemble)).toMatch(/^trees (1[3-9]|2\d|30) deep$/);
    const laidOut = layOutForest(ensemble);
    expect(typeof laidOut !== 'string' && [laidOut.layout, laidOut.walk]).toEqual(['compact', 'wasm']);
    const out = await expectSameAsOnnxRuntime(await prepareModel(bytes), hostileRows(onnx.ModelProto.decode(bytes), 6, 6000, seed));
    if (classes > 0) expect(new Set(out.labels).size).toBe(classes);
  });

  it.each([
    ['breast-cancer-rf.onnx', 30, cancerRows],
    ['diabetes-gbr.onnx', 10, diabetesRows],
    ['a deep random forest', 6, []],
  ])(
    '%s: the same sums as the padded walk (where it takes the forest), in WebAssembly and JavaScript, every batch size',
    async (file, width, rows) => {
      const bytes = file.endsWith('.onnx') ? (await prepareModel(modelBytes(file))).bytes : deepForestModel(31, 12, 6, 0);
      const ensemble = ensembleOf(bytes);
      const walks = [
        CompactForest.build(ensemble),
        CompactForest.build(ensemble, { wasm: false }),
        PaddedForest.build(ensemble, { wasm: false }),
      ];
      const [wasm, js, padded] = walks.map((w) => (typeof w === 'string' ? null : w));
      expect([wasm?.walk, js?.walk]).toEqual(['wasm', 'js']);
      const x = hostileRows(onnx.ModelProto.decode(bytes), width, 20_000, 9, rows);
      const next = seededRandom(13);
      // One instance, batch after batch: 20,000 rows make its memory grow after smaller batches were scored in it.
      for (const count of [1, 7, 8, 9, 16, 17, 64, 20_000, 3, 8_192]) {
        const start = Float64Array.from({ length: count }, () => next() - 0.5);
        const sums = [wasm!, js!, ...(padded ? [padded] : [])].map((w) => {
          const s = start.slice();
          w.addScores(x, width, count, s);
          return Buffer.from(s.buffer);
        });
        for (const s of sums.slice(1)) expect(sums[0]!.equals(s), `${count} rows`).toBe(true);
        expect(sums[0]!.equals(Buffer.from(start.buffer))).toBe(false);
      }
    },
  );

  it('is the build of compact-walk.wat (run packages/wasm/scripts/build-wasm.mjs after editing it)', async () => {
    const build = await import('@batchcast/wasm/build');
    expect(build.committedWasmModuleSource('compact-walk')).toBe(await build.buildWasmModuleSource('compact-walk'));
  });
});

describe('several slots a leaf: one walk for outputs sharing the trees', () => {
  /** The ensemble with `slots` weights a leaf, drawn at random (signs, magnitudes and zeros that round when summed). */
  function withSlots(e: Ensemble, slots: number, seed: number): Ensemble {
    const next = seededRandom(seed);
    const leaves = e.leafWeights.length / e.slots;
    const weight = () => (next() < 0.1 ? 0 : (next() - 0.3) * 10 ** Math.floor(next() * 6 - 3));
    return {
      ...e,
      output: 'sum',
      slots,
      leafWeights: Float64Array.from({ length: leaves * slots }, weight),
      leafClasses: new Int32Array(leaves),
    };
  }
  /** Slot k of a several-slot ensemble, as a one-slot ensemble. */
  const slotOf = (e: Ensemble, k: number): Ensemble => ({
    ...e,
    slots: 1,
    leafWeights: e.leafWeights.filter((_, i) => i % e.slots === k),
    leafClasses: new Int32Array(e.leafWeights.length / e.slots),
  });

  it.each([
    ['breast-cancer-rf.onnx (padded)', 2, 30, 'padded'],
    ['breast-cancer-rf.onnx (padded)', 3, 30, 'padded'],
    ['a deep random forest (compact)', 2, 6, 'compact'],
    ['a deep random forest (compact)', 3, 6, 'compact'],
  ] as const)(
    '%s, %i slots: each slot the sum of its own one-slot walk bit for bit, in WebAssembly and JavaScript, every batch size',
    async (file, slots, width, layout) => {
      const bytes = file.startsWith('breast')
        ? (await prepareModel(modelBytes('breast-cancer-rf.onnx'))).bytes
        : deepForestModel(41, 12, 6, 0);
      const ensemble = withSlots(ensembleOf(bytes), slots, 5 + slots);
      const build = layout === 'padded' ? PaddedForest.build : CompactForest.build;
      const [wasm, js, ...single] = [
        build(ensemble),
        build(ensemble, { wasm: false }),
        ...Array.from({ length: slots }, (_, k) => build(slotOf(ensemble, k))),
      ].map((w) => {
        if (typeof w === 'string') throw new Error(w);
        return w;
      });
      expect([wasm!.walk, js!.walk, wasm!.slots]).toEqual(['wasm', 'js', slots]);
      const x = hostileRows(onnx.ModelProto.decode(bytes), width, 20_000, 3, file.startsWith('breast') ? cancerRows : []);
      const next = seededRandom(17);
      for (const count of [1, 2, 7, 8, 9, 16, 17, 64, 20_000, 3, 8_192]) {
        // addScores adds to what is there: start from other sums than zero.
        const start = Float64Array.from({ length: count * slots }, () => next() - 0.5);
        const [byWasm, byJs] = [wasm!, js!].map((w) => {
          const s = start.slice();
          w.addScores(x, width, count, s);
          return s;
        });
        const bySlot = new Float64Array(count * slots);
        for (const [k, w] of single.entries()) {
          const s = Float64Array.from({ length: count }, (_, r) => start[r * slots + k]!);
          w.addScores(x, width, count, s);
          for (let r = 0; r < count; r++) bySlot[r * slots + k] = s[r]!;
        }
        expect(Buffer.from(byWasm!.buffer).equals(Buffer.from(bySlot.buffer)), `${count} rows, WebAssembly`).toBe(true);
        expect(Buffer.from(byJs!.buffer).equals(Buffer.from(bySlot.buffer)), `${count} rows, JavaScript`).toBe(true);
        expect(byWasm).not.toEqual(start);
      }
    },
  );
});

describe('float32 thresholds', () => {
  const anyFloat32 = fc.oneof(
    fc.float({ noDefaultInfinity: false, noNaN: false }),
    fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.401298464324817e-45),
  );
  const anyDouble = fc.oneof(
    fc.double(),
    fc.float(),
    fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e300, -1e300),
  );

  it('decide every float32 value like the double threshold, for <= and <', () => {
    fc.assert(
      fc.property(anyFloat32, anyDouble, (x, t) => {
        expect(x <= float32Threshold(t, 'LEQ')).toBe(x <= t);
        expect(x <= float32Threshold(t, 'LT')).toBe(x < t);
        // The threshold itself and its neighbours, where rounding would go wrong first.
        const f = Math.fround(t);
        if (Number.isFinite(f)) {
          for (const y of [f, nextFloat32(f, 1), nextFloat32(f, -1)]) {
            expect(y <= float32Threshold(t, 'LEQ')).toBe(y <= t);
            expect(y <= float32Threshold(t, 'LT')).toBe(y < t);
          }
        }
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('the WebAssembly walk', () => {
  /** The padded forest of a prepared model's ensemble, walked by WebAssembly (the default) or JavaScript. */
  function paddedForest(prepared: PreparedModel, wasm: boolean): PaddedForest {
    const ensemble = readEnsemble(ensembleNode(onnx.ModelProto.decode(prepared.bytes)));
    if (typeof ensemble === 'string') throw new Error(ensemble);
    const forest = PaddedForest.build(ensemble, { wasm });
    if (typeof forest === 'string') throw new Error(forest);
    return forest;
  }

  it.each([
    ['breast-cancer-rf.onnx', 30, cancerRows],
    ['diabetes-gbr.onnx', 10, diabetesRows],
  ])(
    '%s: the sums of the JavaScript walk bit for bit, for every batch size around its groups and one larger than its memory so far',
    async (file, width, rows) => {
      const prepared = await prepareModel(modelBytes(file));
      const wasm = paddedForest(prepared, true);
      const js = paddedForest(prepared, false);
      // What the platform runs (the session tests above compare it with ONNX Runtime), and what it falls back to.
      expect([wasm.walk, js.walk]).toEqual(['wasm', 'js']);
      const x = hostileRows(onnx.ModelProto.decode(modelBytes(file)), width, 20_000, 7, rows);
      const next = seededRandom(11);
      // One instance, batch after batch: 20,000 rows make its memory grow after smaller batches were scored in it.
      for (const count of [1, 7, 8, 9, 17, 64, 20_000, 3, 8_192]) {
        // addScores adds to what is there: start from other sums than zero.
        const start = Float64Array.from({ length: count }, () => next() - 0.5);
        const byWasm = start.slice();
        const byJs = start.slice();
        wasm.addScores(x, width, count, byWasm);
        js.addScores(x, width, count, byJs);
        expect(Buffer.from(byWasm.buffer).equals(Buffer.from(byJs.buffer)), `${count} rows`).toBe(true);
        expect(byWasm).not.toEqual(start);
      }
    },
  );

  it('is the build of leaf-weights.wat (run packages/wasm/scripts/build-wasm.mjs after editing it)', async () => {
    const build = await import('@batchcast/wasm/build');
    expect(build.committedWasmModuleSource('leaf-weights')).toBe(await build.buildWasmModuleSource('leaf-weights'));
  });
});

describe('the comparison with ONNX Runtime', () => {
  it('finds a difference of one float32 step in one probability, and a different label', () => {
    const a: BatchPredictions = { count: 2, labels: [0, 1], values: null, probabilities: Float32Array.from([0.25, 0.75, 0.5, 0.5]) };
    const b: BatchPredictions = { ...a, probabilities: Float32Array.from([0.25, 0.75, nextFloat32(0.5, 1), 0.5]) };
    expect(firstDifference(a, a)).toBeNull();
    expect(firstDifference(a, b)).toMatch(/^probability 2: 0\.5 instead of ONNX Runtime's 0\.50000005/);
    expect(firstDifference({ ...a, labels: [0, 0] }, a)).toBe("label 1: 0 instead of ONNX Runtime's 1");
  });
});
