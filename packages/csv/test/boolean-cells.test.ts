import { describe, expect, it } from 'vitest';
import type { BatchParserOptions } from '../src/batch-parser.js';
import { readBatchesWith } from '../src/read-batches.js';
import { type ColumnTarget, coerceCellTape, coerceObjects, type RecordBatch } from '../src/index.js';
import { cellTapeOf, layoutOf, mergeBatches, tempFile } from './helpers.js';

/*
 * A model fitted on a pandas DataFrame with a bool column takes 1/0 there (scikit-learn casts bool to float), and
 * the files it is scored from write that column as True/False (DataFrame.to_csv), TRUE/FALSE (Excel) or true/false;
 * JSON bodies as JSON booleans. An encoder fitted on such a column has the categories False and True.
 */

const PATHS: Record<string, BatchParserOptions> = { wasm: {}, js: { wasm: false }, general: { fast: false } };

async function readCsv(text: string, targets: ColumnTarget[], paths: BatchParserOptions) {
  const layout = layoutOf(text);
  const path = tempFile(text);
  const batches: RecordBatch[] = [];
  const options = { start: layout.dataStart, end: Buffer.byteLength(text), firstRow: 0, header: layout.header, targets, batchSize: 1000 };
  for await (const b of readBatchesWith(path, options, paths)) batches.push(b);
  return mergeBatches(batches, targets.length);
}

describe('booleans in a CSV number column', () => {
  const spellings = ['True', 'False', 'TRUE', 'FALSE', 'true', 'false', ' True ', '"False"', 'tRUE'];
  const expected = [1, 0, 1, 0, 1, 0, 1, 0, 1];
  const text = `is_member,visits\n${spellings.map((s, i) => `${s},${i}`).join('\n')}\n`;

  for (const [name, paths] of Object.entries(PATHS)) {
    it(`reads True/False, TRUE/FALSE, true/false as 1/0 in float32, float64, int32 and int64 (${name} path)`, async () => {
      for (const type of ['float32', 'float64', 'int32'] as const) {
        const { data, errors } = await readCsv(text, [{ name: 'x', type, columns: [0, 1] }], paths);
        expect(errors).toEqual([]);
        expect(data[0]).toEqual(expected.flatMap((b, i) => [b, i]));
      }
      const { data, errors } = await readCsv(text, [{ name: 'x', type: 'int64', columns: [0, 1] }], paths);
      expect(errors).toEqual([]);
      expect(data[0]).toEqual(expected.flatMap((b, i) => [BigInt(b), BigInt(i)]));
    });
  }

  it('numbers, missing values and booleans mix in one column, row by row', async () => {
    const { data, errors } = await readCsv('b\n1.5\nTrue\n""\nNA\nFALSE\n-2\n', [{ name: 'x', type: 'float64', columns: [0] }], {});
    expect(errors).toEqual([]);
    expect(data[0]).toEqual([1.5, 1, NaN, NaN, 0, -2]);
  });

  it('refuses yes/no, T/F, on/off and other words: pandas reads them as text, which scikit-learn refuses as a number', async () => {
    const words = ['yes', 'no', 'T', 'F', 'on', 'off', 'Y', 'truth', 'true1'];
    const { errors } = await readCsv(`b\n${words.join('\n')}\n`, [{ name: 'x', type: 'float64', columns: [0] }], {});
    expect(errors.map((e) => e.message)).toEqual(words.map((w) => `column "b": "${w}" is not a number`));
    const ints = await readCsv('b\nyes\n', [{ name: 'x', type: 'int64', columns: [0] }], {});
    expect(ints.errors.map((e) => e.message)).toEqual(['column "b": "yes" is not an integer']);
  });

  it('leaves a text column as written: the CSV cell True is the category True', async () => {
    const { data, errors } = await readCsv('b\nTrue\nfalse\n', [{ name: 's', type: 'string', columns: [0] }], {});
    expect(errors).toEqual([]);
    expect(data[0]).toEqual(['True', 'false']);
  });
});

describe('JSON booleans', () => {
  const header = ['is_member', 'visits'];
  const rows = [
    { is_member: true, visits: 3 },
    { is_member: false, visits: 4 },
  ];

  const both = (objects: Record<string, unknown>[], targets: ColumnTarget[]) => {
    const fromObjects = coerceObjects(objects, header, targets);
    const fromTape = coerceCellTape(cellTapeOf(header, objects), targets);
    expect(fromTape).toEqual(fromObjects);
    return fromObjects;
  };

  it('are 1/0 in number inputs, as pandas.read_json + scikit-learn score them', () => {
    for (const type of ['float32', 'float64', 'int32'] as const) {
      const batch = both(rows, [{ name: 'x', type, columns: [0, 1] }]);
      expect(batch.errors).toEqual([]);
      expect(Array.from(batch.data[0] as ArrayLike<number>)).toEqual([1, 3, 0, 4]);
    }
    const batch = both(rows, [{ name: 'x', type: 'int64', columns: [0, 1] }]);
    expect(Array.from(batch.data[0] as BigInt64Array)).toEqual([1n, 3n, 0n, 4n]);
    const bools = both(rows, [{ name: 'b', type: 'bool', columns: [0] }]);
    expect(Array.from(bools.data[0] as Uint8Array)).toEqual([1, 0]);
  });

  it('are True/False in text inputs: the categories scikit-learn names for a bool column, as DataFrame.to_csv writes them', () => {
    const batch = both(rows, [{ name: 's', type: 'string', columns: [0] }]);
    expect(batch.errors).toEqual([]);
    expect(batch.data[0]).toEqual(['True', 'False']);
  });

  it('a JSON string "true" stays text, refused where a number is needed with how to write a boolean', () => {
    const batch = both(
      [
        { is_member: 'true', visits: 1 },
        { is_member: 'False', visits: 1 },
      ],
      [{ name: 'x', type: 'float64', columns: [0, 1] }],
    );
    const hint = '; to give a boolean (read as 1/0), write true or false, not a string';
    expect(batch.errors.map((e) => e.message)).toEqual([
      `column "is_member": "true" is not a number${hint}`,
      `column "is_member": "False" is not a number${hint}`,
    ]);
  });
});
