/**
 * The five example models end to end: registration schema, column plan from the real CSV header, and scoring
 * the whole data set against scikit-learn's own predictions.
 */
import { describe, expect, it } from 'vitest';
import { outputColumns, planColumns, prepareModel, ScoringSession } from '../src/index.js';
import type { PreparedModel } from '../src/index.js';
import { decode, editModel, makeBatch, maxAbsDiff, modelBytes, readCsv, readExpected, readExpectedValues, THREADS } from './helpers.js';
import { sha256Hex } from '../src/hash.js';

async function scoreAll(prepared: PreparedModel, data: string) {
  const csv = readCsv(data);
  const plan = planColumns(prepared.schema, csv.header);
  if (!plan.ok) throw new Error(plan.message);
  const session = await ScoringSession.create(prepared.bytes, prepared.schema, THREADS);
  try {
    const predictions = await session.score(makeBatch(plan.targets, csv.rows), plan.targets);
    return { plan, predictions, csv };
  } finally {
    await session.release();
  }
}

function expectClassifierMatches(predictions: Awaited<ReturnType<typeof scoreAll>>['predictions'], expectedFile: string, classes: number) {
  const expected = readExpected(expectedFile);
  expect(predictions.count).toBe(expected.labels.length);
  expect(predictions.labels!.map(String)).toEqual(expected.labels);
  expect(predictions.probabilities!.length).toBe(expected.labels.length * classes);
  expect(maxAbsDiff(predictions.probabilities!, expected.numbers.flat())).toBeLessThan(1e-4);
}

describe('iris-logreg (LinearClassifier, string labels)', () => {
  it('registers with feature_names metadata and string labels', async () => {
    const p = await prepareModel(modelBytes('iris-logreg.onnx'));
    expect(p.schema.task).toBe('classifier');
    expect(p.schema.classLabels).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(p.schema.inputs).toEqual([
      {
        name: 'input',
        type: 'float32',
        shape: [null, 4],
        width: 4,
        columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
      },
    ]);
    expect(p.schema.labelOutput).toBe('label');
    expect(p.schema.probabilityOutput).toBe('probabilities');
    expect(p.schema.valueOutput).toBeNull();
    expect(p.schema.fixedBatch).toBeNull();
    expect(p.sha256).toBe(sha256Hex(modelBytes('iris-logreg.onnx'))); // nothing to rewrite
    expect(p.schema.notes.join(' ')).toContain('steering-build-models');
    expect(p.schema.notes.join(' ')).toContain('ai.onnx.ml 3');
    expect(outputColumns(p.schema)).toEqual(['prediction', 'probability_setosa', 'probability_versicolor', 'probability_virginica']);
  });

  it('scores all 150 rows like scikit-learn, ignoring the extra species column', async () => {
    const p = await prepareModel(modelBytes('iris-logreg.onnx'));
    const { predictions, plan } = await scoreAll(p, 'iris.csv');
    expect(plan.targets).toEqual([{ name: 'input', type: 'float32', columns: [0, 1, 2, 3] }]);
    expect(predictions.values).toBeNull();
    expect(typeof predictions.labels![0]).toBe('string');
    expectClassifierMatches(predictions, 'iris.expected.csv', 3);
  });
});

describe('breast-cancer-rf (TreeEnsembleClassifier + ZipMap)', () => {
  const features = readCsv('breast_cancer.csv').header.slice(1);

  it('rewrites the ZipMap output to the probability tensor', async () => {
    const original = modelBytes('breast-cancer-rf.onnx');
    const copy = original.slice();
    const p = await prepareModel(original, { features });
    expect(original).toEqual(copy); // the caller's bytes are not modified
    expect(p.sha256).toBe(sha256Hex(p.bytes));
    expect(p.sha256).not.toBe(sha256Hex(original));
    const rewritten = decode(p.bytes);
    expect(rewritten.graph!.node!.map((n) => n.opType)).not.toContain('ZipMap');
    expect(rewritten.graph!.output!.map((o) => o.name)).toEqual(['output_label', 'probability_tensor']);
    expect(rewritten.graph!.output![1]!.type!.tensorType!.elemType).toBe(1);
    expect(p.schema.notes).toContain("ZipMap output 'output_probability' rewritten to tensor 'probability_tensor'.");
    expect(p.schema.outputs).toEqual([
      { name: 'output_label', type: 'int64', shape: [null] },
      { name: 'probability_tensor', type: 'float32', shape: [null, 2] },
    ]);
    expect(p.schema.classLabels).toEqual([0, 1]);
    expect(p.schema.labelOutput).toBe('output_label');
    expect(p.schema.probabilityOutput).toBe('probability_tensor');
    expect(p.schema.inputs[0]!.columns).toEqual(features);
    expect(outputColumns(p.schema)).toEqual(['prediction', 'probability_0', 'probability_1']);
  });

  it('has no feature names of its own', async () => {
    const p = await prepareModel(modelBytes('breast-cancer-rf.onnx'));
    expect(p.schema.inputs[0]!.columns).toBeNull();
    expect(p.schema.inputs[0]!.width).toBe(30);
  });

  it('scores all 569 rows like scikit-learn (integer labels as numbers)', async () => {
    const p = await prepareModel(modelBytes('breast-cancer-rf.onnx'), { features });
    const { predictions, plan } = await scoreAll(p, 'breast_cancer.csv');
    expect(plan.targets[0]!.columns).toEqual(Array.from({ length: 30 }, (_, i) => i + 1)); // patient_id skipped
    expect(typeof predictions.labels![0]).toBe('number');
    expectClassifierMatches(predictions, 'breast_cancer.expected.csv', 2);
  });
});

describe('diabetes-gbr (TreeEnsembleRegressor)', () => {
  it('registers as a regressor', async () => {
    const p = await prepareModel(modelBytes('diabetes-gbr.onnx'));
    expect(p.schema.task).toBe('regressor');
    expect(p.schema.valueOutput).toBe('variable');
    expect(p.schema.labelOutput).toBeNull();
    expect(p.schema.probabilityOutput).toBeNull();
    expect(p.schema.classLabels).toBeNull();
    expect(p.schema.inputs[0]!.columns).toEqual(['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6']);
    expect(outputColumns(p.schema)).toEqual(['prediction']);
    expect(p.schema.notes.join(' ')).toContain("TreeEnsembleRegressor producing 'variable' rewritten to add up its trees in double");
  });

  it('scores all 442 rows like scikit-learn', async () => {
    const p = await prepareModel(modelBytes('diabetes-gbr.onnx'));
    const { predictions } = await scoreAll(p, 'diabetes.csv');
    const expected = readExpectedValues('diabetes.expected.csv');
    expect(predictions.labels).toBeNull();
    expect(predictions.probabilities).toBeNull();
    expect(predictions.values).toBeInstanceOf(Float64Array);
    // Absolute tolerance on values around 25-320: registration makes onnxruntime add up the trees in double
    // (tree-precision.ts); with float32 sums row 215 was 1.6e-4 off.
    expect(predictions.values!.length).toBe(442);
    expect(maxAbsDiff(predictions.values!, expected)).toBeLessThan(1e-4);
  });
});

describe('digits-mlp (plain graph, labels gathered from an initializer)', () => {
  it('registers with labels 0..9', async () => {
    const p = await prepareModel(modelBytes('digits-mlp.onnx'));
    expect(p.schema.classLabels).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(p.schema.labelOutput).toBe('label');
    expect(p.schema.probabilityOutput).toBe('probabilities');
    expect(p.schema.inputs[0]!.width).toBe(64);
    expect(p.schema.inputs[0]!.columns).toHaveLength(64);
  });

  it('scores all 1797 rows like scikit-learn', async () => {
    const p = await prepareModel(modelBytes('digits-mlp.onnx'));
    const { predictions } = await scoreAll(p, 'digits.csv');
    expectClassifierMatches(predictions, 'digits.expected.csv', 10);
  });
});

describe('churn-pipeline (one input per column, string inputs)', () => {
  it('registers one column per input', async () => {
    const p = await prepareModel(modelBytes('churn-pipeline.onnx'));
    expect(p.schema.inputs.map((i) => [i.name, i.type, i.width, i.columns])).toEqual([
      ['contract', 'string', 1, ['contract']],
      ['payment_method', 'string', 1, ['payment_method']],
      ['tenure_months', 'float32', 1, ['tenure_months']],
      ['monthly_charges', 'float32', 1, ['monthly_charges']],
      ['support_tickets', 'float32', 1, ['support_tickets']],
    ]);
    expect(p.schema.classLabels).toEqual([0, 1]);
    expect(p.schema.task).toBe('classifier');
  });

  it('scores all 5000 rows like scikit-learn', async () => {
    const p = await prepareModel(modelBytes('churn-pipeline.onnx'));
    const { predictions, plan } = await scoreAll(p, 'churn.csv');
    expect(plan.targets.map((t) => t.columns)).toEqual([[1], [2], [3], [4], [5]]);
    const expected = readExpected('churn.expected.csv');
    expect(predictions.labels).toEqual(expected.labels.map(Number));
    // Re-exported with post_transform LOGISTIC, so the graph computes scikit-learn's own sigmoid (the first export's
    // mirrored SOFTMAX rows gave sigmoid(2 x score), which registration still warns about for such files).
    expect(maxAbsDiff(predictions.probabilities!, expected.numbers.flat())).toBeLessThan(1e-6);
    expect(p.schema.notes.join(' ')).not.toContain('sigmoid(2 x score)');
  });

  it('the first export (the same rows with post_transform SOFTMAX) registers with a warning about its probabilities', async () => {
    const softmax = editModel('churn-pipeline.onnx', (m) => {
      const node = m.graph!.node!.find((n) => n.opType === 'LinearClassifier')!;
      node.attribute!.find((a) => a.name === 'post_transform')!.s = new TextEncoder().encode('SOFTMAX');
    });
    const p = await prepareModel(softmax);
    expect(p.schema.notes.join(' ')).toContain('sigmoid(2 x score)');
  });

  it('scores in several batches with firstRow offsets', async () => {
    const p = await prepareModel(modelBytes('churn-pipeline.onnx'));
    const csv = readCsv('churn.csv');
    const plan = planColumns(p.schema, csv.header);
    if (!plan.ok) throw new Error(plan.message);
    const session = await ScoringSession.create(p.bytes, p.schema, THREADS);
    const labels: (string | number)[] = [];
    for (let from = 0; from < csv.rows.length; from += 777) {
      const rows = csv.rows.slice(from, from + 777);
      const out = await session.score(makeBatch(plan.targets, rows, from), plan.targets);
      expect(out.count).toBe(rows.length);
      labels.push(...out.labels!);
    }
    await session.release();
    expect(labels.map(String)).toEqual(readExpected('churn.expected.csv').labels);
  });
});
