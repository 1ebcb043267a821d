import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  duckdbMakeParquet,
  duckdbParquet,
  openpyxlMake,
  openpyxlWorkbook,
  results,
  resultsJsonl,
  scored,
  xlsxSheetXml,
} from './support/formats.js';
import { fileBlob } from './support/http.js';
import { ADMIN_TOKEN, type Platform, platformForFile, repoRoot } from './support/platform.js';

/**
 * The typed results (results.jsonl, .parquet, .xlsx) keep the input's types, over HTTP on a real platform, read
 * back by tools other than ours (JSON.parse, DuckDB, openpyxl): a CSV's columns the model does not use are typed by
 * what the whole column holds (as pandas.read_csv types them), a workbook's column of several kinds keeps each
 * cell's kind, empty cells are null, and integer class labels are integers.
 */
let platform: Platform;
platformForFile({ workers: 1, env: { RATE_LIMIT_JOBS_PER_MINUTE: '0' } }, (started) => {
  platform = started;
});

const IRIS = { model: 'iris-logreg' };

describe('a CSV column the model does not use', () => {
  const csv =
    'customer_id,revenue,code,big_id,flag,note,sepal_length,sepal_width,petal_length,petal_width\n' +
    '101,1200.50,007,12345678901234567,true,a,5.1,3.5,1.4,0.2\n' +
    '102,99,010,12345678901234568,False,,6.3,2.9,5.6,1.8\n' +
    ',NA,020,1,TRUE,NA,5.0,3.4,1.5,0.2\n';

  it('is typed by the whole column: int64, double, bool; leading zeros and long ids stay text; missing is null', async () => {
    const { job } = await scored(platform, Buffer.from(csv), { fields: IRIS, filename: 'extra.csv' });

    const jsonl = await resultsJsonl(platform, job);
    expect(jsonl.map((r) => r.customer_id)).toEqual([101, 102, null]);
    expect(jsonl.map((r) => r.revenue)).toEqual([1200.5, 99, null]);
    expect(jsonl.map((r) => r.code)).toEqual(['007', '010', '020']);
    expect(jsonl.map((r) => r.big_id)).toEqual(['12345678901234567', '12345678901234568', '1']);
    expect(jsonl.map((r) => r.flag)).toEqual([true, false, true]);
    expect(jsonl.map((r) => r.note)).toEqual(['a', null, null]);

    const parquet = await duckdbParquet(await results(platform, job, 'parquet'));
    expect(parquet.types).toMatchObject({
      customer_id: 'BIGINT',
      revenue: 'DOUBLE',
      code: 'VARCHAR',
      big_id: 'VARCHAR',
      flag: 'BOOLEAN',
      note: 'VARCHAR',
      // iris-logreg's labels are text: they stay text.
      prediction: 'VARCHAR',
    });
    expect(parquet.rows.map((r) => r.customer_id)).toEqual([101n, 102n, null]);
    expect(parquet.rows.map((r) => r.revenue)).toEqual([1200.5, 99, null]);
    expect(parquet.rows.map((r) => r.code)).toEqual(['007', '010', '020']);

    const xlsx = await openpyxlWorkbook(await results(platform, job, 'xlsx'));
    const [header, ...rows] = xlsx.rows;
    const col = (name: string) => rows.map((r) => r[header!.indexOf(name)]);
    expect(col('customer_id')).toEqual([101, 102, null]);
    expect(col('revenue')).toEqual([1200.5, 99, null]);
    expect(col('code')).toEqual(['007', '010', '020']);
    expect(col('big_id')).toEqual(['12345678901234567', '12345678901234568', '1']);
    expect(col('flag')).toEqual([true, false, true]);

    // results.csv is the file's own bytes, whatever the typed formats do.
    const lines = (await results(platform, job, 'csv')).toString('utf8').split('\n');
    expect(lines[1]!.startsWith('101,1200.50,007,12345678901234567,true,a,5.1,3.5,1.4,0.2,')).toBe(true);
    expect(lines[3]!.startsWith(',NA,020,1,TRUE,NA,5.0,3.4,1.5,0.2,')).toBe(true);
  });

  it('a model column of numbers and text: `-inf`, `inf`, `1e400`, `NAN` come back as the file wrote them, not null', async () => {
    // Was null in results.jsonl (an infinity has no JSON), while the text `abc` beside it came back as written.
    const file =
      'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n-inf,3.5,1.4,0.2\ninf,3.5,1.4,0.2\n' +
      '1e400,3.5,1.4,0.2\nNAN,3.5,1.4,0.2\nabc,3.5,1.4,0.2\nNaN,3.5,1.4,0.2\n';
    const { job, done } = await scored(platform, Buffer.from(file), { fields: IRIS, filename: 'mixed.csv' });
    expect(done.rows).toEqual({ total: 7, processed: 7, failed: 6 });
    // `NaN` is one of pandas' missing-value markers: null, as an empty cell (the missing-markers rule).
    const want = [5.1, '-inf', 'inf', '1e400', 'NAN', 'abc', null];
    // `1e400` is a JSON number as written (JSON.parse reads it as Infinity, as the row was scored).
    const text = (await results(platform, job, 'jsonl')).toString('utf8');
    expect(text.split('\n')[3]).toMatch(/^\{"sepal_length":1e400,/);
    expect((await resultsJsonl(platform, job)).map((r) => r.sepal_length)).toEqual(
      want.map((v) => (v === '1e400' ? Number.POSITIVE_INFINITY : v)),
    );
    const parquet = await duckdbParquet(await results(platform, job, 'parquet'));
    // Parquet's column is DOUBLE: it holds the infinities and NaN as such; text it cannot hold is null.
    expect(parquet.types.sepal_length).toBe('DOUBLE');
    expect(parquet.rows.map((r) => r.sepal_length)).toEqual([5.1, -Infinity, Infinity, Infinity, Number.NaN, null, null]);
    const xlsx = await openpyxlWorkbook(await results(platform, job, 'xlsx'));
    expect(xlsx.rows.slice(1).map((r) => r[0])).toEqual(want);
  });

  it('writes numbers with zeros ending their fraction as the number, shortest (`20.5930` as 20.593, `5.000` as 5.0)', async () => {
    // Such texts are trimmed rather than parsed and printed (trimmedShortestNumberText): the same texts as before.
    const file =
      'amount,sepal_length,sepal_width,petal_length,petal_width\n' +
      '20.5930,5.10,3.50,1.40,0.20\n' +
      '5.000,5.0,3.0,1.0,0.0\n' +
      '-0.0,0.0000001230,123456789012345.0,1234567890123456.0,-12.50\n' +
      '0.0442810,1.50e3,.50,+1.50,00.50\n';
    const { job } = await scored(platform, Buffer.from(file), { fields: IRIS, filename: 'zeros.csv' });
    const lines = (await results(platform, job, 'jsonl')).toString('utf8').split('\n');
    const inputs = (line: string) => line.slice(0, line.indexOf(',"prediction"'));
    expect(lines.slice(0, 4).map(inputs)).toEqual([
      '{"amount":20.593,"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2',
      '{"amount":5.0,"sepal_length":5.0,"sepal_width":3.0,"petal_length":1.0,"petal_width":0.0',
      '{"amount":-0.0,"sepal_length":1.23e-7,"sepal_width":123456789012345.0,"petal_length":1234567890123456.0,"petal_width":-12.5',
      '{"amount":0.044281,"sepal_length":1500.0,"sepal_width":0.5,"petal_length":1.5,"petal_width":0.5',
    ]);
    const sheet = await xlsxSheetXml(await results(platform, job, 'xlsx'));
    const values = [...sheet.matchAll(/<c r="[A-E]([2-5])"><v>([^<]*)<\/v><\/c>/g)].map((m) => m[2]);
    expect(values).toEqual(
      [
        '20.593',
        '5.1',
        '3.5',
        '1.4',
        '0.2',
        '5',
        '5',
        '3',
        '1',
        '0',
        '-0.0',
        '1.23e-7',
        '123456789012345',
        '1234567890123456',
        '-12.5',
      ].concat(['0.044281', '1500', '0.5', '1.5', '0.5']),
    );
  });

  it('reads numbers in a decimal-comma file', async () => {
    const semicolon = 'amount;sepal_length;sepal_width;petal_length;petal_width\n1200,50;5,1;3,5;1,4;0,2\n-3;6,3;2,9;5,6;1,8\n';
    const { job } = await scored(platform, Buffer.from(semicolon), { fields: IRIS, filename: 'comma.csv' });
    expect((await resultsJsonl(platform, job)).map((r) => r.amount)).toEqual([1200.5, -3]);
    const parquet = await duckdbParquet(await results(platform, job, 'parquet'));
    expect(parquet.types.amount).toBe('DOUBLE');
  });
});

describe("a CSV column the model reads as numbers, of True/False (a pandas bool column's DataFrame.to_csv)", () => {
  // It was DOUBLE and null in every row of results.parquet (no `_text` companion: no row failed), text in the others.
  it('is BOOLEAN in results.parquet and booleans in JSON Lines and .xlsx, as the same rows uploaded as JSON Lines', async () => {
    const csv = 'sepal_length,sepal_width,petal_length,petal_width\nTrue,3,1.4,0.2\nFalse,4,1.4,0.2\nTRUE,5,1.4,0.2\n';
    const { job, done } = await scored(platform, Buffer.from(csv), { fields: IRIS, filename: 'flags.csv' });
    expect(done.rows.failed).toBe(0);
    const rows = [true, false, true].map((b, i) => ({ sepal_length: b, sepal_width: i + 3, petal_length: 1.4, petal_width: 0.2 }));
    const jsonl = Buffer.from(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const { job: fromJson } = await scored(platform, jsonl, { fields: IRIS, filename: 'flags.jsonl' });

    const parquet = await duckdbParquet(await results(platform, job, 'parquet'));
    expect(parquet.types.sepal_length).toBe('BOOLEAN');
    expect(Object.keys(parquet.types)).not.toContain('sepal_length_text');
    expect(parquet.rows.map((r) => r.sepal_length)).toEqual([true, false, true]);
    expect((await duckdbParquet(await results(platform, fromJson, 'parquet'))).types.sepal_length).toBe('BOOLEAN');
    expect((await resultsJsonl(platform, job)).map((r) => r.sepal_length)).toEqual([true, false, true]);
    const book = await openpyxlWorkbook(await results(platform, job, 'xlsx'));
    expect(book.rows.slice(1).map((r) => r[0])).toEqual([true, false, true]);
    // Whole numbers the model reads as numbers stay its input's type, DOUBLE (BIGINT from JSON Lines' integers).
    expect(parquet.types.sepal_width).toBe('DOUBLE');
    expect(parquet.rows.map((r) => r.sepal_width)).toEqual([3, 4, 5]);
  });
});

describe('a workbook column of several kinds', () => {
  it('keeps each cell as what it was: numbers numbers, booleans booleans, text text, empty null', async () => {
    const book = await openpyxlMake([
      ['amount', 'flag', 'label', 'sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
      [120.5, true, 'x', 5.1, 3.5, 1.4, 0.2],
      [99, 3, null, 6.3, 2.9, 5.6, 1.8],
      ['-', false, 'y', 5.0, 3.4, 1.5, 0.2],
      [null, 'n/a', 'z', 5.9, 3.0, 5.1, 1.8],
    ]);
    const { job } = await scored(platform, book, { fields: IRIS, filename: 'mixed.xlsx' });

    const jsonl = await resultsJsonl(platform, job);
    expect(jsonl.map((r) => r.amount)).toEqual([120.5, 99, '-', null]);
    expect(jsonl.map((r) => r.flag)).toEqual([true, 3, false, null]);
    expect(jsonl.map((r) => r.label)).toEqual(['x', null, 'y', 'z']);

    const xlsx = await openpyxlWorkbook(await results(platform, job, 'xlsx'));
    const [header, ...rows] = xlsx.rows;
    const col = (name: string) => rows.map((r) => r[header!.indexOf(name)]);
    expect(col('amount')).toEqual([120.5, 99, '-', null]);
    expect(col('flag')).toEqual([true, 3, false, null]);
    expect(col('label')).toEqual(['x', null, 'y', 'z']);

    // One type per column in Parquet: text, numbers in their shortest form; empty cells null.
    const parquet = await duckdbParquet(await results(platform, job, 'parquet'));
    expect(parquet.types.amount).toBe('VARCHAR');
    expect(parquet.rows.map((r) => r.amount)).toEqual(['120.5', '99', '-', null]);
    expect(parquet.rows.map((r) => r.label)).toEqual(['x', null, 'y', 'z']);
  });
});

describe('a workbook number column with one cell stored as text', () => {
  it('keeps that cell text in results.xlsx and results.jsonl, the column text in Parquet; the model read it as the number', async () => {
    // openpyxl writes a str as a text cell (data_type 's'): '5.1' and 'true' as text among numbers.
    const rows = [
      ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'code'],
      ['5.1', 3.5, 1.4, 0.2, 'true'],
      [6.3, 2.9, 5.6, 1.8, 7],
      [5.0, 3.4, 1.5, 0.2, '7'],
    ];
    const { job } = await scored(platform, await openpyxlMake(rows), { fields: IRIS, filename: 'text-cell.xlsx' });
    const numbers = rows.map((r, i) => (i === 1 ? [5.1, ...r.slice(1)] : r));
    const { job: same } = await scored(platform, await openpyxlMake(numbers), { fields: IRIS, filename: 'numbers.xlsx' });

    const jsonl = await resultsJsonl(platform, job);
    expect(jsonl.map((r) => r.sepal_length)).toEqual(['5.1', 6.3, 5.0]);
    expect(jsonl.map((r) => r.code)).toEqual(['true', 7, '7']);
    // Predictions as for the same workbook with the number 5.1: the model read the text as that number.
    const plain = await resultsJsonl(platform, same);
    expect(plain.map((r) => r.sepal_length)).toEqual([5.1, 6.3, 5.0]);
    const scores = (rs: Record<string, unknown>[]) => rs.map(({ sepal_length: _, code: __, ...rest }) => rest);
    expect(scores(jsonl)).toEqual(scores(plain));

    const xlsx = await openpyxlWorkbook(await results(platform, job, 'xlsx'));
    const [header, ...cells] = xlsx.rows;
    const col = (name: string) => cells.map((r) => r[header!.indexOf(name)]);
    expect(col('sepal_length')).toEqual(['5.1', 6.3, 5]);
    expect(col('code')).toEqual(['true', 7, '7']);

    const parquet = await duckdbParquet(await results(platform, job, 'parquet'));
    expect(parquet.types.sepal_length).toBe('VARCHAR');
    expect(parquet.rows.map((r) => r.sepal_length)).toEqual(['5.1', '6.3', '5']);
    expect(parquet.types.code).toBe('VARCHAR');
    expect(parquet.rows.map((r) => r.code)).toEqual(['true', '7', '7']);

    // results.csv holds the same values as the input (the quotes of the text cell are CSV's, not the value's).
    const csv = (await results(platform, job, 'csv')).toString('utf8');
    expect(csv.split('\n')[1]!.replaceAll('"', '')).toMatch(/^5\.1,3\.5,1\.4,0\.2,true,/);
  });
});

describe("a Parquet upload's integer and text columns", () => {
  it('keep their width and signedness (TINYINT... UBIGINT) and VARCHAR in results.parquet, as DuckDB reads it', async () => {
    const widths = [
      ['i8', 'TINYINT', '-128', '127'],
      ['i16', 'SMALLINT', '-32768', '32767'],
      ['i32', 'INTEGER', '-2147483648', '2147483647'],
      ['i64', 'BIGINT', '-9223372036854775808', '9223372036854775807'],
      ['u8', 'UTINYINT', '0', '255'],
      ['u16', 'USMALLINT', '0', '65535'],
      ['u32', 'UINTEGER', '0', '4294967295'],
      ['u64', 'UBIGINT', '0', '18446744073709551615'],
    ] as const;
    const row = (iris: string, pick: (w: (typeof widths)[number]) => string, note: string) =>
      `select ${iris}, ${widths.map((w) => `(${pick(w)})::${w[1]} as ${w[0]}`).join(', ')}, ${note}::varchar as note`;
    const iris = (a: number, b: number, c: number, d: number) =>
      `${a}::double as sepal_length, ${b}::double as sepal_width, ${c}::double as petal_length, ${d}::double as petal_width`;
    const bytes = await duckdbMakeParquet(
      `${row(iris(5.1, 3.5, 1.4, 0.2), (w) => w[2], "'héllo'")} union all ${row(iris(6.3, 2.9, 5.6, 1.8), (w) => w[3], "''")}
       union all ${row(iris(5.0, 3.4, 1.5, 0.2), () => 'null', 'null')}`,
    );
    const { job } = await scored(platform, bytes, { fields: IRIS, filename: 'widths.parquet' });

    const parquet = await duckdbParquet(await results(platform, job, 'parquet'));
    expect(parquet.types).toMatchObject({
      ...Object.fromEntries(widths.map((w) => [w[0], w[1]])),
      note: 'VARCHAR',
      // Predictions keep their types: iris-logreg's labels are text, its probabilities doubles.
      prediction: 'VARCHAR',
      error: 'VARCHAR',
    });
    const probabilities = Object.entries(parquet.types).filter(([name]) => name.startsWith('probability_'));
    expect(probabilities.map(([, type]) => type)).toEqual(['DOUBLE', 'DOUBLE', 'DOUBLE']);
    const values = (pick: (w: (typeof widths)[number]) => string | null) => Object.fromEntries(widths.map((w) => [w[0], pick(w)]));
    expect(parquet.rows.map((r) => Object.fromEntries(widths.map((w) => [w[0], r[w[0]] === null ? null : String(r[w[0]])])))).toEqual([
      values((w) => w[2]),
      values((w) => w[3]),
      values(() => null),
    ]);
    expect(parquet.rows.map((r) => r.note)).toEqual(['héllo', '', null]);
    expect(parquet.rows.map((r) => r.prediction)).toEqual(['setosa', 'virginica', 'setosa']);
  });
});

describe("a Parquet upload's BLOB column", () => {
  // BYTE_ARRAY of no annotation: decoded as UTF-8, '\x00\xFF' came back '\x00\uFFFD' (VARCHAR) in every format.
  const iris = (a: number, b: number, c: number, d: number) =>
    `${a}::double as sepal_length, ${b}::double as sepal_width, ${c}::double as petal_length, ${d}::double as petal_width`;

  it("stays a BLOB of the same bytes in results.parquet, and is DuckDB's `\\x00\\xFF` text in CSV, JSON Lines and .xlsx", async () => {
    const bytes = await duckdbMakeParquet(
      `select '\\x00\\xFF'::BLOB as b, ${iris(5.1, 3.5, 1.4, 0.2)} union all select 'a,b\\x22'::BLOB, ${iris(6.3, 2.9, 5.6, 1.8)}
       union all select null, ${iris(5.0, 3.4, 1.5, 0.2)}`,
    );
    const { job, done } = await scored(platform, bytes, { fields: IRIS, filename: 'blob.parquet' });
    expect(done.rows).toMatchObject({ total: 3, failed: 0 });

    const parquet = await duckdbParquet(await results(platform, job, 'parquet'));
    expect(parquet.types).toMatchObject({ b: 'BLOB', sepal_length: 'DOUBLE', prediction: 'VARCHAR' });
    expect(parquet.rows.map((r) => (r.b === null ? null : [...(r.b as { bytes: Uint8Array }).bytes]))).toEqual([
      [0x00, 0xff],
      [0x61, 0x2c, 0x62, 0x22],
      null,
    ]);
    const text = ['\\x00\\xFF', 'a,b\\x22', null];
    expect((await resultsJsonl(platform, job)).map((r) => r.b)).toEqual(text);
    const csv = (await results(platform, job, 'csv')).toString('utf8').split('\n');
    expect(csv[0]).toMatch(/^b,sepal_length,/);
    expect(csv[1]).toMatch(/^\\x00\\xFF,5\.1,/);
    expect(csv[2]).toMatch(/^"a,b\\x22",6\.3,/);
    expect(csv[3]).toMatch(/^,5(\.0)?,/);
    const xlsx = await openpyxlWorkbook(await results(platform, job, 'xlsx'));
    expect(xlsx.rows.slice(1).map((r) => r[0])).toEqual(text);
  });

  it('feeds a number input when its bytes are the text of a number; other bytes fail their row, saying so', async () => {
    const bytes = await duckdbMakeParquet(
      `select '5.1'::BLOB as sepal_length, 3.5 as sepal_width, 1.4 as petal_length, 0.2 as petal_width
       union all select '\\x00\\xFF'::BLOB, 3.5, 1.4, 0.2`,
    );
    const { job } = await scored(platform, bytes, { fields: IRIS, filename: 'blob-input.parquet' });
    const rows = await resultsJsonl(platform, job);
    expect(rows[0]).toMatchObject({ sepal_length: '5.1', prediction: 'setosa', error: null });
    expect(rows[1]).toMatchObject({
      sepal_length: '\\x00\\xFF',
      prediction: null,
      error: expect.stringContaining(
        'column "sepal_length" holds bytes (a BLOB) that are not UTF-8 text: \\x00\\xFF; the model input needs a number',
      ),
    });
  });
});

describe('integer class labels', () => {
  it('are int64 in every typed format (breast-cancer-rf, int64 labels)', async () => {
    const data = (await readFile(path.join(repoRoot, 'examples/data/breast_cancer.csv'), 'utf8')).split('\n').slice(0, 6).join('\n');
    const { job } = await scored(platform, Buffer.from(`${data}\n`), { fields: { model: 'breast-cancer-rf' }, filename: 'bc.csv' });
    const jsonl = await resultsJsonl(platform, job);
    expect(jsonl.length).toBe(5);
    for (const r of jsonl) expect([0, 1]).toContain(r.prediction);
    const parquet = await duckdbParquet(await results(platform, job, 'parquet'));
    expect(parquet.types.prediction).toBe('BIGINT');
    for (const r of parquet.rows) expect([0n, 1n]).toContain(r.prediction);
    const xlsx = await openpyxlWorkbook(await results(platform, job, 'xlsx'));
    const [header, ...rows] = xlsx.rows;
    for (const r of rows) expect([0, 1]).toContain(r[header!.indexOf('prediction')]);
  });

  it.each(['breast-cancer-rf.pkl', 'breast-cancer-xgb.json'])('are int64 for an imported model with integer classes (%s)', async (file) => {
    const native = path.join(repoRoot, 'packages/importers/test/fixtures/native');
    const form = new FormData();
    const name = `typed-${file.replace(/\W/g, '-')}`;
    form.set('name', name);
    form.set('file', fileBlob(await readFile(path.join(native, file))), file);
    const res = await fetch(platform.url('/api/models'), {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const data = (await readFile(path.join(native, 'breast_cancer.csv'), 'utf8')).split('\n').slice(0, 6).join('\n');
    const { job } = await scored(platform, Buffer.from(`${data}\n`), { fields: { model: name }, filename: 'bc.csv' });
    for (const r of await resultsJsonl(platform, job)) expect([0, 1]).toContain(r.prediction);
    const parquet = await duckdbParquet(await results(platform, job, 'parquet'));
    expect(parquet.types.prediction).toBe('BIGINT');
  });
});
