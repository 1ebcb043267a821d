import { describe, expect, it } from 'vitest';
import { coerceObjects, type ColumnTarget } from '../src/index.js';

/** JSON rows (the real-time endpoint) must coerce exactly as the same values in a CSV would. */
describe('coerceObjects', () => {
  const header = ['a', 'b', 'label'];
  const targets: ColumnTarget[] = [
    { name: 'x', type: 'float32', columns: [0, 1] },
    { name: 's', type: 'string', columns: [2] },
  ];

  it('gives the same float32 bits for a JSON number and its text', () => {
    const values = [0.1, 17.99, -1e-7, 123456789.123, 5e-324, 3.4028235e38, 2.5];
    const asNumbers = coerceObjects(
      values.map((v) => ({ a: v, b: -v, label: 'x' })),
      header,
      targets,
    );
    const asText = coerceObjects(
      values.map((v) => ({ a: String(v), b: String(-v), label: 'x' })),
      header,
      targets,
    );
    expect(Array.from(asNumbers.data[0] as Float32Array)).toEqual(Array.from(asText.data[0] as Float32Array));
    expect((asNumbers.data[0] as Float32Array)[2]).toBe(Math.fround(17.99));
  });

  it('keeps a JSON string "NA" a string, as pandas.read_json does: refused in a number column, saying null is the missing value', () => {
    const batch = coerceObjects(
      [
        { a: 'NA', b: 1, label: 'NA' },
        { a: null, b: 'NULL', label: 'x' },
        { a: 1, b: 2, label: 'NA' },
      ],
      header,
      targets,
    );
    const advice =
      '; if it marks a missing value, write null (in JSON and Parquet only null is missing: a text such as "NA" is text, as pandas reads it there)';
    expect(batch.errors).toEqual([
      { row: 0, column: 'a', value: 'NA', message: `column "a": "NA" is not a number${advice}` },
      { row: 1, column: 'b', value: 'NULL', message: `column "b": "NULL" is not a number${advice}` },
    ]);
    expect((batch.data[1] as string[])[2]).toBe('NA');
  });

  it('treats null and missing keys as empty cells (NaN) and fails only rows with bad values', () => {
    const batch = coerceObjects(
      [
        { a: null, b: 1, label: 'ok' },
        { b: 2, label: 'missing a' },
        { a: 'abc', b: 3, label: 'bad' },
        { a: { nested: true }, b: 4, label: 'object' },
        { a: '4.5', b: 5, label: 7 },
      ],
      header,
      targets,
    );
    const x = batch.data[0] as Float32Array;
    expect(Number.isNaN(x[0])).toBe(true);
    expect(Number.isNaN(x[2])).toBe(true);
    expect(batch.errors.map((e) => [e.row, e.column])).toEqual([
      [2, 'a'],
      [3, 'a'],
    ]);
    expect(batch.errors[0]!.message).toContain('"abc"');
    expect(x[8]).toBe(4.5);
    expect((batch.data[1] as string[])[4]).toBe('7');
  });
});
