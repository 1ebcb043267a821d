/**
 * Models built by editing the examples' protobufs: every input element type, fixed batch dimensions, labels
 * from an initializer, a probabilities-only classifier, and rewrites that must keep what they do not touch.
 */
import { describe, expect, it } from 'vitest';
import { outputColumns, planColumns, prepareModel, ScoringSession } from '../src/index.js';
import { onnx } from '../src/onnx-proto.js';
import type { ModelProto } from '../src/onnx-proto.js';
import { lenField, concatBytes } from '../src/wire.js';
import { decode, editModel, makeBatch, maxAbsDiff, modelBytes, readCsv, readExpected, scoreCsv, THREADS } from './helpers.js';
import type { Csv } from './helpers.js';

/** Replaces graph input `input` by `input_<type>` of another element type, cast back to float for the model. */
function castInput(m: ModelProto, elemType: number): void {
  const input = m.graph!.input![0]!;
  input.name = 'input_cast';
  input.type!.tensorType!.elemType = elemType;
  m.graph!.node!.unshift(
    onnx.NodeProto.create({
      opType: 'Cast',
      input: ['input_cast'],
      output: ['input'],
      attribute: [onnx.AttributeProto.create({ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: 1 })],
    }),
  );
}

function setBatchDim(m: ModelProto, size: number): void {
  m.graph!.input![0]!.type!.tensorType!.shape!.dim![0] = onnx.TensorShapeProto.Dimension.create({ dimValue: size });
}

const iris = readCsv('iris.csv');
const irisExpected = readExpected('iris.expected.csv');
const digits = readCsv('digits.csv');
const digitsExpected = readExpected('digits.expected.csv');

describe('input element types', () => {
  it('float64 (double) input', async () => {
    const p = await prepareModel(editModel('iris-logreg.onnx', (m) => castInput(m, 11)));
    expect(p.schema.inputs[0]).toMatchObject({ name: 'input_cast', type: 'float64', width: 4 });
    const out = await scoreCsv(p, iris);
    expect(out.labels).toEqual(irisExpected.labels);
    expect(maxAbsDiff(out.probabilities!, irisExpected.numbers.flat())).toBeLessThan(1e-4);
  });

  it('int64 input (digits pixels are integers)', async () => {
    const p = await prepareModel(editModel('digits-mlp.onnx', (m) => castInput(m, 7)));
    expect(p.schema.inputs[0]).toMatchObject({ type: 'int64', width: 64 });
    const out = await scoreCsv(p, digits);
    expect(out.labels!.map(String)).toEqual(digitsExpected.labels);
    expect(maxAbsDiff(out.probabilities!, digitsExpected.numbers.flat())).toBeLessThan(1e-4);
  });

  it('int32 input', async () => {
    const p = await prepareModel(editModel('digits-mlp.onnx', (m) => castInput(m, 6)));
    expect(p.schema.inputs[0]).toMatchObject({ type: 'int32', width: 64 });
    const out = await scoreCsv(p, digits);
    expect(out.labels!.map(String)).toEqual(digitsExpected.labels);
  });

  it('bool input (a flag that zeroes the features when false)', async () => {
    const bytes = editModel('iris-logreg.onnx', (m) => {
      const g = m.graph!;
      g.input![0]!.name = 'measurements';
      g.input!.push(
        onnx.ValueInfoProto.create({
          name: 'flag',
          type: { tensorType: { elemType: 9, shape: { dim: [{}, { dimValue: 1 }] } } },
        }),
      );
      g.node!.unshift(
        onnx.NodeProto.create({
          opType: 'Cast',
          input: ['flag'],
          output: ['flag_f'],
          attribute: [onnx.AttributeProto.create({ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: 1 })],
        }),
        onnx.NodeProto.create({ opType: 'Mul', input: ['measurements', 'flag_f'], output: ['input'] }),
      );
    });
    const p = await prepareModel(bytes);
    expect(p.schema.inputs.map((i) => [i.name, i.type, i.columns])).toEqual([
      ['measurements', 'float32', ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']],
      ['flag', 'bool', ['flag']],
    ]);
    const csv: Csv = { header: [...iris.header, 'flag'], rows: iris.rows.map((r, i) => [...r, i % 2 === 0 ? 'true' : 'false']) };
    const out = await scoreCsv(p, csv);
    // Rows with the flag set score like the original model; the others like an all-zero measurement.
    const zero = await scoreCsv(await prepareModel(modelBytes('iris-logreg.onnx')), {
      header: iris.header,
      rows: [['0', '0', '0', '0', 'x']],
    });
    for (let i = 0; i < 150; i++) {
      const want = i % 2 === 0 ? irisExpected.labels[i] : zero.labels![0];
      expect([i, out.labels![i]]).toEqual([i, want]);
    }
    expect(Math.abs(out.probabilities![3]! - zero.probabilities![0]!)).toBeLessThan(1e-6);
  });
});

describe('fixed batch dimension', () => {
  it('scores all 150 rows of a [1, 4] model, one run per row', async () => {
    const p = await prepareModel(editModel('iris-logreg.onnx', (m) => setBatchDim(m, 1)));
    expect(p.schema.fixedBatch).toBe(1);
    expect(p.schema.inputs[0]!.shape).toEqual([1, 4]);
    const out = await scoreCsv(p, iris);
    expect(out.count).toBe(150);
    expect(out.labels).toEqual(irisExpected.labels);
    expect(maxAbsDiff(out.probabilities!, irisExpected.numbers.flat())).toBeLessThan(1e-4);
  });

  it('pads the last run of a [4, 4] model (150 = 37 x 4 + 2)', async () => {
    const p = await prepareModel(editModel('iris-logreg.onnx', (m) => setBatchDim(m, 4)));
    expect(p.schema.fixedBatch).toBe(4);
    const out = await scoreCsv(p, iris);
    expect(out.labels).toEqual(irisExpected.labels);
    expect(maxAbsDiff(out.probabilities!, irisExpected.numbers.flat())).toBeLessThan(1e-4);
  });

  it('a [1, 1] string-input pipeline with several inputs', async () => {
    const bytes = editModel('churn-pipeline.onnx', (m) => {
      for (const input of m.graph!.input!) {
        input.type!.tensorType!.shape!.dim![0] = onnx.TensorShapeProto.Dimension.create({ dimValue: 1 });
      }
    });
    const p = await prepareModel(bytes);
    expect(p.schema.fixedBatch).toBe(1);
    const csv = readCsv('churn.csv');
    const rows = { header: csv.header, rows: csv.rows.slice(0, 300) };
    const out = await scoreCsv(p, rows);
    expect(out.labels).toEqual(readExpected('churn.expected.csv').labels.slice(0, 300).map(Number));
  });
});

describe('class labels and output roles', () => {
  it('reads labels from the initializer a plain graph gathers into its label output', async () => {
    const bytes = editModel('digits-mlp.onnx', (m) => {
      const classes = m.graph!.initializer!.find((t) => t.name === 'classes')!;
      const raw = new BigInt64Array(10).map((_, i) => BigInt(100 + i));
      classes.rawData = new Uint8Array(raw.buffer);
    });
    const p = await prepareModel(bytes);
    expect(p.schema.classLabels).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    const out = await scoreCsv(p, digits);
    expect(out.labels).toEqual(digitsExpected.labels.map((l) => Number(l) + 100));
  });

  it('reads string labels from a string initializer', async () => {
    const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
    const bytes = editModel('digits-mlp.onnx', (m) => {
      const classes = m.graph!.initializer!.find((t) => t.name === 'classes')!;
      classes.dataType = 8;
      classes.rawData = null; // string tensors keep their values in string_data
      classes.stringData = names.map((n) => new TextEncoder().encode(n));
      m.graph!.output![0]!.type!.tensorType!.elemType = 8;
    });
    const p = await prepareModel(bytes);
    expect(p.schema.classLabels).toEqual(names);
    const out = await scoreCsv(p, digits);
    expect(out.labels).toEqual(digitsExpected.labels.map((l) => names[Number(l)]));
  });

  it('finds probabilities that pass through a Cast (to double) after the classifier', async () => {
    const bytes = editModel('iris-logreg.onnx', (m) => {
      const g = m.graph!;
      g.node![0]!.output![1] = 'probabilities_f';
      g.node!.push(
        onnx.NodeProto.create({
          opType: 'Cast',
          input: ['probabilities_f'],
          output: ['probabilities'],
          attribute: [onnx.AttributeProto.create({ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: 11 })],
        }),
      );
      g.output![1]!.type!.tensorType!.elemType = 11;
    });
    const p = await prepareModel(bytes);
    expect(p.schema.probabilityOutput).toBe('probabilities');
    expect(p.schema.outputs[1]).toEqual({ name: 'probabilities', type: 'float64', shape: [null, 3] });
    const out = await scoreCsv(p, iris);
    expect(out.probabilities).toBeInstanceOf(Float32Array);
    expect(maxAbsDiff(out.probabilities!, irisExpected.numbers.flat())).toBeLessThan(1e-4);
  });

  it('treats a Softmax-only model as a classifier, labelling by the most probable class', async () => {
    const bytes = editModel('digits-mlp.onnx', (m) => {
      m.graph!.output = m.graph!.output!.filter((o) => o.name === 'probabilities');
    });
    const p = await prepareModel(bytes);
    expect(p.schema).toMatchObject({ task: 'classifier', labelOutput: null, probabilityOutput: 'probabilities' });
    expect(p.schema.classLabels).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const out = await scoreCsv(p, digits);
    expect(out.labels!.map(String)).toEqual(digitsExpected.labels);
  });

  it('learns the class count by a trial run when the probability width is not declared', async () => {
    const bytes = editModel('digits-mlp.onnx', (m) => {
      m.graph!.output = m.graph!.output!.filter((o) => o.name === 'probabilities');
      m.graph!.output[0]!.type!.tensorType!.shape!.dim![1] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'C' });
    });
    const p = await prepareModel(bytes);
    expect(p.schema.classLabels).toHaveLength(10);
  });

  it('reads a regressor with a [N] output', async () => {
    const bytes = editModel('diabetes-gbr.onnx', (m) => {
      m.graph!.node!.push(onnx.NodeProto.create({ opType: 'Flatten', input: ['variable'], output: ['v2'], attribute: [] }));
      m.graph!.output = [onnx.ValueInfoProto.create({ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{}] } } } })];
      const shape = onnx.TensorProto.create({ name: 'flat', dataType: 7, dims: [1], int64Data: [-1] });
      m.graph!.initializer!.push(shape);
      m.graph!.node!.push(onnx.NodeProto.create({ opType: 'Reshape', input: ['v2', 'flat'], output: ['y'] }));
    });
    const p = await prepareModel(bytes);
    expect(p.schema).toMatchObject({ task: 'regressor', valueOutput: 'y' });
    const out = await scoreCsv(p, readCsv('diabetes.csv'));
    const expected = readCsv('diabetes.expected.csv').rows.map((r) => Number(r[0]));
    expect(maxAbsDiff(out.values!, expected)).toBeLessThan(1e-4);
  });
});

describe('ZipMap rewrite', () => {
  it('keeps fields the bundled ONNX schema does not know, byte for byte', async () => {
    const original = modelBytes('breast-cancer-rf.onnx');
    const future = lenField(1000, new TextEncoder().encode('a field from a future ONNX version'));
    const p = await prepareModel(concatBytes([original, future]));
    const tail = p.bytes.subarray(p.bytes.length - future.length);
    expect(Buffer.from(tail).equals(Buffer.from(future))).toBe(true);
    expect(decode(p.bytes).graph!.node!.some((n) => n.opType === 'ZipMap')).toBe(false);
  });

  it('follows Identity nodes between the ZipMap and the output', async () => {
    const bytes = editModel('breast-cancer-rf.onnx', (m) => {
      const zipmap = m.graph!.node!.find((n) => n.opType === 'ZipMap')!;
      zipmap.output = ['zipped'];
      m.graph!.node!.push(onnx.NodeProto.create({ opType: 'Identity', input: ['zipped'], output: ['output_probability'] }));
    });
    const p = await prepareModel(bytes);
    expect(p.schema.probabilityOutput).toBe('probability_tensor');
    // The Cast is the tree-precision rewrite's (float input to double).
    expect(decode(p.bytes).graph!.node!.map((n) => n.opType)).toEqual(['Cast', 'TreeEnsembleClassifier', 'Identity']);
    const csv = readCsv('breast_cancer.csv');
    const out = await scoreCsv(await prepareModel(bytes, { features: csv.header.slice(1) }), csv);
    expect(maxAbsDiff(out.probabilities!, readExpected('breast_cancer.expected.csv').numbers.flat())).toBeLessThan(1e-4);
  });

  it('takes the class labels from the ZipMap when no classifier operator names them', async () => {
    const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
    const bytes = editModel('digits-mlp.onnx', (m) => {
      const g = m.graph!;
      g.node!.push(
        onnx.NodeProto.create({
          opType: 'ZipMap',
          domain: 'ai.onnx.ml',
          input: ['probabilities'],
          output: ['output_probability'],
          attribute: [
            onnx.AttributeProto.create({
              name: 'classlabels_strings',
              type: onnx.AttributeProto.AttributeType.STRINGS,
              strings: names.map((n) => new TextEncoder().encode(n)),
            }),
          ],
        }),
      );
      g.output = [
        onnx.ValueInfoProto.create({
          name: 'output_probability',
          type: { sequenceType: { elemType: { mapType: { keyType: 8, valueType: { tensorType: { elemType: 1 } } } } } },
        }),
      ];
    });
    const p = await prepareModel(bytes);
    expect(p.schema).toMatchObject({ task: 'classifier', labelOutput: null, probabilityOutput: 'probabilities', classLabels: names });
    const out = await scoreCsv(p, digits);
    expect(out.labels).toEqual(digitsExpected.labels.map((l) => names[Number(l)]));
    expect(maxAbsDiff(out.probabilities!, digitsExpected.numbers.flat())).toBeLessThan(1e-4);
  });

  it("keeps int64 class labels beyond 2^53 exact, from the attributes to ONNX Runtime's labels and the forest evaluator's", async () => {
    // 2^53 + 1 and 2^53 + 3: through a double they were 9007199254740992 and 9007199254740996.
    const big = ['9007199254740993', '9007199254740995'];
    const bytes = editModel('breast-cancer-rf.onnx', (m) => {
      for (const n of m.graph!.node!) {
        if (n.opType !== 'TreeEnsembleClassifier' && n.opType !== 'ZipMap') continue;
        n.attribute = n.attribute!.filter((a) => a.name !== 'classlabels_int64s');
        // protobufjs writes an int64 given as decimal text exactly (as a Long).
        n.attribute.push(
          onnx.AttributeProto.create({ name: 'classlabels_int64s', type: onnx.AttributeProto.AttributeType.INTS, ints: big as never }),
        );
      }
    });
    const p = await prepareModel(bytes);
    expect(p.schema.classLabels).toEqual(big);
    const csv = readCsv('breast_cancer.csv');
    const rows = { header: csv.header.slice(1), rows: csv.rows.map((r) => r.slice(1)) };
    const expected = readExpected('breast_cancer.expected.csv').labels.map((l) => big[Number(l)]);
    const plan = planColumns(p.schema, rows.header);
    if (!plan.ok) throw new Error(plan.message);
    // ONNX Runtime's label output (a BigInt64Array) and, where it takes the model, the forest evaluator's labels.
    for (const forest of [false, true]) {
      const session = await ScoringSession.create(p.bytes, p.schema, { ...THREADS, forest });
      try {
        expect(session.engine.name).toBe(forest ? 'forest' : 'onnxruntime');
        const out = await session.score(makeBatch(plan.targets, rows.rows), plan.targets);
        expect(out.labels, `forest: ${forest}`).toEqual(expected);
      } finally {
        await session.release();
      }
    }
    expect(outputColumns(p.schema)).toEqual(['prediction', ...big.map((l) => `probability_${l}`)]);
  });

  it('rewrites a ZipMap with string class labels', async () => {
    const bytes = editModel('breast-cancer-rf.onnx', (m) => {
      const labels = ['benign', 'malignant'].map((s) => new TextEncoder().encode(s));
      for (const n of m.graph!.node!) {
        if (n.opType !== 'TreeEnsembleClassifier' && n.opType !== 'ZipMap') continue;
        n.attribute = n.attribute!.filter((a) => a.name !== 'classlabels_int64s');
        n.attribute.push(
          onnx.AttributeProto.create({ name: 'classlabels_strings', type: onnx.AttributeProto.AttributeType.STRINGS, strings: labels }),
        );
      }
      m.graph!.output![0]!.type!.tensorType!.elemType = 8;
      m.graph!.output![1]!.type!.sequenceType!.elemType!.mapType!.keyType = 8;
    });
    const p = await prepareModel(bytes);
    expect(p.schema.classLabels).toEqual(['benign', 'malignant']);
    const csv = readCsv('breast_cancer.csv');
    const out = await scoreCsv(p, { header: csv.header.slice(1), rows: csv.rows.map((r) => r.slice(1)) });
    expect(out.labels).toEqual(readExpected('breast_cancer.expected.csv').labels.map((l) => (l === '0' ? 'benign' : 'malignant')));
  });
});
