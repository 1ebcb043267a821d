/**
 * Rows without finite outputs fail with a reason naming their missing or infinite inputs (finite.ts), decided
 * on the models' real outputs: a logistic regression on ONNX Runtime turns a NaN input into NaN probabilities
 * (and still names a label), while a random forest, on the forest evaluator and on ONNX Runtime, scores it.
 */
import type { ColumnTarget, RecordBatch, RowError } from '@batchcast/csv';
import { describe, expect, it } from 'vitest';
import { type BatchPredictions, failNonFiniteRows, nonFiniteRows, planColumns, prepareModel, ScoringSession } from '../src/index.js';
import { makeBatch, modelBytes, readCsv, THREADS } from './helpers.js';

const predictions = (p: Partial<BatchPredictions> & { count: number }): BatchPredictions => ({
  labels: null,
  values: null,
  probabilities: null,
  ...p,
});

describe('nonFiniteRows', () => {
  it('is null when every output is finite, and lists each row with a NaN or ±Infinity once, in order', () => {
    expect(nonFiniteRows(predictions({ count: 3, probabilities: Float32Array.of(0.5, 0.5, 1, 0, 0, 1) }))).toBeNull();
    expect(nonFiniteRows(predictions({ count: 3, values: Float64Array.of(1, -2, 1e300) }))).toBeNull();
    expect(nonFiniteRows(predictions({ count: 0, probabilities: new Float32Array(0) }))).toBeNull();
    const p = Float32Array.of(NaN, NaN, 0.5, 0.5, 0, Infinity, -Infinity, 1, 0.25, 0.75);
    expect(nonFiniteRows(predictions({ count: 5, probabilities: p }))).toEqual([0, 2, 3]);
    expect(nonFiniteRows(predictions({ count: 4, values: Float64Array.of(NaN, 1, -Infinity, Infinity) }))).toEqual([0, 2, 3]);
    // Both kinds at once (no schema has them, but the order must hold).
    expect(nonFiniteRows(predictions({ count: 3, probabilities: Float32Array.of(0, 1, NaN), values: Float64Array.of(NaN, 0, 0) }))).toEqual(
      [0, 2],
    );
  });
});

describe('failNonFiniteRows', () => {
  const header = ['id', 'a', 'b', 'c'];
  const targets: ColumnTarget[] = [{ name: 'x', type: 'float32', columns: [1, 2, 3] }];
  const readError: RowError = { row: 11, column: 'b', value: 'abc', message: 'column "b": "abc" is not a number' };
  const batch = (rows: number[][], errors: RowError[] = []): RecordBatch => ({
    firstRow: 10,
    count: rows.length,
    data: [Float32Array.from(rows.flat())],
    errors,
  });

  it('returns the batch errors themselves when every output is finite', () => {
    const b = batch([[1, 2, 3]], []);
    expect(failNonFiniteRows(predictions({ count: 1, values: Float64Array.of(1) }), b, targets, header)).toBe(b.errors);
  });

  it('names the missing and infinite columns of a failed row, keeps a row that failed already to its own error', () => {
    const b = batch(
      [
        [NaN, 1, 1e39], // NaN, and 1e39: +Infinity as float32
        [NaN, NaN, NaN], // failed already: neutral NaN values
        [1, 2, 3],
        [1, Number.NEGATIVE_INFINITY, 3],
        [1, 2, 3], // finite inputs, NaN output (an overflow inside the model)
      ],
      [readError],
    );
    const out = predictions({ count: 5, values: Float64Array.of(NaN, NaN, 4, NaN, Infinity) });
    expect(failNonFiniteRows(out, b, targets, header)).toEqual([
      {
        row: 10,
        column: 'a',
        value: null,
        message:
          'column "a" is missing (empty, NA, null or NaN) and column "c" is not a finite number (infinite, or beyond ±3.4e38, the largest ' +
          "value of this model's float32 inputs); this model gives no prediction for rows with missing or non-finite values",
      },
      readError,
      {
        row: 13,
        column: 'b',
        value: null,
        message:
          'column "b" is not a finite number (infinite, or beyond ±3.4e38, the largest value of this model\'s float32 inputs); ' +
          'this model gives no prediction for rows with non-finite values',
      },
      { row: 14, column: null, value: null, message: expect.stringMatching(/^the model gave no finite prediction for this row/) },
    ]);
  });

  it('says "missing values" when only values are missing, and names at most five columns', () => {
    const wide: ColumnTarget[] = [{ name: 'x', type: 'float64', columns: [0, 1, 2, 3, 4, 5, 6] }];
    const names = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
    const b: RecordBatch = { firstRow: 0, count: 1, data: [new Float64Array(7).fill(NaN)], errors: [] };
    const [e] = failNonFiniteRows(predictions({ count: 1, values: Float64Array.of(NaN) }), b, wide, names);
    expect(e!.message).toBe(
      'column "c0" is missing (empty, NA, null or NaN), column "c1" is missing (empty, NA, null or NaN), column "c2" is missing (empty, NA, null or NaN), ' +
        'column "c3" is missing (empty, NA, null or NaN), column "c4" is missing (empty, NA, null or NaN) and 2 more; ' +
        'this model gives no prediction for rows with missing values',
    );
  });

  it('names a float64 input beyond ±3.4e38 when the outputs are not finite (a model that reads it as float32 inside)', () => {
    // A converted scikit-learn tree takes doubles and casts them to float32, as scikit-learn does, and refuses 1e39.
    const wide: ColumnTarget[] = [{ name: 'x', type: 'float64', columns: [1, 2] }];
    const b: RecordBatch = { firstRow: 0, count: 2, data: [Float64Array.of(1, -1e39, 1, 2)], errors: [] };
    const errors = failNonFiniteRows(predictions({ count: 2, values: Float64Array.of(NaN, NaN) }), b, wide, ['id', 'a', 'b']);
    expect(errors[0]).toMatchObject({ row: 0, column: 'b' });
    expect(errors[0]!.message).toMatch(
      /^the model gave no finite prediction for this row: column "b" is beyond ±3\.4e38, the largest float32/,
    );
    expect(errors[1]).toMatchObject({ row: 1, column: null });
    expect(errors[1]!.message).toMatch(/although its inputs are finite numbers/);
  });

  it('names a missing text cell when no number explains the row (a SimpleImputer with missing_values="?" refuses NaN)', () => {
    const targets: ColumnTarget[] = [
      { name: 'color', type: 'string', columns: [0] },
      { name: 'x', type: 'float64', columns: [1] },
    ];
    const b: RecordBatch = { firstRow: 0, count: 3, data: [['', 'red', ''], Float64Array.of(1, 2, NaN)], errors: [] };
    const errors = failNonFiniteRows(predictions({ count: 3, values: Float64Array.of(NaN, NaN, NaN) }), b, targets, ['color', 'x']);
    expect(errors[0]).toMatchObject({
      row: 0,
      column: 'color',
      message: 'column "color" is missing (empty, NA, null…); this model gives no prediction for rows with missing values',
    });
    expect(errors[1]!.message).toMatch(/although its inputs are finite numbers/);
    // A missing number is what the message names then: an empty text cell is what most models take.
    expect(errors[2]).toMatchObject({ row: 2, column: 'x' });
    expect(errors[2]!.message).not.toMatch(/color/);
  });
});

/** The example's rows with cells replaced: row → column name → text. */
function withCells(file: string, replaced: Record<number, Record<string, string>>) {
  const csv = readCsv(file);
  const rows = csv.rows.map((r, i) => r.map((c, k) => replaced[i]?.[csv.header[k]!] ?? c));
  return { header: csv.header, rows };
}

async function scoreWith(model: string, csv: { header: string[]; rows: string[][] }, forest: boolean) {
  // breast-cancer-rf does not name its inputs: the columns after the id, as the platform registers it.
  const prepared = await prepareModel(modelBytes(model), model.startsWith('breast') ? { features: csv.header.slice(1) } : {});
  const plan = planColumns(prepared.schema, csv.header);
  if (!plan.ok) throw new Error(plan.message);
  const session = await ScoringSession.create(prepared.bytes, prepared.schema, { ...THREADS, forest });
  try {
    const batch = makeBatch(plan.targets, csv.rows);
    const out = await session.score(batch, plan.targets);
    return { out, engine: session.engine.name, errors: failNonFiniteRows(out, batch, plan.targets, csv.header) };
  } finally {
    await session.release();
  }
}

describe('on the example models', () => {
  it('iris-logreg (ONNX Runtime): NaN and 1e39 inputs give NaN probabilities, and those rows fail', async () => {
    const csv = withCells('iris.csv', { 2: { sepal_length: 'NaN' }, 7: { petal_width: '1e39' } });
    const { out, engine, errors } = await scoreWith('iris-logreg.onnx', csv, true);
    expect(engine).toBe('onnxruntime');
    expect(out.labels![2]).toBeTypeOf('string'); // the label output still names a class: why the outputs decide
    expect(nonFiniteRows(out)).toEqual([2, 7]);
    expect(errors.map((e) => [e.row, e.column])).toEqual([
      [2, 'sepal_length'],
      [7, 'petal_width'],
    ]);
  });

  it('breast-cancer-rf: the forest evaluator and ONNX Runtime both score rows with NaN inputs, the same', async () => {
    const csv = withCells('breast_cancer.csv', { 0: { mean_radius: 'NaN', worst_area: 'NaN' }, 5: { mean_texture: 'NaN' } });
    const forest = await scoreWith('breast-cancer-rf.onnx', csv, true);
    const onnx = await scoreWith('breast-cancer-rf.onnx', csv, false);
    expect([forest.engine, onnx.engine]).toEqual(['forest', 'onnxruntime']);
    for (const r of [forest, onnx]) {
      expect(nonFiniteRows(r.out)).toBeNull();
      expect(r.errors).toEqual([]);
    }
    expect(forest.out.probabilities).toEqual(onnx.out.probabilities);
  });

  it('diabetes-gbr (a regressor on the forest evaluator) scores rows with NaN inputs', async () => {
    const csv = withCells('diabetes.csv', { 1: { bmi: 'NaN' }, 3: { age: 'NaN', s5: 'NaN' } });
    const { out, engine, errors } = await scoreWith('diabetes-gbr.onnx', csv, true);
    expect(engine).toBe('forest');
    expect(errors).toEqual([]);
    expect(Number.isFinite(out.values![1]) && Number.isFinite(out.values![3])).toBe(true);
  });
});
