import { describe, expect, it } from 'vitest';
import { type ColumnTarget, coerceCellTape, coerceObjects, MAX_CELLS_NAMED, RowFailure } from '../src/index.js';
import { cellTapeOf, collectLayoutBatches, layoutOf, mergeBatches, tempFile } from './helpers.js';

/**
 * A failed row names every cell that could not be read, so that a person correcting the file corrects them all at
 * once: in a CSV (the general path and the fast one), in JSON rows as objects and as the real-time endpoint's tape.
 */
const iris = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const floats: ColumnTarget[] = [{ name: 'x', type: 'float32', columns: [0, 1, 2, 3] }];

async function readCsv(text: string, targets: ColumnTarget[]) {
  return mergeBatches(await collectLayoutBatches(tempFile(text), layoutOf(text), { targets, batchSize: 1000 }), targets.length);
}

function readJson(header: string[], objects: Record<string, unknown>[], targets: ColumnTarget[]) {
  const fromObjects = coerceObjects(objects, header, targets);
  expect(coerceCellTape(cellTapeOf(header, objects), targets)).toEqual(fromObjects);
  return fromObjects;
}

describe('a failed row names every bad cell', () => {
  it('in a CSV: each bad cell in column order, the first as the error column and value; good rows score', async () => {
    const { errors, data } = await readCsv(`${iris.join(',')}\n5.1,3.5,1.4,0.2\nabc,xyz,1.4,NA?\n6,3,5,2\n`, floats);
    expect(errors).toEqual([
      {
        row: 1,
        column: 'sepal_length',
        value: 'abc',
        message:
          'column "sepal_length": "abc" is not a number | column "sepal_width": "xyz" is not a number | column "petal_width": "NA?" is not a number',
      },
    ]);
    expect(data[0]!.slice(0, 4)).toEqual([5.1, 3.5, 1.4, 0.2].map(Math.fround));
    expect(data[0]!.slice(8)).toEqual([6, 3, 5, 2]);
  });

  it('quotes a cell as CSV does ("3""5", not a JSON escape), line breaks and tabs escaped to keep one line, a backslash as it is', async () => {
    const { errors } = await readCsv(`${iris.join(',')}\n"3""5","a\nb",1\\2,"x\ty"\n`, floats);
    expect(errors.map((e) => e.message)).toEqual([
      'column "sepal_length": "3""5" is not a number | column "sepal_width": "a\\nb" is not a number | ' +
        'column "petal_length": "1\\2" is not a number | column "petal_width": "x\\ty" is not a number',
    ]);
  });

  it('shows invisible and reordering characters as \\u escapes, and says a number holds one', async () => {
    // A right-to-left override displayed "\u202e5.1" as "1.5" in the reason; a zero-width space was not seen at all.
    const { errors } = await readCsv(`${iris.join(',')}\n\u202e5.1,3.5\u200b,\u200b,a\u200bb\n`, floats);
    expect(errors.map((e) => e.message)).toEqual([
      'column "sepal_length": "\\u202e5.1" is not a number: it is 5.1 with an invisible character (U+202E), which most editors do not show; delete it | ' +
        'column "sepal_width": "3.5\\u200b" is not a number: it is 3.5 with an invisible character (U+200B), which most editors do not show; delete it | ' +
        'column "petal_length": "\\u200b" is not a number | column "petal_width": "a\\u200bb" is not a number',
    ]);
  });

  it('in JSON rows, as objects and as a tape alike, in the model inputs’ order, a missing key included', () => {
    const batch = readJson(
      iris,
      [
        { sepal_width: 'wide', sepal_length: 'long', petal_length: 1.4, petal_width: 0.2 },
        { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
      ],
      [
        { name: 'x', type: 'float32', columns: [0, 1] },
        { name: 'n', type: 'int64', columns: [2] },
      ],
    );
    expect(batch.errors).toEqual([
      {
        row: 0,
        column: 'sepal_length',
        value: 'long',
        message:
          'column "sepal_length": "long" is not a number | column "sepal_width": "wide" is not a number | column "petal_length": "1.4" is not an integer',
      },
      { row: 1, column: 'petal_length', value: '1.4', message: 'column "petal_length": "1.4" is not an integer' },
    ]);
  });

  it('a column that feeds two model inputs is named once', async () => {
    const targets: ColumnTarget[] = [
      { name: 'a', type: 'float32', columns: [0] },
      { name: 'b', type: 'float64', columns: [0, 1] },
    ];
    const { errors } = await readCsv('p,q\nabc,xyz\n', targets);
    expect(errors.map((e) => e.message)).toEqual(['column "p": "abc" is not a number | column "q": "xyz" is not a number']);
    const json = readJson(['p', 'q'], [{ p: 'abc', q: 'xyz' }], targets);
    expect(json.errors.map((e) => e.message)).toEqual(errors.map((e) => e.message));
  });

  it(`names at most ${MAX_CELLS_NAMED} cells and counts the others`, async () => {
    const header = Array.from({ length: 13 }, (_, i) => `c${i}`);
    const targets: ColumnTarget[] = [{ name: 'x', type: 'float32', columns: header.map((_, i) => i) }];
    const { errors } = await readCsv(`${header.join(',')}\n${header.map((h) => `bad_${h}`).join(',')}\n`, targets);
    const named = header.slice(0, MAX_CELLS_NAMED).map((h) => `column "${h}": "bad_${h}" is not a number`);
    expect(errors[0]!.message).toBe(`${named.join(' | ')} | and 3 more cells that cannot be read`);
    const one = new RowFailure('a', '1', 'first');
    for (let i = 0; i < MAX_CELLS_NAMED; i++) one.add(`b${i}`, `next ${i}`);
    expect(one.message.endsWith(' | and 1 more cell that cannot be read')).toBe(true);
  });
});
