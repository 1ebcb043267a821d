/**
 * The tree-precision rewrite: tree ensembles' float attributes become their double `*_as_tensor` twins and a
 * float input is cast to double, so onnxruntime adds up the trees in double; models without tree ensembles
 * are left alone.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { planColumns, prepareModel, ScoringSession } from '../src/index.js';
import { onnx, toNumber } from '../src/onnx-proto.js';
import type { AttributeProto, ModelProto, NodeProto } from '../src/onnx-proto.js';
import { decodeModel } from '../src/onnx-graph.js';
import { rewriteTreePrecision } from '../src/tree-precision.js';
import { rewriteZipMaps } from '../src/zipmap.js';
import { sha256Hex } from '../src/hash.js';
import { concatBytes, lenField } from '../src/wire.js';
import { decode, editModel, makeBatch, maxAbsDiff, modelBytes, readCsv, readExpected, readExpectedValues, scoreCsv } from './helpers.js';

const TENSOR = onnx.AttributeProto.AttributeType.TENSOR;
const FLOATS = onnx.AttributeProto.AttributeType.FLOATS;

const REGRESSOR_TWINS = ['nodes_values', 'nodes_hitrates', 'target_weights', 'base_values'];
const CLASSIFIER_TWINS = ['nodes_values', 'nodes_hitrates', 'class_weights'];

function ensemble(m: ModelProto): NodeProto {
  return m.graph!.node!.find((n) => n.opType?.startsWith('TreeEnsemble'))!;
}

function attr(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute!.find((a) => a.name === name);
}

function doubles(a: AttributeProto): number[] {
  const t = a.t!;
  expect(t.dataType).toBe(11);
  const raw = t.rawData!;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  expect(t.dims!.map(Number)).toEqual([raw.byteLength / 8]);
  return Array.from({ length: raw.byteLength / 8 }, (_, i) => view.getFloat64(i * 8, true));
}

/** Every float attribute of the original node is now its *_as_tensor twin, holding exactly the same values. */
function expectTwins(original: NodeProto, rewritten: NodeProto, names: string[]) {
  for (const name of names) {
    const floats = attr(original, name)!;
    expect(floats.type).toBe(FLOATS);
    expect(attr(rewritten, name)).toBeUndefined();
    const twin = attr(rewritten, `${name}_as_tensor`)!;
    expect(twin.type).toBe(TENSOR);
    expect(doubles(twin)).toEqual(floats.floats!.map(Number));
  }
  // Everything else about the node is unchanged.
  const others = (n: NodeProto) =>
    n
      .attribute!.filter((a) => !names.some((f) => a.name === f || a.name === `${f}_as_tensor`))
      .map((a) => onnx.AttributeProto.toObject(a as InstanceType<typeof onnx.AttributeProto>, { bytes: String, longs: String }));
  expect(others(rewritten)).toEqual(others(original));
  expect(rewritten.output).toEqual(original.output);
  expect(rewritten.input!.slice(1)).toEqual(original.input!.slice(1));
}

/** Runs bytes directly in onnxruntime and returns each output's type and dims. */
async function rawOutputs(bytes: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, intraOpNumThreads: 1 });
  try {
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { type: v.type, dims: [...v.dims] }]));
  } finally {
    await session.release();
  }
}

const diabetes = readCsv('diabetes.csv');
const diabetesExpected = readExpectedValues('diabetes.expected.csv');
const cancer = readCsv('breast_cancer.csv');
const cancerFeatures = cancer.header.slice(1);
const cancerExpected = readExpected('breast_cancer.expected.csv');

describe('TreeEnsembleRegressor (diabetes-gbr)', () => {
  it('stores double *_as_tensor attributes and casts the float input to double', async () => {
    const original = decode(modelBytes('diabetes-gbr.onnx'));
    const p = await prepareModel(modelBytes('diabetes-gbr.onnx'));
    expect(p.sha256).toBe(sha256Hex(p.bytes));
    expect(p.sha256).not.toBe(sha256Hex(modelBytes('diabetes-gbr.onnx')));
    const m = decode(p.bytes);
    expect(m.graph!.node!.map((n) => n.opType)).toEqual(['Cast', 'TreeEnsembleRegressor']);
    const [cast, tree] = m.graph!.node! as [NodeProto, NodeProto];
    expect(cast.input).toEqual(['input']);
    expect(toNumber(attr(cast, 'to')!.i)).toBe(11);
    expect(tree.input).toEqual(cast.output);
    expectTwins(ensemble(original), tree, REGRESSOR_TWINS);
    // Graph inputs and outputs are as they were: float in, float [N, 1] out.
    expect(m.graph!.input).toEqual(original.graph!.input);
    expect(m.graph!.output).toEqual(original.graph!.output);
    expect(p.schema.notes).toContain(
      "TreeEnsembleRegressor producing 'variable' rewritten to add up its trees in double: " +
        'base_values -> base_values_as_tensor, nodes_hitrates -> nodes_hitrates_as_tensor, ' +
        'nodes_values -> nodes_values_as_tensor, target_weights -> target_weights_as_tensor, ' +
        "and its float input 'input' cast to double. Thresholds and weights are unchanged; outputs stay float.",
    );
  });

  it('onnxruntime still returns a float32 [N, 1] tensor', async () => {
    const p = await prepareModel(modelBytes('diabetes-gbr.onnx'));
    const x = new ort.Tensor('float32', new Float32Array(7 * 10).fill(0.01), [7, 10]);
    const before = await rawOutputs(modelBytes('diabetes-gbr.onnx'), { input: x });
    const after = await rawOutputs(p.bytes, { input: x });
    expect(after).toEqual({ variable: { type: 'float32', dims: [7, 1] } });
    expect(after).toEqual(before);
  });

  it('matches scikit-learn within 1e-4 absolute at any thread count (float32 sums did not)', async () => {
    const p = await prepareModel(modelBytes('diabetes-gbr.onnx'));
    const csv = diabetes;
    for (const threads of [1, 2, 4]) {
      const plan = planColumns(p.schema, csv.header);
      if (!plan.ok) throw new Error(plan.message);
      const session = await ScoringSession.create(p.bytes, p.schema, { intraOpNumThreads: threads });
      const out = await session.score(makeBatch(plan.targets, csv.rows), plan.targets);
      await session.release();
      // What remains is the float32 rounding of the output (half an ulp of ~300 is 1.5e-5).
      expect(maxAbsDiff(out.values!, diabetesExpected)).toBeLessThan(2e-5);
    }
    // The unrewritten model, for the record: float32 sums miss the contract.
    const unrewritten = { ...p, bytes: modelBytes('diabetes-gbr.onnx') };
    expect(maxAbsDiff((await scoreCsv(unrewritten, csv)).values!, diabetesExpected)).toBeGreaterThan(1e-4);
  });

  it('with a double input: converts the attributes and adds no Cast', async () => {
    const bytes = editModel('diabetes-gbr.onnx', (m) => {
      m.graph!.input![0]!.type!.tensorType!.elemType = 11;
    });
    const p = await prepareModel(bytes);
    const m = decode(p.bytes);
    expect(m.graph!.node!.map((n) => n.opType)).toEqual(['TreeEnsembleRegressor']);
    expect(ensemble(m).input).toEqual(['input']);
    expectTwins(ensemble(decode(bytes)), ensemble(m), REGRESSOR_TWINS);
    expect(p.schema.inputs[0]!.type).toBe('float64');
    expect(p.schema.notes.join(' ')).toMatch(/target_weights -> target_weights_as_tensor\. Thresholds/);
    const out = await scoreCsv(p, diabetes);
    expect(maxAbsDiff(out.values!, diabetesExpected)).toBeLessThan(1e-4);
  });

  it('finds the float type through a Scaler in front of the ensemble', async () => {
    const bytes = editModel('diabetes-gbr.onnx', (m) => {
      const g = m.graph!;
      g.input![0]!.name = 'raw';
      g.node!.unshift(
        onnx.NodeProto.create({
          opType: 'Scaler',
          domain: 'ai.onnx.ml',
          input: ['raw'],
          output: ['input'],
          attribute: [
            onnx.AttributeProto.create({ name: 'offset', type: FLOATS, floats: new Array(10).fill(0) }),
            onnx.AttributeProto.create({ name: 'scale', type: FLOATS, floats: new Array(10).fill(1) }),
          ],
        }),
      );
    });
    const p = await prepareModel(bytes);
    expect(decode(p.bytes).graph!.node!.map((n) => n.opType)).toEqual(['Scaler', 'Cast', 'TreeEnsembleRegressor']);
    const out = await scoreCsv(p, diabetes);
    expect(maxAbsDiff(out.values!, diabetesExpected)).toBeLessThan(1e-4);
  });

  it('skips an ensemble whose input type it cannot tell, and says so', async () => {
    const bytes = editModel('diabetes-gbr.onnx', (m) => {
      const g = m.graph!;
      g.input![0]!.name = 'raw';
      g.node!.unshift(onnx.NodeProto.create({ opType: 'Abs', input: ['raw'], output: ['input'] }));
    });
    const p = await prepareModel(bytes);
    expect(p.bytes).toBe(bytes);
    expect(p.schema.notes).toContain(
      "TreeEnsembleRegressor producing 'variable' keeps float32 tree sums: its input type could not be determined.",
    );
  });

  it('leaves ai.onnx.ml opset 1 models alone (no *_as_tensor attributes before opset 3)', async () => {
    const bytes = editModel('diabetes-gbr.onnx', (m) => {
      m.opsetImport!.find((o) => o.domain === 'ai.onnx.ml')!.version = 1;
    });
    const p = await prepareModel(bytes);
    expect(p.bytes).toBe(bytes);
    expect(p.schema.notes.join(' ')).toContain('imports ai.onnx.ml opset 1');
  });

  it('keeps fields the bundled ONNX schema does not know, byte for byte', async () => {
    const future = lenField(1000, new TextEncoder().encode('a field from a future ONNX version'));
    const p = await prepareModel(concatBytes([modelBytes('diabetes-gbr.onnx'), future]));
    const tail = p.bytes.subarray(p.bytes.length - future.length);
    expect(Buffer.from(tail).equals(Buffer.from(future))).toBe(true);
    expect(attr(ensemble(decode(p.bytes)), 'nodes_values_as_tensor')).toBeDefined();
  });
});

describe('TreeEnsembleClassifier (breast-cancer-rf, after the ZipMap rewrite)', () => {
  it('stores double *_as_tensor attributes; labels int64 [N], probabilities float32 [N, 2]', async () => {
    const original = decode(modelBytes('breast-cancer-rf.onnx'));
    const p = await prepareModel(modelBytes('breast-cancer-rf.onnx'), { features: cancerFeatures });
    const m = decode(p.bytes);
    expect(m.graph!.node!.map((n) => n.opType)).toEqual(['Cast', 'TreeEnsembleClassifier', 'Identity']);
    expectTwins(ensemble(original), ensemble(m), CLASSIFIER_TWINS);
    expect(attr(ensemble(m), 'base_values_as_tensor')).toBeUndefined(); // the export has no base_values
    expect(p.schema.notes.join(' ')).toContain("TreeEnsembleClassifier producing 'label' rewritten to add up its trees in double");
    const x = new ort.Tensor('float32', new Float32Array(5 * 30).fill(1), [5, 30]);
    const zipped = rewriteZipMaps(modelBytes('breast-cancer-rf.onnx'), original).bytes;
    const before = await rawOutputs(zipped, { input: x });
    const after = await rawOutputs(p.bytes, { input: x });
    expect(after).toEqual({
      output_label: { type: 'int64', dims: [5] },
      probability_tensor: { type: 'float32', dims: [5, 2] },
    });
    expect(after).toEqual(before);
  });

  it('still matches scikit-learn: labels equal, probabilities within 1e-4 absolute', async () => {
    const p = await prepareModel(modelBytes('breast-cancer-rf.onnx'), { features: cancerFeatures });
    const out = await scoreCsv(p, cancer);
    expect(out.labels!.map(String)).toEqual(cancerExpected.labels);
    expect(maxAbsDiff(out.probabilities!, cancerExpected.numbers.flat())).toBeLessThan(1e-4);
  });

  it('leaves an int64-input classifier alone (onnxruntime compares integers as float32, like scikit-learn)', async () => {
    const bytes = editModel('breast-cancer-rf.onnx', (m) => {
      m.graph!.input![0]!.type!.tensorType!.elemType = 7;
    });
    const p = await prepareModel(bytes);
    const m = decode(p.bytes);
    expect(m.graph!.node!.map((n) => n.opType)).toEqual(['TreeEnsembleClassifier', 'Identity']); // ZipMap removed only
    expect(attr(ensemble(m), 'nodes_values')!.type).toBe(FLOATS);
    expect(p.schema.notes).toContain("TreeEnsembleClassifier producing 'label' keeps float32 tree sums: its input is not float or double.");
  });
});

describe('models without tree ensembles', () => {
  for (const file of ['iris-logreg.onnx', 'digits-mlp.onnx', 'churn-pipeline.onnx']) {
    it(`${file}: no-op`, async () => {
      const bytes = modelBytes(file);
      const result = rewriteTreePrecision(bytes, decodeModel(bytes));
      expect(result.bytes).toBe(bytes);
      expect(result).toMatchObject({ rewrites: [], notes: [] });
      const p = await prepareModel(bytes);
      expect(p.schema.notes.join(' ')).not.toMatch(/tree|double/i);
      const ops = (b: Uint8Array) => decode(b).graph!.node!.map((n) => n.opType);
      expect(ops(p.bytes)).toEqual(ops(bytes));
    });
  }

  it('iris-logreg is stored byte for byte', async () => {
    const p = await prepareModel(modelBytes('iris-logreg.onnx'));
    expect(p.sha256).toBe(sha256Hex(modelBytes('iris-logreg.onnx')));
  });
});
