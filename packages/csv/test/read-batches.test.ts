import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readBatches, splitRecord, type ColumnTarget, type RecordBatch } from '../src/index.js';
import { collectBatches, collectChunkBatches, collectLayoutBatches, layoutOf, mergeBatches, tempFile } from './helpers.js';

/** Reads a whole CSV text (header included) through scanner + readBatches. */
async function readAll(text: string, targets: ColumnTarget[], batchSize = 1000, highWaterMark?: number) {
  const layout = layoutOf(text);
  const path = tempFile(text);
  const batches = await collectLayoutBatches(path, layout, { targets, batchSize, highWaterMark });
  return { batches, ...mergeBatches(batches, targets.length) };
}

describe('readBatches coercion', () => {
  it('float32/float64: decimals, signs, exponents, spaces, NaN/inf words, empty = NaN', async () => {
    const cells = ['1.5', ' -2 ', '+3e2', '1E-3', '', '   ', 'NaN', 'nan', 'inf', '-Infinity', 'INF', '.25', '"4.5"'];
    const text = `x,y\n${cells.map((c) => `${c},${c}`).join('\n')}\n`;
    const { data, errors, rows } = await readAll(text, [
      { name: 'f', type: 'float32', columns: [0] },
      { name: 'd', type: 'float64', columns: [1] },
    ]);
    expect(rows).toBe(cells.length);
    expect(errors).toEqual([]);
    const expected = [1.5, -2, 300, 0.001, NaN, NaN, NaN, NaN, Infinity, -Infinity, Infinity, 0.25, 4.5];
    expect(data[1]).toEqual(expected);
    expect(data[0]).toEqual(expected.map(Math.fround));
  });

  it('a float cell that is not a number fails its row, the slot is NaN, other rows are fine', async () => {
    const { data, errors, batches } = await readAll('id,age,w\n1,30,2\n2,abc,3\n3,1e,4\n4,0x10,5\n', [
      { name: 'x', type: 'float32', columns: [1, 2] },
    ]);
    expect(batches[0]!.data[0]).toBeInstanceOf(Float32Array);
    expect(errors).toEqual([
      { row: 1, column: 'age', value: 'abc', message: 'column "age": "abc" is not a number' },
      { row: 2, column: 'age', value: '1e', message: 'column "age": "1e" is not a number' },
      { row: 3, column: 'age', value: '0x10', message: 'column "age": "0x10" is not a number' },
    ]);
    expect(data[0]).toEqual([30, 2, NaN, NaN, NaN, NaN, NaN, NaN]);
  });

  it('a number as a spreadsheet displays it (percent, currency, accounting negative, typographic minus) fails its row, saying how to write it', async () => {
    // What an export "as displayed" or a copy from a report writes; pandas reads none of them as a number either.
    // Before, each said only `is not a number`, leaving the person to guess what about "35%" was wrong.
    const cells = ['35%', '$1,234.50', '1.234,50 €', 'EUR 12', '(1,234)', '\u22121234', 'abc'];
    const { errors, data } = await readAll(`amount\n${cells.map((c) => `"${c}"`).join('\n')}\n`, [
      { name: 'x', type: 'float64', columns: [0] },
    ]);
    const general = 'by formatting the column as a plain number (General)';
    expect(errors.map((e) => e.message)).toEqual([
      `column "amount": "35%" is not a number; the percent sign is not part of a number: write the number alone (0.35 for 35%, or 35, as the model was trained on), e.g. ${general} in the spreadsheet before exporting it`,
      `column "amount": "$1,234.50" is not a number; the currency sign is not part of a number: write the number alone (1234.5), e.g. ${general} in the spreadsheet before exporting it`,
      `column "amount": "1.234,50 €" is not a number; the currency sign is not part of a number: write the number alone (1234.5), e.g. ${general} in the spreadsheet before exporting it`,
      `column "amount": "EUR 12" is not a number; the currency sign is not part of a number: write the number alone (1234.5), e.g. ${general} in the spreadsheet before exporting it`,
      `column "amount": "(1,234)" is not a number; parentheses are an accountant's way of writing a negative number: write it with a minus sign (-1234.5), e.g. ${general} before exporting it`,
      'column "amount": "\u22121234" is not a number; it starts with U+2212, a typographic minus or dash, not the minus sign numbers are written with: replace it with "-" (the hyphen-minus key)',
      'column "amount": "abc" is not a number',
    ]);
    expect(data[0]).toEqual(cells.map(() => NaN));
  });

  it("pandas' default missing-value markers (R's NA, SQL's NULL, Excel's #N/A, <NA>…) are missing values, quoted or not", async () => {
    // Exactly the cells pandas.read_csv reads as NaN by default (its STR_NA_VALUES; `None` since pandas 2.0).
    const markers = ['NA', '"NA"', 'NULL', 'null', 'N/A', 'n/a', '#N/A', '#N/A N/A', '#NA', '<NA>', 'None', 'NaN', 'nan', '-NaN', '-nan'];
    const more = ['1.#IND', '-1.#IND', '1.#QNAN', '-1.#QNAN', '""', '2.5'];
    const cells = [...markers, ...more];
    const { data, errors, rows } = await readAll(`x,y\n${cells.map((c) => `${c},${c}`).join('\n')}\n`, [
      { name: 'f', type: 'float32', columns: [0] },
      { name: 'd', type: 'float64', columns: [1] },
    ]);
    expect(errors).toEqual([]);
    expect(rows).toBe(cells.length);
    const expected = [...cells.slice(0, -1).map(() => NaN), 2.5];
    expect(data[0]).toEqual(expected);
    expect(data[1]).toEqual(expected);
  });

  it('a marker pandas does not read as missing (another case, spaces, -, ?, nil) still fails its row, saying how to write one', async () => {
    const cells = ['na', 'Null', 'NONE', ' NA', 'NA ', '-', '?', 'nil', 'missing', 'abc'];
    const { errors, data } = await readAll(`age\n${cells.map((c) => `"${c}"`).join('\n')}\n`, [
      { name: 'x', type: 'float32', columns: [0] },
    ]);
    const advice =
      '; if it marks a missing value, leave the cell empty or write one of the markers pandas reads, exactly (NA, NULL, N/A, #N/A, NaN…)';
    expect(errors.map((e) => [e.row, e.value, e.message])).toEqual(
      cells.map((c, row) => [row, c, `column "age": ${JSON.stringify(c)} is not a number${c === 'abc' ? '' : advice}`]),
    );
    expect(data[0]).toEqual(cells.map(() => NaN));
  });

  it('a marker in a text column is the empty text (a missing category for the converted encoders and imputers); other texts stay', async () => {
    const { data, errors } = await readAll('s\nNA\nred\n"NULL"\n""\n#N/A\nna\n NA\nNone\n', [{ name: 's', type: 'string', columns: [0] }]);
    expect(errors).toEqual([]);
    expect(data[0]).toEqual(['', 'red', '', '', '', 'na', ' NA', '']);
  });

  it('a marker where an integer or a boolean is needed fails its row as an empty cell does, saying it marks a missing value', async () => {
    const { errors } = await readAll('n,b\n1,true\nNA,true\n2,NULL\n,true\nNaN,false\n', [
      { name: 'n', type: 'int64', columns: [0] },
      { name: 'b', type: 'bool', columns: [1] },
    ]);
    expect(errors.map((e) => [e.row, e.message])).toEqual([
      [1, 'column "n": "NA" marks a missing value; an integer is required'],
      [2, 'column "b": "NULL" marks a missing value; true or false is required'],
      [3, 'column "n" is empty; an integer is required'],
      [4, 'column "n": "NaN" marks a missing value; an integer is required'],
    ]);
  });

  it('int32: integers, integral decimals; errors for fractions, empty cells and overflow', async () => {
    const { data, errors, batches } = await readAll('n\n3\n3.0\n -7 \n1e3\n3.5\n""\n2147483648\n-2147483648\nseven\n', [
      { name: 'n', type: 'int32', columns: [0] },
    ]);
    expect(batches[0]!.data[0]).toBeInstanceOf(Int32Array);
    expect(data[0]).toEqual([3, 3, -7, 1000, 0, 0, 0, -2147483648, 0]);
    expect(errors.map((e) => [e.row, e.message])).toEqual([
      [4, 'column "n": "3.5" is not an integer'],
      [5, 'column "n" is empty; an integer is required'],
      [6, 'column "n": "2147483648" is out of range for int32 (-2147483648 to 2147483647)'],
      [8, 'column "n": "seven" is not an integer'],
    ]);
  });

  it('int64: exact beyond 2^53, range checked', async () => {
    const { data, errors, batches } = await readAll('n\n9007199254740993\n-9223372036854775808\n9223372036854775808\n4.0\n12\n', [
      { name: 'n', type: 'int64', columns: [0] },
    ]);
    expect(batches[0]!.data[0]).toBeInstanceOf(BigInt64Array);
    expect(data[0]).toEqual([9007199254740993n, -9223372036854775808n, 0n, 4n, 12n]);
    expect(errors.map((e) => e.row)).toEqual([2]);
    expect(errors[0]!.message).toContain('out of range for int64');
  });

  it('bool: true/false, yes/no, 1/0 in any case; anything else fails', async () => {
    const { data, errors, batches } = await readAll('b\ntrue\nFALSE\n Yes \nno\n1\n0\nmaybe\n""\n', [
      { name: 'b', type: 'bool', columns: [0] },
    ]);
    expect(batches[0]!.data[0]).toBeInstanceOf(Uint8Array);
    expect(data[0]).toEqual([1, 0, 1, 0, 1, 0, 0, 0]);
    expect(errors.map((e) => [e.row, e.message])).toEqual([
      [6, 'column "b": "maybe" is not a boolean (use true/false, yes/no or 1/0)'],
      [7, 'column "b" is empty; true or false is required'],
    ]);
  });

  it('string: cell text as is, quotes removed, CRLF not part of the cell', async () => {
    const text = 'a,b\r\n plain ,"with, comma"\r\n"multi\r\nline","say ""hi"""\r\n"x"y,\r\n';
    const { data, errors } = await readAll(text, [{ name: 's', type: 'string', columns: [0, 1] }]);
    expect(errors).toEqual([]);
    expect(data[0]).toEqual([' plain ', 'with, comma', 'multi\r\nline', 'say "hi"', 'xy', '']);
  });

  it("a record with more fields than the header keeps the extra ones in its error, whatever they hold (the results' columns are the header's)", async () => {
    const long = 'z'.repeat(2_500);
    const text = `a,b\r\n1,2,"x, ""y""\r\nz",\r\n3,4\r\n5,6,${long}\r\n`;
    const { errors } = await readAll(text, [{ name: 'f', type: 'float32', columns: [0, 1] }]);
    const extra = (row: number) => errors.find((e) => e.row === row)!.message.split(' end of the row; ')[1];
    expect(extra(0)).toBe('the 2 extra fields, left out of the results\' columns: "x, \\"y\\"\\r\\nz", ""');
    expect(extra(2)).toBe(
      `the extra field, left out of the results' columns (2,502 characters, the first 2,000 here): ${JSON.stringify(long).slice(0, 2_000)}…`,
    );
    expect(errors.map((e) => e.row)).toEqual([0, 2]);
  });

  it('a record with the wrong field count is one RowError with column null, all slots neutral', async () => {
    const text = 'a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,x,y\n11,12,13';
    const { data, errors } = await readAll(text, [
      { name: 'f', type: 'float32', columns: [0, 1] },
      { name: 'i', type: 'int32', columns: [2] },
      { name: 's', type: 'string', columns: [0] },
    ]);
    expect(errors).toEqual([
      { row: 1, column: null, value: null, message: 'row has 2 fields, the header has 3 — check for an unquoted comma or a missing value' },
      {
        row: 2,
        column: null,
        value: null,
        message:
          'row has 4 fields, the header has 3 — check for an unquoted comma inside a value, or one at the end of the row; the extra field, left out of the results\' columns: "9"',
      },
      // Every failing cell of the row is named; the first is its column and value.
      { row: 3, column: 'b', value: 'x', message: 'column "b": "x" is not a number | column "c": "y" is not an integer' },
    ]);
    expect(data[0]).toEqual([1, 2, NaN, NaN, NaN, NaN, NaN, NaN, 11, 12]);
    expect(data[1]).toEqual([3, 0, 0, 0, 13]);
    expect(data[2]).toEqual(['1', '', '', '', '11']);
  });

  it("a JSON file's lists made CSV (lists): a list of another length than the first says so of lists and values, not of a header or a delimiter", async () => {
    // pandas' to_json(orient='values') rows as the header-less CSV the upload stores: no header, the first list's length rules.
    const text = '5.1,3.5,setosa\n4.9,3.0\n4.7,3.2,setosa,"x, y",9\n4.6,3.1,setosa\n';
    const targets: ColumnTarget[] = [{ name: 'f', type: 'float32', columns: [0, 1] }];
    const read = async (lists: boolean) => {
      const errors = [];
      const opts = { start: 0, end: Buffer.byteLength(text), firstRow: 0, header: ['a', 'b', 'c'], targets, batchSize: 10 };
      for await (const b of readBatches(tempFile(text), { ...opts, lists })) errors.push(...b.errors);
      return errors;
    };
    expect(await read(true)).toEqual([
      {
        row: 1,
        column: null,
        value: null,
        message:
          'this list has 2 values, the first list has 3 — every list is a row, its values the columns in order: write null for a missing value',
      },
      {
        row: 2,
        column: null,
        value: null,
        message:
          'this list has 5 values, the first list has 3 — every list is a row, its values the columns in order; the 2 extra values, left out of the results\' columns: "x, y", "9"',
      },
    ]);
    // A CSV's own wording is unchanged.
    expect((await read(false)).map((e) => e.message.split(' — ')[0])).toEqual([
      'row has 2 fields, the header has 3',
      'row has 5 fields, the header has 3',
    ]);
  });

  it('fills targets in the order of their columns; a column may feed several targets', async () => {
    const { data } = await readAll('a,b,c\n1,2,x\n3,4,y\n', [
      { name: 'rev', type: 'float64', columns: [1, 0] },
      { name: 'again', type: 'string', columns: [0, 2] },
      { name: 'twice', type: 'float32', columns: [1, 1] },
    ]);
    expect(data[0]).toEqual([2, 1, 4, 3]);
    expect(data[1]).toEqual(['1', 'x', '3', 'y']);
    expect(data[2]).toEqual([2, 2, 4, 4]);
  });

  it('cuts batches of batchSize records, numbered from firstRow, last one shorter', async () => {
    const text = `a\n${Array.from({ length: 7 }, (_, i) => `${i}`).join('\n')}\n`;
    const path = tempFile(text);
    const batches = await collectBatches(path, {
      start: 2,
      end: Buffer.byteLength(text),
      firstRow: 100,
      header: ['a'],
      targets: [{ name: 'a', type: 'float32', columns: [0] }],
      batchSize: 3,
    });
    expect(batches.map((b) => [b.firstRow, b.count, Array.from(b.data[0] as Float32Array)])).toEqual([
      [100, 3, [0, 1, 2]],
      [103, 3, [3, 4, 5]],
      [106, 1, [6]],
    ]);
  });

  it('numbers RowErrors absolutely (firstRow + offset)', async () => {
    const text = 'a\n1\nx\n3\n';
    const path = tempFile(text);
    const batches = await collectBatches(path, {
      start: 2,
      end: text.length,
      firstRow: 40,
      header: ['a'],
      targets: [{ name: 'a', type: 'float32', columns: [0] }],
      batchSize: 2,
    });
    expect(batches[0]!.errors).toEqual([{ row: 41, column: 'a', value: 'x', message: 'column "a": "x" is not a number' }]);
  });

  it('refuses a target column outside the header', async () => {
    const gen = collectBatches(tempFile('a\n1\n'), {
      start: 2,
      end: 4,
      firstRow: 0,
      header: ['a'],
      targets: [{ name: 't', type: 'float32', columns: [1] }],
      batchSize: 2,
    });
    await expect(gen).rejects.toThrow(RangeError);
  });

  it('equals Math.fround(Number(cell)) for every cell of the breast cancer data set', async () => {
    const text = readFileSync(new URL('../../../examples/data/breast_cancer.csv', import.meta.url), 'utf8');
    const layout = layoutOf(text);
    const cols = Array.from({ length: layout.header.length - 1 }, (_, i) => i + 1);
    const { data, rows, errors } = await readAll(text, [{ name: 'x', type: 'float32', columns: cols }], 100, 4096);
    expect(errors).toEqual([]);
    const lines = text.trimEnd().split('\n').slice(1);
    expect(rows).toBe(lines.length);
    const expected = lines.flatMap((l) =>
      splitRecord(Buffer.from(l))
        .slice(1)
        .map((c) => Math.fround(Number(c))),
    );
    expect(data[0]).toEqual(expected);
  });
});

describe('readBatches over chunks', () => {
  const rowsText: string[] = [];
  for (let i = 0; i < 40; i++) {
    const note = i % 5 === 0 ? `"note ${i}\nwith, comma"` : i % 7 === 0 ? `"say ""${i}"""` : `n${i}`;
    const v = i % 11 === 0 ? 'bad' : i % 13 === 0 ? '' : `${i}.5`;
    rowsText.push(`${i},${note},${v}${i % 9 === 0 ? '\r\n' : '\n'}${i % 6 === 0 ? '\n' : ''}`);
  }
  const text = `id,note,v\n${rowsText.join('')}40,last,1e3`;
  const targets: ColumnTarget[] = [
    { name: 'v', type: 'float32', columns: [2, 0] },
    { name: 'note', type: 'string', columns: [1] },
  ];

  for (const chunkRows of [1, 2, 3, 1000]) {
    it(`concatenated chunk reads equal the whole-file read (chunkRows=${chunkRows})`, async () => {
      const layout = layoutOf(text, { chunkRows });
      const path = tempFile(text);
      const whole = mergeBatches(await collectLayoutBatches(path, layout, { targets, batchSize: 8 }), 2);
      expect(whole.rows).toBe(41);
      expect(whole.errors.map((e) => e.row)).toEqual([0, 11, 22, 33]);
      expect(whole.data[1]![5]).toBe('note 5\nwith, comma');
      expect(whole.data[1]![7]).toBe('say "7"');
      const parts = [];
      for (const c of layout.chunks) {
        for (const batch of await collectChunkBatches(path, layout, c, { targets, batchSize: 8, highWaterMark: 5 })) {
          parts.push(batch);
        }
      }
      const merged = mergeBatches(parts, 2);
      expect(merged).toEqual(whole);
    });
  }
});

describe('readBatches, arrays given back (RecordBatch.release)', () => {
  // Numbers, cells that fail their row, records with too few fields, text: across batches of 8 records.
  const lines = Array.from({ length: 60 }, (_, i) =>
    i % 7 === 3 ? `r${i},abc,${i}` : i % 11 === 5 ? `r${i}` : `r${i},${i * 1.5},${-i * 1e30}`,
  );
  const text = `id,a,b\n${lines.join('\n')}\n`;
  const targets: ColumnTarget[] = [
    { name: 'x', type: 'float32', columns: [1, 2] },
    { name: 'y', type: 'float64', columns: [2] },
    { name: 'id', type: 'string', columns: [0] },
  ];
  const layout = layoutOf(text);
  const path = tempFile(text);
  const read = () =>
    readBatches(path, { start: layout.dataStart, end: layout.bytes, firstRow: 0, header: layout.header, targets, batchSize: 8 });
  const copy = (b: RecordBatch) => ({
    firstRow: b.firstRow,
    count: b.count,
    data: b.data.map((d) => Array.from(d as ArrayLike<unknown>)),
    errors: b.errors,
  });

  it('gives the same batches when each is given back once read, read into the same arrays', async () => {
    const kept: ReturnType<typeof copy>[] = [];
    for await (const b of read()) kept.push(copy(b));
    const given: ReturnType<typeof copy>[] = [];
    const buffers: ArrayBufferLike[] = [];
    for await (const b of read()) {
      given.push(copy(b));
      buffers.push((b.data[0] as Float32Array).buffer);
      b.release?.();
    }
    expect(kept.length).toBe(8);
    expect(given).toEqual(kept);
    expect(kept.flatMap((b) => b.errors).length).toBeGreaterThan(10); // failed rows in every batch, read into used arrays
    // Every full batch after the first was read into the first one's arrays (the last, shorter one is a copy).
    expect(new Set(buffers.slice(0, -1)).size).toBe(1);
  });

  it('a batch given back twice gives its arrays to one later batch only', async () => {
    const batches: RecordBatch[] = [];
    for await (const b of read()) {
      batches.push(b);
      if (batches.length === 1) b.release?.();
      if (batches.length === 2) batches[0]!.release?.(); // again, while the second batch holds the arrays
      if (batches.length === 3) break;
    }
    const [first, second, third] = batches.map((b) => (b.data[0] as Float32Array).buffer);
    expect(second).toBe(first);
    expect(third).not.toBe(second);
  });
});
