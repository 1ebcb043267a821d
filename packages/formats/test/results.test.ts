import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  type Cell,
  FormatError,
  float32Text,
  type JsonlLayout,
  JsonlScanner,
  parquetLayout,
  type ResultColumn,
  readJsonlRows,
  readParquetRows,
  writeResultsJsonl,
  writeResultsParquet,
  writeResultsXlsx,
  XLSX_MAX_DATA_ROWS,
  xlsxToCsv,
} from '@batchcast/formats';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, fixture, python, sink } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'formats-results-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const COLUMNS: ResultColumn[] = [
  { name: 'id', type: 'string' },
  { name: 'x', type: 'double' },
  { name: 'n', type: 'int64' },
  { name: 'flag', type: 'bool' },
  { name: 'day', type: 'date' },
  { name: 'meta', type: 'json' },
  { name: 'prediction', type: 'string' },
  { name: 'probability_yes', type: 'double' },
  { name: 'error', type: 'string' },
];

/** `count` rows in batches of 1000: some with a failed row's text in a numeric column. */
async function* rows(count: number): AsyncGenerator<Cell[][]> {
  for (let start = 0; start < count; start += 1000) {
    const batch: Cell[][] = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) {
      const bad = i % 10 === 7;
      batch.push([
        `r${i}`,
        bad ? 'abc' : i / 4,
        i === 3 ? 9007199254740993n : BigInt(i),
        i % 2 === 0,
        i % 5 === 0 ? null : '2024-03-01',
        i % 3 === 0 ? '{"k":[1,2]}' : null,
        bad ? null : i % 2 === 0 ? 'yes' : 'no',
        bad ? null : (i % 100) / 100,
        bad ? 'column "x": "abc" is not a number' : null,
      ]);
    }
    yield batch;
  }
}

async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const c = await (await DuckDBInstance.create(':memory:')).connect();
  return (await c.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

describe('writeResultsParquet', () => {
  it('writes typed columns row group by row group that DuckDB reads back', async () => {
    const path = join(dir, 'results.parquet');
    expect(await writeResultsParquet(createWriteStream(path), { columns: COLUMNS, rows: rows(2500) }, { rowGroupRows: 1000 })).toEqual({
      rows: 2500,
    });
    const types = await duck(`select column_name, column_type from (describe select * from '${path}')`);
    expect(types.map((t) => `${t.column_name}:${t.column_type}`)).toEqual([
      'id:VARCHAR',
      'x:DOUBLE',
      'n:BIGINT',
      'flag:BOOLEAN',
      'day:DATE',
      'meta:JSON',
      'prediction:VARCHAR',
      'probability_yes:DOUBLE',
      'error:VARCHAR',
    ]);
    const [summary] = await duck(
      `select count(*) as n, count(x) as xs, sum(n) as total, count(error) as errors, max(probability_yes) as p from '${path}'`,
    );
    expect(summary).toEqual({
      n: '2500',
      xs: '2250',
      total: String((2500n * 2499n) / 2n - 3n + 9007199254740993n),
      errors: '250',
      p: 0.99,
    });
    const groups = await duck(`select count(distinct row_group_id) as g from parquet_metadata('${path}')`);
    expect(groups[0]!.g).toBe('3');
    const [row] = await duck(`select * from '${path}' where id = 'r3'`);
    expect(row).toMatchObject({ x: 0.75, n: '9007199254740993', flag: false, day: '2024-03-01', meta: '{"k":[1,2]}', prediction: 'no' });
  });

  it("keeps a failed row's unreadable cell as text in a `<name>_text` companion of a keepText column, DuckDB reads it", async () => {
    // The cell was written null and nothing else: the text the row held (`abc`, why it failed) was lost.
    const path = join(dir, 'failed-text.parquet');
    const columns = COLUMNS.map((c) => (c.name === 'x' || c.name === 'flag' || c.name === 'id' ? { ...c, keepText: true } : c));
    // A column already named x_text: the companion is x_text_2 (names are compared ignoring case).
    columns.push({ name: 'X_TEXT', type: 'string' });
    async function* withTaken(): AsyncGenerator<Cell[][]> {
      for await (const batch of rows(2500)) yield batch.map((r) => [...r, 'taken']);
    }
    await writeResultsParquet(createWriteStream(path), { columns, rows: withTaken() }, { rowGroupRows: 1000 });
    const types = await duck(`select column_name, column_type from (describe select * from '${path}')`);
    expect(types.map((t) => `${t.column_name}:${t.column_type}`)).toEqual([
      'id:VARCHAR', // a text column holds every text already: no companion
      'x:DOUBLE',
      'x_text_2:VARCHAR',
      'n:BIGINT',
      'flag:BOOLEAN',
      'flag_text:VARCHAR',
      'day:DATE',
      'meta:JSON',
      'prediction:VARCHAR',
      'probability_yes:DOUBLE',
      'error:VARCHAR',
      'X_TEXT:VARCHAR',
    ]);
    const [summary] = await duck(
      `select count(x) as xs, sum(x) as total, count(x_text_2) as texts, count(*) filter (x_text_2 = 'abc' and x is null and error is not null) as kept,
              count(flag_text) as flags from '${path}'`,
    );
    // Successful rows' numbers as they were; every failed row's text, in each of the three row groups.
    let total = 0;
    for (let i = 0; i < 2500; i++) if (i % 10 !== 7) total += i / 4;
    expect(summary).toEqual({ xs: '2250', total, texts: '250', kept: '250', flags: '0' });
    const [row] = await duck(`select x, x_text_2 from '${path}' where id = 'r2497'`);
    expect(row).toEqual({ x: null, x_text_2: 'abc' });
  });

  it('bounds a row group by cells as well as rows by default: wide results make groups of fewer rows', async () => {
    const path = join(dir, 'wide.parquet');
    // 1,000 columns: about 1M cells a group is 1,000 rows, so 2,500 rows are groups of 1,000, 1,000 and 500.
    const columns: ResultColumn[] = Array.from({ length: 1000 }, (_, i) => ({ name: `c${i}`, type: 'double' as const }));
    async function* wide(): AsyncGenerator<Cell[][]> {
      for (let start = 0; start < 2500; start += 500)
        yield Array.from({ length: 500 }, (_, r) => columns.map((_, i) => (start + r) * 1000 + i));
    }
    expect(await writeResultsParquet(createWriteStream(path), { columns, rows: wide() })).toEqual({ rows: 2500 });
    const groups = await duck(`select distinct row_group_id, row_group_num_rows from parquet_metadata('${path}') order by row_group_id`);
    expect(groups.map((g) => Number(g.row_group_num_rows))).toEqual([1000, 1000, 500]);
    const [sums] = await duck(`select count(*)::integer as n, sum(c0)::double as c0, sum(c999)::double as c999 from '${path}'`);
    expect(sums).toEqual({ n: 2500, c0: ((2499 * 2500) / 2) * 1000, c999: ((2499 * 2500) / 2) * 1000 + 999 * 2500 });
  });

  it('ends a row group early once its text reaches rowGroupChars, every value kept', async () => {
    const path = join(dir, 'long-texts.parquet');
    const columns: ResultColumn[] = [
      { name: 'doc', type: 'string' },
      { name: 'x', type: 'double' },
    ];
    // Rows of 3,000 characters (one of 30,000) against a bound of 10,000 characters a group.
    const doc = (i: number) => String.fromCharCode(97 + (i % 26)).repeat(i === 5 ? 30_000 : 3_000);
    async function* docs(): AsyncGenerator<Cell[][]> {
      yield Array.from({ length: 20 }, (_, i) => [doc(i), i / 4]);
    }
    expect(await writeResultsParquet(createWriteStream(path), { columns, rows: docs() }, { rowGroupChars: 10_000 })).toEqual({ rows: 20 });
    const groups = await duck(`select distinct row_group_id, row_group_num_rows from parquet_metadata('${path}') order by row_group_id`);
    // A group ends at the row that reaches 10,000 characters: 4 rows of 3,000; the 30,000-character row ends its own.
    expect(groups.map((g) => Number(g.row_group_num_rows))).toEqual([4, 2, 4, 4, 4, 2]);
    const back = await duck(`select length(doc)::integer as chars, left(doc, 1) as first, x from '${path}'`);
    expect(back).toEqual(Array.from({ length: 20 }, (_, i) => ({ chars: doc(i).length, first: doc(i)[0], x: i / 4 })));
  });
});

describe('float32Text', () => {
  it('prints the shortest decimal that reads back as the same float32', () => {
    expect([5.099999904632568, Math.fround(0.1), Math.fround(1e-45), Math.fround(3.4028234663852886e38), -0, 0, 16777217]).toEqual([
      5.099999904632568, 0.10000000149011612, 1.401298464324817e-45, 3.4028234663852886e38, -0, 0, 16777217,
    ]);
    expect([5.099999904632568, Math.fround(0.1), Math.fround(1e-45), Math.fround(3.4028234663852886e38), -0, 0].map(float32Text)).toEqual([
      '5.1',
      '0.1',
      '1e-45',
      '3.4028235e+38',
      '-0.0',
      '0',
    ]);
    // Not a float32 (2^24 + 1): printed as the double it is.
    expect(float32Text(16777217)).toBe('16777217');
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const text = float32Text(x);
        expect(Object.is(Math.fround(Number(text)), x)).toBe(true);
        // Shortest: one significant digit fewer does not read back as x.
        const digits = text.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;
        if (digits > 1 && x !== 0) expect(Math.fround(Number(x.toPrecision(digits - 1)))).not.toBe(x);
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('writeResultsParquet, json columns', () => {
  it('writes the JSON texts as they are: big integers digit for digit, -0.0, strings; DuckDB reads a JSON column', async () => {
    // hyparquet-writer's own JSON columns print the values again: 12345678901234567891 became 12345678901234567000.
    const path = join(dir, 'json.parquet');
    const texts = ['12345678901234567891', '-0.0', '"A7"', '{"k":[1,-99999999999999999999]}', null, '1.5e300'];
    async function* jsonRows(): AsyncGenerator<Cell[][]> {
      yield texts.map((t) => [t]);
    }
    await writeResultsParquet(createWriteStream(path), { columns: [{ name: 'meta', type: 'json' }], rows: jsonRows() });
    const types = await duck(`select column_type from (describe select * from '${path}')`);
    expect(types[0]!.column_type).toBe('JSON');
    const out = await duck(`select meta::varchar as t from '${path}'`);
    expect(out.map((r) => r.t)).toEqual(texts);
  });
});

describe('writeResultsXlsx', () => {
  it('writes a workbook openpyxl reads back: bold header, numbers as numbers, text as text', async () => {
    const path = join(dir, 'results.xlsx');
    expect(await writeResultsXlsx(createWriteStream(path), { columns: COLUMNS, rows: rows(1200) }, { rows: 1200 })).toEqual({ rows: 1200 });
    const out = JSON.parse(
      python(
        `
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1], read_only=False).active
rows = list(ws.iter_rows(values_only=True))
types = [type(v).__name__ for v in rows[4]]
print(json.dumps({"n": len(rows), "header": rows[0], "bold": ws["A1"].font.b, "r3": rows[4], "types": types, "bad": rows[8], "frozen": ws.freeze_panes}, default=str))
`,
        path,
      ),
    );
    expect(out.n).toBe(1201);
    expect(out.header).toEqual(COLUMNS.map((c) => c.name));
    expect(out.bold).toBe(true);
    expect(out.frozen).toBe('A2');
    // Beyond 2^53 an integer stays text: a double would change it.
    expect(out.r3).toEqual(['r3', 0.75, '9007199254740993', false, '2024-03-01', '{"k":[1,2]}', 'no', 0.03, null]);
    expect(out.types).toEqual(['str', 'float', 'str', 'bool', 'str', 'str', 'str', 'float', 'NoneType']);
    expect(out.bad).toEqual(['r7', 'abc', 7, false, '2024-03-01', null, null, null, 'column "x": "abc" is not a number']);
  });

  it('refuses more rows than a sheet holds before writing a byte', async () => {
    const out = sink();
    const err = await writeResultsXlsx(out.stream, { columns: COLUMNS, rows: rows(1) }, { rows: XLSX_MAX_DATA_ROWS + 1 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).code).toBe('too_many_rows');
    expect((err as FormatError).message).toMatch(
      /more than the 1048575 an Excel sheet can hold; download them as CSV, Parquet or JSON Lines/,
    );
    expect(out.bytes().length).toBe(0);
  });

  it('a row that cannot be read mid-sheet rejects the write and destroys the output, with no error left unhandled', async () => {
    // yazl re-emits its read stream's error on the ZipFile: unlistened, that was an uncaught exception (it
    // killed the web process during a results download). An uncaught error fails this test run.
    const out = sink();
    const failing = (async function* () {
      yield* rows(2000);
      throw new FormatError('invalid_parquet', 'column "extra" of the Parquet file cannot be read');
    })();
    const err = await writeResultsXlsx(out.stream, { columns: COLUMNS, rows: failing }, { rows: 3000 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/column "extra"/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(out.stream.destroyed).toBe(true);
  });

  it('keeps text exactly: control characters, XML specials, literal _x0041_, carriage returns', async () => {
    const path = join(dir, 'text.xlsx');
    const text = 'a<b>&"c"\u0001_x0041_\tcr\r\nlf\rend';
    await writeResultsXlsx(
      createWriteStream(path),
      {
        columns: [{ name: 'text', type: 'string' }],
        rows: (async function* () {
          yield [[text]];
        })(),
      },
      { rows: 1 },
    );
    // openpyxl 3.0 shows OOXML escapes as they are stored (Excel decodes them): the control character is
    // stored escaped, the literal `_x0041_` protected so that it is not read as "A".
    const got = python('import sys, openpyxl; print(repr(openpyxl.load_workbook(sys.argv[1]).active["A2"].value))', path).trim();
    expect(got).toBe(`'a<b>&"c"_x0001__x005F_x0041_\\tcr\\r\\nlf\\rend'`);
    const back = xlsxToCsv(path);
    expect((await collect(back.stream)).toString()).toBe(`text\n"${text.replaceAll('"', '""')}"\n`);
  });
});

describe('writeResultsJsonl', () => {
  it('writes one typed object per line; int64 exact, json columns as JSON, bad numbers kept as text', async () => {
    const out = sink();
    expect(await writeResultsJsonl(out.stream, { columns: COLUMNS, rows: rows(20) })).toEqual({ rows: 20 });
    const lines = out.bytes().toString().trimEnd().split('\n');
    expect(lines).toHaveLength(20);
    expect(lines[3]).toBe(
      '{"id":"r3","x":0.75,"n":9007199254740993,"flag":false,"day":"2024-03-01","meta":{"k":[1,2]},"prediction":"no","probability_yes":0.03,"error":null}',
    );
    expect(JSON.parse(lines[7]!)).toMatchObject({ x: 'abc', prediction: null, error: 'column "x": "abc" is not a number' });
    expect(JSON.parse(lines[0]!)).toMatchObject({ day: null, flag: true, meta: { k: [1, 2] } });
  });

  it('writes a float column’s integral values as floats (5.0), as pandas, DuckDB and Python write them', async () => {
    // `5` read back by pandas or Python's json is an integer: a column of DOUBLEs came back int64.
    const out = sink();
    const columns: ResultColumn[] = [
      { name: 'x', type: 'double' },
      { name: 'f', type: 'float' },
      { name: 'n', type: 'int64' },
      { name: 'p', type: 'double' },
    ];
    async function* cells(): AsyncGenerator<Cell[][]> {
      yield [
        [5, Math.fround(3), 5, 1],
        [-0, Math.fround(5.1), -7, 0.25],
        [1e21, Math.fround(1e20), 2, 0],
      ];
    }
    await writeResultsJsonl(out.stream, { columns, rows: cells() });
    expect(out.bytes().toString()).toBe(
      '{"x":5.0,"f":3.0,"n":5,"p":1.0}\n{"x":-0.0,"f":5.1,"n":-7,"p":0.25}\n{"x":1e+21,"f":100000000000000000000.0,"n":2,"p":0.0}\n',
    );
  });

  it('puts a JSON Lines upload back as it was, with the predictions added', async () => {
    const bytes = await readFile(fixture('records.jsonl'));
    const scanner = new JsonlScanner({ chunkRows: 100 });
    scanner.push(bytes);
    const layout: JsonlLayout = scanner.finish();
    const columns: ResultColumn[] = [
      ...layout.header.map((name, i) => ({ name, type: layout.columnTypes[i]! })),
      { name: 'prediction', type: 'string' },
    ];
    async function* merged(): AsyncGenerator<Cell[][]> {
      for await (const batch of readJsonlRows(fixture('records.jsonl'), {
        start: 0,
        end: layout.bytes,
        header: layout.header,
        columnTypes: layout.columnTypes,
      })) {
        yield batch.map((r) => [...r, 'p']);
      }
    }
    const out = sink();
    await writeResultsJsonl(out.stream, { columns, rows: merged() });
    const lines = out
      .bytes()
      .toString()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[1]).toEqual({
      id: 2,
      x: null,
      name: 'beta',
      ok: false,
      größe: 175.5,
      tags: ['a', 'b'],
      extra: null,
      big: null,
      prediction: 'p',
    });
    expect(lines[2]).toMatchObject({ x: '2.5', extra: { k: 1 } });
  });
});

describe('all writers', () => {
  it('refuse result columns whose names clash ignoring case', async () => {
    const columns: ResultColumn[] = [
      { name: 'Error', type: 'string' },
      { name: 'error', type: 'string' },
    ];
    const empty = (async function* () {})();
    await expect(writeResultsJsonl(new PassThrough(), { columns, rows: empty })).rejects.toThrow(/two columns named "Error" and "error"/);
  });

  it('carry a Parquet upload through to results.parquet with its types (read back by DuckDB)', async () => {
    const layout = await parquetLayout(fixture('typed.parquet'), { chunkRows: 5 });
    const columns: ResultColumn[] = [
      ...layout.columns.map((c) => ({ name: c.name, type: c.resultType })),
      { name: 'prediction', type: 'double' },
    ];
    async function* merged(): AsyncGenerator<Cell[][]> {
      for (const chunk of layout.chunks)
        for await (const batch of readParquetRows(fixture('typed.parquet'), layout, chunk)) yield batch.map((r) => [...r, 0.5]);
    }
    const path = join(dir, 'carry.parquet');
    await writeResultsParquet(createWriteStream(path), { columns, rows: merged() });
    const [row] = await duck(`select * from '${path}' where id = 'r1'`);
    expect(row).toMatchObject({
      x: 1.5,
      i32: 1,
      big: '1000000007',
      flag: false,
      price: 1.25,
      day: '2024-01-02',
      tags: '[1,2]',
      wrong: 'abc',
      prediction: 0.5,
    });
    expect(String(row!.ts)).toMatch(/^2024-01-01 01:00:00/);
  });

  it("keep a Parquet upload's integer widths and signedness, its text VARCHAR, in results.parquet (read back by DuckDB)", async () => {
    // TINYINT, SMALLINT, UTINYINT, USMALLINT came back INTEGER and UINTEGER BIGINT: the width and sign were lost.
    const input = join(dir, 'widths-in.parquet');
    const limits = [
      ['i8', 'TINYINT', -128n, 127n],
      ['i16', 'SMALLINT', -32768n, 32767n],
      ['i32', 'INTEGER', -2147483648n, 2147483647n],
      ['i64', 'BIGINT', -(2n ** 63n), 2n ** 63n - 1n],
      ['u8', 'UTINYINT', 0n, 255n],
      ['u16', 'USMALLINT', 0n, 65535n],
      ['u32', 'UINTEGER', 0n, 4294967295n],
      ['u64', 'UBIGINT', 0n, 2n ** 64n - 1n],
    ] as const;
    const select = (pick: (l: (typeof limits)[number]) => string, text: string) =>
      `select ${limits.map((l) => `${pick(l)}::${l[1]} as ${l[0]}`).join(', ')}, ${text} as s`;
    await duck(
      `copy (${select((l) => `(${l[2]})`, "'héllo'")} union all ${select((l) => `(${l[3]})`, "''")} union all ${select(() => 'null', 'null')})
       to '${input}' (format parquet)`,
    );
    const layout = await parquetLayout(input, { chunkRows: 5 });
    const columns: ResultColumn[] = [
      ...layout.columns.map((c) => ({ name: c.name, type: c.resultType, ...(c.integer ? { integer: c.integer } : {}) })),
      { name: 'prediction', type: 'string' },
      { name: 'probability_yes', type: 'double' },
      { name: 'label_id', type: 'int64' },
    ];
    async function* merged(): AsyncGenerator<Cell[][]> {
      for (const chunk of layout.chunks)
        for await (const batch of readParquetRows(input, layout, chunk)) yield batch.map((r) => [...r, 'yes', 0.25, 1n]);
    }
    const path = join(dir, 'widths.parquet');
    await writeResultsParquet(createWriteStream(path), { columns, rows: merged() });
    const types = await duck(`select column_name, column_type from (describe select * from '${path}')`);
    expect(types.map((t) => `${t.column_name}:${t.column_type}`)).toEqual([
      ...limits.map((l) => `${l[0]}:${l[1]}`),
      's:VARCHAR',
      'prediction:VARCHAR',
      'probability_yes:DOUBLE',
      'label_id:BIGINT',
    ]);
    const back = await duck(
      `select ${limits.map((l) => `${l[0]}::varchar as ${l[0]}`).join(', ')}, s, prediction, probability_yes from '${path}'`,
    );
    const row = (pick: (l: (typeof limits)[number]) => string | null, s: string | null) => ({
      ...Object.fromEntries(limits.map((l) => [l[0], pick(l)])),
      s,
      prediction: 'yes',
      probability_yes: 0.25,
    });
    expect(back).toEqual([row((l) => String(l[2]), 'héllo'), row((l) => String(l[3]), ''), row(() => null, null)]);
    // DuckDB filters through the statistics: the greatest unsigned values are found as the values they are.
    const [found] = await duck(
      `select count(*)::integer as n from '${path}' where u32 = 4294967295 and u16 = 65535 and u8 = 255 and i8 = -128`,
    );
    expect(found!.n).toBe(0);
    const [max] = await duck(
      `select count(*)::integer as n from '${path}' where u32 = 4294967295 and u16 = 65535 and u8 = 255 and i8 = 127`,
    );
    expect(max!.n).toBe(1);
    // Our own reader sees the same widths in the results as in the upload.
    const again = await parquetLayout(path, { chunkRows: 5 });
    expect(again.columns.slice(0, limits.length).map((c) => c.integer ?? null)).toEqual(
      layout.columns.slice(0, limits.length).map((c) => c.integer ?? null),
    );
  });

  it("keep a Parquet upload's BLOB bytes: a BLOB in results.parquet, DuckDB's `\\x00\\xFF` text in JSON Lines and .xlsx", async () => {
    // The bytes were decoded as UTF-8: '\x00\xFF'::BLOB came back the VARCHAR '\x00\uFFFD' everywhere.
    const input = join(dir, 'blob-in.parquet');
    const blobs = ["'\\x00\\xFF'", "'abc'", "'a\\x5Cb\\x22\\x27'", "'\\xC3\\xA9 x,\\x0A'", "''", 'null'];
    await duck(
      `copy (select * from (values ${blobs.map((b, i) => `(${i}, ${b}::BLOB, 5.1)`).join(', ')}) t(id, b, sepal_length))
       to '${input}' (format parquet)`,
    );
    // What DuckDB itself prints for each BLOB (its CSV export writes the same).
    const printed = (await duck(`select b::varchar as b from '${input}' order by id`)).map((r) => r.b);
    expect(printed).toEqual(['\\x00\\xFF', 'abc', 'a\\x5Cb\\x22\\x27', '\\xC3\\xA9 x,\\x0A', '', null]);
    const layout = await parquetLayout(input, { chunkRows: 5 });
    expect(layout.columns[1]).toMatchObject({ name: 'b', parquetType: 'BYTE_ARRAY', resultType: 'blob' });
    const columns: ResultColumn[] = [
      ...layout.columns.map((c) => ({ name: c.name, type: c.resultType, ...(c.decimal ? { decimal: c.decimal } : {}) })),
      { name: 'prediction', type: 'string' },
    ];
    const read = async () => {
      const all: Cell[][] = [];
      for (const chunk of layout.chunks)
        for await (const batch of readParquetRows(input, layout, chunk)) all.push(...batch.map((r) => [...r, 'setosa']));
      return all;
    };
    async function* merged(): AsyncGenerator<Cell[][]> {
      yield await read();
    }
    expect((await read()).map((r) => r[1])).toEqual(printed);

    const path = join(dir, 'blob.parquet');
    await writeResultsParquet(createWriteStream(path), { columns, rows: merged() });
    const types = await duck(`select column_name, column_type from (describe select * from '${path}')`);
    expect(types.map((t) => `${t.column_name}:${t.column_type}`)).toEqual([
      'id:INTEGER',
      'b:BLOB',
      'sepal_length:DECIMAL(2,1)',
      'prediction:VARCHAR',
    ]);
    // The same bytes: joined with the upload on the BLOB itself, and byte for byte in hex.
    const [same] = await duck(
      `select count(*)::integer as n from '${path}' r join '${input}' i on r.id = i.id and r.b = i.b and hex(r.b) = hex(i.b)`,
    );
    expect(same!.n).toBe(5);
    expect((await duck(`select hex(b) as h from '${path}' order by id`)).map((r) => r.h)).toEqual([
      '00FF',
      '616263',
      '615C622227',
      'C3A920782C0A',
      '',
      null,
    ]);

    const jsonl = sink();
    await writeResultsJsonl(jsonl.stream, { columns, rows: merged() });
    const lines = jsonl
      .bytes()
      .toString()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { b: string | null });
    expect(lines.map((l) => l.b)).toEqual(printed);
    // Lossless: DuckDB reads the text back as the BLOB it was.
    const jsonlPath = join(dir, 'blob.jsonl');
    await writeResultsJsonl(createWriteStream(jsonlPath), { columns, rows: merged() });
    const [back] = await duck(
      `select count(*)::integer as n from read_json('${jsonlPath}', columns = {id: 'INTEGER', b: 'VARCHAR'}) r join '${input}' i on r.id = i.id and r.b::BLOB = i.b`,
    );
    expect(back!.n).toBe(5);

    const xlsx = join(dir, 'blob.xlsx');
    await writeResultsXlsx(createWriteStream(xlsx), { columns, rows: merged() }, { rows: 6 });
    const cells = JSON.parse(
      python(
        `
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1]).active
print(json.dumps([r[1] for r in ws.iter_rows(min_row=2, values_only=True)]))
`,
        xlsx,
      ),
    );
    // An empty BLOB is an empty cell, as an empty text is.
    expect(cells).toEqual([...printed.slice(0, 4), null, null]);
  });

  it('write an integer that its input width cannot hold as null, its text kept in the keepText companion', async () => {
    const columns: ResultColumn[] = [
      { name: 'tiny', type: 'int32', integer: { bits: 8, signed: true }, keepText: true },
      { name: 'word', type: 'int64', integer: { bits: 32, signed: false }, keepText: true },
    ];
    async function* cells(): AsyncGenerator<Cell[][]> {
      yield [
        [-128, 0],
        [128, -1],
        ['abc', 4294967296n],
        ['7', '4294967295'],
      ];
    }
    const path = join(dir, 'widths-out-of-range.parquet');
    await writeResultsParquet(createWriteStream(path), { columns, rows: cells() });
    const types = await duck(`select column_name, column_type from (describe select * from '${path}')`);
    expect(types.map((t) => `${t.column_name}:${t.column_type}`)).toEqual([
      'tiny:TINYINT',
      'tiny_text:VARCHAR',
      'word:UINTEGER',
      'word_text:VARCHAR',
    ]);
    expect(await duck(`select tiny, tiny_text, word::varchar as word, word_text from '${path}'`)).toEqual([
      { tiny: -128, tiny_text: null, word: '0', word_text: null },
      { tiny: null, tiny_text: '128', word: null, word_text: '-1' },
      { tiny: null, tiny_text: 'abc', word: null, word_text: '4294967296' },
      { tiny: 7, tiny_text: null, word: '4294967295', word_text: null },
    ]);
  });
});
