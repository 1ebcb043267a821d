import { type CellType, type ColumnTarget, coerceCellTape, coerceObjects, type RecordBatch } from '@batchcast/csv';
import type { BatchPredictions } from '@batchcast/inference';
import { parsePredictBody, type PredictBodyLimits, readPredictCells } from '@batchcast/predict-body';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answerJson, predictionJson, predictionObjects, type ScoredRows } from '../src/predict-answer.js';
import { predictionTexts, predictionValues } from '../src/results/prediction-cells.js';

/**
 * The real-time endpoint reads its body as a cell tape and answers JSON written from the output arrays;
 * it must give exactly what the row-object path gives (parsePredictBody, coerceObjects, the answer objects
 * through JSON.stringify): same cells, same row errors, same refusals, same bytes.
 */

/** Keys as spelled in the body, some spelled two ways for one key (`\u00e9` and `é`), a few hostile ones. */
const KEY_SPELLINGS = ['a', 'b', 'mean radius', 'ключ', '\\u00e9', 'é', 'a\\"b', '__proto__', '𝔵', 'B', ' a '];
/** What the spellings decode to, for naming targets (not `__proto__`: see its own test). */
const TARGET_NAMES = ['a', 'b', 'mean radius', 'ключ', 'é', 'a"b', '𝔵', 'B', ' a '];

const CELL_TEXTS = [
  '1',
  '-0',
  '0',
  '17.99',
  '1.50',
  '1e3',
  '1E+3',
  '-2.5e-3',
  '0.000123',
  '123456789012345678',
  '1e400',
  '-1e400',
  '3.4028235e38',
  '9007199254740993',
  '2147483648',
  '"1.5"',
  '" 2 "',
  '""',
  '"abc"',
  '"nan"',
  '"-inf"',
  '"1,5"',
  '"yes"',
  '"0"',
  '"12345678901234567890"',
  '"é\\n"',
  'true',
  'false',
  'null',
  '[1,[2]]',
  '{"x":{"y":1}}',
  '[]',
  '{}',
];
const TYPES: CellType[] = ['float32', 'float64', 'int32', 'int64', 'bool', 'string'];

const ws = fc.constantFrom('', ' ', '\n', '\t ');
const cell = fc.tuple(fc.constantFrom(...KEY_SPELLINGS), fc.constantFrom(...CELL_TEXTS), ws);
const rowText = fc.array(cell, { maxLength: 8 }).map((cells) => `{${cells.map(([k, v, w]) => `${w}"${k}"${w}:${w}${v}`).join(',')}}`);
/** Rows that often repeat one key order (the reader's fast path), sometimes change it, sometimes are not objects. */
const body = fc
  .tuple(
    fc.array(rowText, { minLength: 1, maxLength: 3 }),
    fc.array(fc.nat(9), { maxLength: 12 }),
    fc.constantFrom('', '"x":[1],', '"rows":1,'),
  )
  .map(([shapes, picks, before]) => `{${before}"rows":[${picks.map((p) => (p === 9 ? '7' : shapes[p % shapes.length])).join(',')}]}`);

const targetsSpec = fc.array(
  fc.tuple(fc.constantFrom(...TYPES), fc.array(fc.constantFrom(...TARGET_NAMES), { minLength: 1, maxLength: 4 })),
  {
    minLength: 1,
    maxLength: 3,
  },
);

function targetsFor(header: readonly string[], spec: [CellType, string[]][]): ColumnTarget[] {
  return spec
    .map(([type, names], i) => ({ name: `t${i}`, type, columns: names.map((n) => header.indexOf(n)).filter((c) => c >= 0) }))
    .filter((t) => t.columns.length > 0);
}

type Outcome = { batch: RecordBatch; header: readonly string[] } | { refused: unknown };

function viaObjects(text: string, spec: [CellType, string[]][], limits?: Partial<PredictBodyLimits>): Outcome {
  try {
    const b = parsePredictBody(Buffer.from(text), limits);
    return { batch: coerceObjects(b.rows, b.header, targetsFor(b.header, spec)), header: b.header };
  } catch (e) {
    return { refused: e };
  }
}

function viaCells(text: string, spec: [CellType, string[]][], limits?: Partial<PredictBodyLimits>): Outcome {
  try {
    const tape = readPredictCells(Buffer.from(text), limits);
    return { batch: coerceCellTape(tape, targetsFor(tape.header, spec)), header: tape.header };
  } catch (e) {
    return { refused: e };
  }
}

/** Comparable form: typed arrays as plain arrays with NaN and -0 told apart by Object.is, errors as they are. */
function comparable(o: Outcome): unknown {
  if ('refused' in o) {
    const e = o.refused as { name: string; message: string; status?: number; code?: string; where?: unknown };
    return { refused: { name: e.name, message: e.message, status: e.status, code: e.code, where: e.where } };
  }
  const data = o.batch.data.map((d) =>
    Array.from(d as ArrayLike<unknown>, (x) => (typeof x === 'number' && Object.is(x, -0) ? '-0' : Number.isNaN(x) ? 'NaN' : x)),
  );
  return { header: o.header, count: o.batch.count, data, errors: o.batch.errors };
}

describe('the cell tape path against the row-object path', () => {
  it('gives the same cells and row errors for any body', () => {
    fc.assert(
      fc.property(body, targetsSpec, (text, spec) => {
        expect(comparable(viaCells(text, spec))).toEqual(comparable(viaObjects(text, spec)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('refuses the same bodies in the same words (limits, malformed JSON at the same offset)', () => {
    const limits = fc.record({
      maxRows: fc.integer({ min: 1, max: 6 }),
      maxKeysPerRow: fc.integer({ min: 1, max: 6 }),
      maxDistinctKeys: fc.integer({ min: 1, max: 8 }),
      maxDepth: fc.integer({ min: 2, max: 6 }),
      maxStringBytes: fc.integer({ min: 1, max: 12 }),
    });
    fc.assert(
      fc.property(body, targetsSpec, limits, fc.nat(), (text, spec, l, cut) => {
        const truncated = text.slice(0, cut % (text.length + 1));
        expect(comparable(viaCells(text, spec, l))).toEqual(comparable(viaObjects(text, spec, l)));
        expect(comparable(viaCells(truncated, spec))).toEqual(comparable(viaObjects(truncated, spec)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads a __proto__ key as an own cell, like the row objects do', () => {
    const text = '{"rows":[{"__proto__":"2.5","a":1},{"a":2,"__proto__":3}]}';
    const spec: [CellType, string[]][] = [['float64', ['__proto__', 'a']]];
    expect(comparable(viaCells(text, spec))).toEqual(comparable(viaObjects(text, spec)));
  });

  it('takes a missing __proto__ key as an empty cell (a row object would read Object.prototype there)', () => {
    const tape = readPredictCells(Buffer.from('{"rows":[{"__proto__":1},{"a":2}]}'));
    const batch = coerceCellTape(tape, [{ name: 'x', type: 'float64', columns: [0] }]);
    expect(Array.from(batch.data[0] as Float64Array)).toEqual([1, Number.NaN]);
    expect(batch.errors).toEqual([]);
  });
});

describe('predictionJson', () => {
  const label = fc.oneof(fc.constantFrom('yes', 'no', 'a"b', 'é\n', 'True', 'False'), fc.integer({ min: -3, max: 3 }));
  const float32 = fc.float({ noDefaultInfinity: false, noNaN: false });
  const scored = fc
    .record({
      task: fc.constantFrom('classifier', 'regressor', 'labels-only'),
      count: fc.integer({ min: 0, max: 8 }),
      labels: fc.uniqueArray(fc.constantFrom('0', '1', 'malignant', 'a"b'), { minLength: 1, maxLength: 3 }),
      failed: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      cells: fc.array(fc.tuple(label, fc.double(), float32), { minLength: 24, maxLength: 24 }),
      doubleValues: fc.boolean(),
      booleanLabels: fc.boolean(),
    })
    .map(({ task, count, labels, failed, cells, doubleValues, booleanLabels }): ScoredRows => {
      const classes = task === 'regressor' ? 0 : labels.length;
      const withProbabilities = task === 'classifier';
      const out: BatchPredictions = {
        count,
        labels: task === 'regressor' ? null : cells.slice(0, count).map((c) => c[0]),
        // A float32 model's values are doubles that are float32 numbers.
        values: task === 'regressor' ? Float64Array.from(cells.slice(0, count), (c) => (doubleValues ? c[1] : Math.fround(c[1]))) : null,
        probabilities: withProbabilities ? Float32Array.from(cells.slice(0, count * classes), (c) => c[2]) : null,
      };
      const columns = ['prediction', ...(withProbabilities ? labels.map((l) => `probability_${l}`) : [])];
      const errors = failed
        .slice(0, count)
        .flatMap((f, row) => (f ? [{ row, column: 'x', value: null, message: `column "x": "a\\"b\n" is not a number (${row})` }] : []));
      return { model: { name: 'm"é', version: 3 }, columns, classes, doubleValues, booleanLabels, count, errors, out };
    });

  it('is the answer objects as JSON (answerJson), byte for byte: JSON.stringify but for negative zero', () => {
    fc.assert(
      fc.property(scored, (s) => {
        const objects = predictionObjects(s);
        expect(predictionJson(s)).toBe(answerJson(objects));
        const hasNegativeZero = objects.predictions.some((p) => Object.values(p).some((v) => Object.is(v, -0)));
        if (!hasNegativeZero) expect(answerJson(objects)).toBe(JSON.stringify(objects));
        // Read back, every number is the one answered, negative zero included.
        const parsed = JSON.parse(predictionJson(s)).predictions as Record<string, unknown>[];
        parsed.forEach((p, i) => {
          for (const [k, v] of Object.entries(objects.predictions[i]!)) {
            if (typeof v === 'number' && Number.isFinite(v)) expect(Object.is(p[k], v), `${k}: ${v}`).toBe(true);
          }
        });
      }),
      { numRuns: 2_000 },
    );
  });

  it('answers a negative zero as -0.0, as the results files write it', () => {
    const s: ScoredRows = {
      model: { name: 'm', version: 1 },
      columns: ['prediction'],
      classes: 0,
      doubleValues: true,
      booleanLabels: false,
      count: 2,
      errors: [],
      out: { count: 2, labels: null, values: Float64Array.of(-0, 0), probabilities: null },
    };
    expect(predictionJson(s)).toBe('{"model":{"name":"m","version":1},"predictions":[{"prediction":-0.0},{"prediction":0}]}');
    expect(answerJson(predictionObjects(s))).toBe(predictionJson(s));
  });

  it("prints float32 probabilities and a float32 model's values in float32's shortest digits, as the batch results do", () => {
    // The answer printed the widened doubles (0.981583297252655, 201.570068359375) where the same row's batch results
    // have 0.9815833 and 201.57007: the same numbers, said differently.
    const classifier: ScoredRows = {
      model: { name: 'm', version: 1 },
      columns: ['prediction', 'probability_a', 'probability_b'],
      classes: 2,
      doubleValues: false,
      booleanLabels: false,
      count: 1,
      errors: [],
      out: { count: 1, labels: ['a'], values: null, probabilities: Float32Array.of(0.981583297252655, 0.018416736274957657) },
    };
    const answer =
      '{"model":{"name":"m","version":1},"predictions":[{"prediction":"a","probability_a":0.9815833,"probability_b":0.018416736}]}';
    expect(predictionJson(classifier)).toBe(answer);
    expect(answerJson(predictionObjects(classifier))).toBe(answer);
    const regressor = (doubleValues: boolean): ScoredRows => ({
      model: { name: 'm', version: 1 },
      columns: ['prediction'],
      classes: 0,
      doubleValues,
      booleanLabels: false,
      count: 1,
      errors: [],
      out: { count: 1, labels: null, values: Float64Array.of(201.570068359375), probabilities: null },
    });
    expect(predictionJson(regressor(false))).toBe('{"model":{"name":"m","version":1},"predictions":[{"prediction":201.57007}]}');
    // A model computing in double keeps every digit.
    expect(predictionJson(regressor(true))).toBe('{"model":{"name":"m","version":1},"predictions":[{"prediction":201.570068359375}]}');
  });

  it('falls back to the objects when two columns have one name', () => {
    const s: ScoredRows = {
      model: { name: 'm', version: 1 },
      columns: ['prediction', 'probability_1', 'probability_1'],
      classes: 2,
      doubleValues: false,
      booleanLabels: false,
      count: 1,
      errors: [],
      out: { count: 1, labels: [1], values: null, probabilities: Float32Array.of(0.25, 0.75) },
    };
    expect(predictionJson(s)).toBe(JSON.stringify(predictionObjects(s)));
  });
});

describe('prediction cells of the results', () => {
  // PostgreSQL prints a stored negative zero `-0` (float4 arrays): a regression value of a model that gives one.
  const batch = { firstRow: 0, rowCount: 2, labels: null, probabilities: null, values: '-0,1.5', errorRows: [], errorMessages: [] };

  it('keeps negative zero as -0.0 in the CSV, in either decimal', () => {
    expect([...predictionTexts([batch], 0, { delimiter: ',', decimal: '.' }, new Map())]).toEqual(['-0.0,', '1.5,']);
    expect([...predictionTexts([batch], 0, { delimiter: ';', decimal: ',' }, new Map())]).toEqual(['-0,0;', '1,5;']);
  });

  it('keeps negative zero as a number with its sign for the typed results', () => {
    const [first] = [...predictionValues([batch], 0)];
    expect(Object.is(first![0], -0)).toBe(true);
  });
});
