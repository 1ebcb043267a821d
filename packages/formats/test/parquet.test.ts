import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ColumnTarget, RecordBatch } from '@batchcast/csv';
import {
  type Cell,
  checkParquetTargets,
  FormatError,
  type ParquetLayout,
  parquetLayout,
  readParquetBatches,
  readParquetRows,
  writeResultsJsonl,
  writeResultsParquet,
  writeResultsXlsx,
} from '@batchcast/formats';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { fixture, python, rangeSource } from './helpers.js';

async function allBatches(name: string, layout: ParquetLayout, targets: ColumnTarget[], batchSize = 5): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for (const chunk of layout.chunks)
    for await (const b of readParquetBatches(fixture(name), layout, chunk, targets, batchSize)) out.push(b);
  return out;
}

const col = (layout: ParquetLayout, name: string): number => layout.header.indexOf(name);

describe('parquetLayout', () => {
  it('reads columns and their types from the footer', async () => {
    const layout = await parquetLayout(fixture('typed.parquet'), { chunkRows: 100 });
    expect(layout.columns.map((c) => [c.name, c.type, c.resultType])).toEqual([
      ['id', 'string', 'string'],
      ['x', 'double', 'double'],
      ['f', 'float', 'float'], // kept FLOAT in results.parquet
      ['i32', 'int32', 'int32'],
      ['big', 'int64', 'int64'],
      ['flag', 'bool', 'bool'],
      ['color', 'string', 'string'],
      ['price', 'decimal', 'decimal'], // kept DECIMAL in results.parquet
      ['ts', 'timestamp', 'timestamp'],
      ['day', 'date', 'date'],
      ['tags', 'nested', 'json'],
      ['info', 'nested', 'json'],
      ['wrong', 'string', 'string'],
    ]);
    expect(layout).toMatchObject({
      rows: 12,
      rowGroups: [{ firstRow: 0, rows: 12 }],
      chunks: [{ index: 0, firstRow: 0, rows: 12 }],
      notes: [],
    });
  });

  it('puts small row groups together and splits a big one evenly', async () => {
    const several = await parquetLayout(fixture('groups.parquet'), { chunkRows: 4096 });
    expect(several.rowGroups.map((g) => g.rows)).toEqual([2048, 2048, 2048, 2048, 1808]);
    expect(several.chunks.map((c) => [c.firstRow, c.rows])).toEqual([
      [0, 4096],
      [4096, 4096],
      [8192, 1808],
    ]);
    const one = await parquetLayout(fixture('onegroup.parquet'), { chunkRows: 3000 });
    expect(one.chunks.map((c) => [c.firstRow, c.rows])).toEqual([
      [0, 2500],
      [2500, 2500],
      [5000, 2500],
      [7500, 2500],
    ]);
    expect(one.notes[0]).toMatch(/row groups of up to 10000 rows; they are read in slices/);
    // A group a little over chunkRows stays whole: splitting it would decode it twice.
    expect((await parquetLayout(fixture('onegroup.parquet'), { chunkRows: 9000 })).chunks).toHaveLength(1);
  });

  it('refuses a file that is not Parquet, or is cut short', async () => {
    const err = await parquetLayout(fixture('small.csv'), { chunkRows: 10 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).code).toBe('invalid_parquet');
    const path = fixture('typed.parquet');
    const size = (await stat(path)).size;
    const cut = await parquetLayout(rangeSource(path).source, { chunkRows: 10, size: size - 100 }).catch((e: unknown) => e);
    expect((cut as FormatError).code).toBe('invalid_parquet');
  });
});

describe('readParquetBatches', () => {
  it('puts typed columns into typed arrays; null in a float input is NaN like an empty CSV cell', async () => {
    const layout = await parquetLayout(fixture('typed.parquet'), { chunkRows: 100 });
    const targets: ColumnTarget[] = [
      { name: 'num', type: 'float64', columns: ['x', 'f', 'i32', 'price', 'flag'].map((n) => col(layout, n)) },
      { name: 'big', type: 'int64', columns: [col(layout, 'big')] },
      { name: 'text', type: 'string', columns: [col(layout, 'color'), col(layout, 'day')] },
    ];
    const batches = await allBatches('typed.parquet', layout, targets);
    expect(batches.map((b) => [b.firstRow, b.count])).toEqual([
      [0, 5],
      [5, 5],
      [10, 2],
    ]);
    expect(batches.flatMap((b) => b.errors)).toEqual([]);
    const num = batches.flatMap((b) => [...(b.data[0] as Float64Array)]);
    expect(num.slice(0, 10)).toEqual([0, 0, 0, 0, 1, 1.5, 0.25, 1, 1.25, 0]);
    expect(num.slice(20, 25)).toEqual([Number.NaN, 1, 4, 5, 1]);
    expect(batches.flatMap((b) => [...(b.data[1] as BigInt64Array)])[11]).toBe(11n * 1000000007n);
    expect(batches.flatMap((b) => b.data[2] as string[]).slice(0, 4)).toEqual(['red', '2024-01-01', 'green', '2024-01-02']);
  });

  it('gives a BOOLEAN column to a text input as True/False, the categories scikit-learn names for a bool column', async () => {
    // An encoder fitted on a pandas bool column compares the text False/True; `true` was no category of it.
    const layout = await parquetLayout(fixture('typed.parquet'), { chunkRows: 100 });
    const batches = await allBatches('typed.parquet', layout, [{ name: 'flag', type: 'string', columns: [col(layout, 'flag')] }]);
    expect(batches.flatMap((b) => b.errors)).toEqual([]);
    expect(batches.flatMap((b) => b.data[0] as string[]).slice(0, 4)).toEqual(['True', 'False', 'True', 'False']);
  });

  it('reads dictionary-encoded text (as DuckDB writes repeated values)', async () => {
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const meta = await duck.runAndReadAll(
      `select distinct encodings from parquet_metadata('${fixture('groups.parquet')}') where path_in_schema = 'k'`,
    );
    expect(meta.getRowObjectsJson()).toEqual([{ encodings: 'PLAIN_DICTIONARY' }]);
    const layout = await parquetLayout(fixture('groups.parquet'), { chunkRows: 4096 });
    const batches = await allBatches('groups.parquet', layout, [{ name: 'k', type: 'string', columns: [col(layout, 'k')] }], 1000);
    const k = batches.flatMap((b) => b.data[0] as string[]);
    expect(k).toHaveLength(10000);
    for (const i of [0, 6, 7, 2047, 2048, 9999]) expect(k[i]).toBe(`k${i % 7}`);
  });

  it('parses text in a float column as CSV would, failing only the rows where it is not a number', async () => {
    const layout = await parquetLayout(fixture('typed.parquet'), { chunkRows: 5 });
    const batches = await allBatches('typed.parquet', layout, [{ name: 'w', type: 'float32', columns: [col(layout, 'wrong')] }], 3);
    const errors = batches.flatMap((b) => b.errors);
    expect(errors).toEqual(
      [1, 5, 9].map((row) => ({ row, column: 'wrong', value: 'abc', message: 'column "wrong": "abc" is not a number' })),
    );
    const values = batches.flatMap((b) => [...(b.data[0] as Float32Array)]);
    expect(values.slice(0, 4)).toEqual([1.5, Number.NaN, Number.NaN, Number.NaN]);
    expect(values[4]).toBe(1.5);
  });

  it('refuses nested columns and dates referenced by numeric inputs, naming the column', async () => {
    const layout = await parquetLayout(fixture('typed.parquet'), { chunkRows: 100 });
    expect(() => checkParquetTargets(layout, [{ name: 't', type: 'float32', columns: [col(layout, 'tags')] }])).toThrow(
      /column "tags" is a nested Parquet column \(group \(LIST\)\)/,
    );
    expect(() => checkParquetTargets(layout, [{ name: 't', type: 'float32', columns: [col(layout, 'ts')] }])).toThrow(
      /column "ts" holds timestamps/,
    );
    expect(() => checkParquetTargets(layout, [{ name: 't', type: 'string', columns: [col(layout, 'ts')] }])).not.toThrow();
    const gen = readParquetBatches(
      fixture('typed.parquet'),
      layout,
      layout.chunks[0]!,
      [{ name: 't', type: 'float32', columns: [col(layout, 'info')] }],
      4,
    );
    await expect(gen.next()).rejects.toThrow(/column "info" is a nested Parquet column/);
  });

  it('reads a BLOB into a model input as text when its bytes are UTF-8, failing the rows whose bytes are not, clearly', async () => {
    // The bytes were decoded as UTF-8 with U+FFFD for the rest: '\x00\xFF' fed a text input as '\x00\uFFFD'.
    const dir = await mkdtemp(join(tmpdir(), 'formats-pq-'));
    const file = join(dir, 'blob.parquet');
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run(`copy (select * from (values ('5.5'::BLOB, 'setosa'::BLOB), ('\\x00\\xFF'::BLOB, 'x'::BLOB), (null, 'a\\xFFb'::BLOB), ('1'::BLOB, '\\xC3\\xA9'::BLOB))
      t(n, s)) to '${file}' (format parquet)`);
    const layout = await parquetLayout(file, { chunkRows: 100 });
    const batches: RecordBatch[] = [];
    const targets: ColumnTarget[] = [
      { name: 'n', type: 'float32', columns: [0] },
      { name: 's', type: 'string', columns: [1] },
    ];
    for await (const b of readParquetBatches(file, layout, layout.chunks[0]!, targets, 10)) batches.push(b);
    expect(batches.flatMap((b) => b.errors)).toEqual([
      {
        row: 1,
        column: 'n',
        value: '\\x00\\xFF',
        message:
          'column "n" holds bytes (a BLOB) that are not UTF-8 text: \\x00\\xFF; the model input needs a number: convert the column to text or numbers before uploading',
      },
      {
        row: 2,
        column: 's',
        value: 'a\\xFFb',
        message:
          'column "s" holds bytes (a BLOB) that are not UTF-8 text: a\\xFFb; the model input needs text: convert the column to text or numbers before uploading',
      },
    ]);
    const numbers = batches[0]!.data[0] as Float32Array;
    const texts = batches[0]!.data[1] as string[];
    expect([numbers[0], numbers[3], texts[0], texts[3]]).toEqual([5.5, 1, 'setosa', 'é']);
    await rm(dir, { recursive: true, force: true });
  });

  it('reads every row of several row groups, and of slices of one big row group, in order', async () => {
    for (const [name, chunkRows] of [
      ['groups.parquet', 4096],
      ['onegroup.parquet', 3000],
    ] as const) {
      const layout = await parquetLayout(fixture(name), { chunkRows });
      const targets: ColumnTarget[] = [{ name: 'v', type: 'float64', columns: [0, 1] }];
      const batches = await allBatches(name, layout, targets, 1000);
      const values = batches.flatMap((b) => [...(b.data[0] as Float64Array)]);
      expect(values).toHaveLength(20000);
      for (let i = 0; i < 10000; i += 997) expect([values[2 * i], values[2 * i + 1]]).toEqual([i, i / 2]);
      let expected = 0;
      for (const b of batches) {
        expect(b.firstRow).toBe(expected);
        expected += b.count;
      }
    }
  });

  it('reads by range through a RangeReader, without reading the whole file for one chunk', async () => {
    const path = fixture('groups.parquet');
    const src = rangeSource(path);
    const layout = await parquetLayout(src.source, { chunkRows: 2048, size: (await stat(path)).size });
    const before = src.bytesRead();
    let rows = 0;
    for await (const b of readParquetBatches(src.source, layout, layout.chunks[2]!, [{ name: 'n', type: 'int64', columns: [0] }], 512)) {
      rows += b.count;
      expect(b.firstRow).toBeGreaterThanOrEqual(4096);
    }
    expect(rows).toBe(2048);
    const oneChunkOneColumn = src.bytesRead() - before;
    for (const chunk of layout.chunks) for await (const _ of readParquetRows(src.source, layout, chunk));
    const everything = src.bytesRead() - before - oneChunkOneColumn;
    expect(oneChunkOneColumn).toBeLessThan(everything / 3);
  });
});

describe('readParquetRows', () => {
  it('yields every column for results: typed values, ISO dates, nested values as JSON text', async () => {
    const layout = await parquetLayout(fixture('typed.parquet'), { chunkRows: 100 });
    const rows: unknown[][] = [];
    for await (const batch of readParquetRows(fixture('typed.parquet'), layout, layout.chunks[0]!)) rows.push(...batch);
    expect(rows).toHaveLength(12);
    expect(rows[1]).toEqual([
      'r1',
      1.5,
      0.25,
      1,
      1000000007n,
      false,
      'green',
      1.25,
      '2024-01-01T01:00:00.000', // TIMESTAMP with isAdjustedToUTC=false: no zone, so no `Z`
      '2024-01-02',
      '[1,2]',
      '{"a":1,"b":"n1"}',
      'abc',
    ]);
    expect(rows[4]![1]).toBeNull();
    expect(rows[3]![10]).toBeNull();
  });
});

describe('readParquetRows, columns hyparquet reads wrongly or not at all (DuckDB)', () => {
  it('writes decimals as their decimal text, times as HH:MM:SS[.ffffff], intervals as ISO 8601', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'formats-pq-'));
    const file = join(dir, 'exact.parquet');
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run(`copy (select * from (values
        (1.4::decimal(38, 10), -12.345::decimal(18, 3), 0.07::decimal(9, 2), time '10:11:12', interval 3 day),
        (-0.0000000001::decimal(38, 10), 123456789012345.678::decimal(18, 3), -9.99::decimal(9, 2), time '00:00:00.5', interval '1 month 2 days 3.5 seconds'),
        (null, null, null, null, null)
      ) t(d38, d18, d9, t, i)) to '${file}' (format parquet)`);
    const layout = await parquetLayout(file, { chunkRows: 100 });
    expect(layout.columns.map((c) => c.resultType)).toEqual(['decimal', 'decimal', 'decimal', 'string', 'string']);
    const rows: unknown[][] = [];
    for await (const batch of readParquetRows(file, layout, layout.chunks[0]!)) rows.push(...batch);
    expect(rows).toEqual([
      [1.4, -12.345, 0.07, '10:11:12', 'P3D'],
      // Beyond 15 significant digits, the exact text (as a double: 123456789012345.67).
      [-1e-10, '123456789012345.678', -9.99, '00:00:00.500000', 'P1M2DT3.5S'],
      [null, null, null, null, null],
    ]);
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps DECIMAL(38, 0) ids digit for digit in CSV, JSON Lines and .xlsx results', async () => {
    // As doubles they came back 1e+38, 12345678901234567000 and 9007199254740992.
    const dir = await mkdtemp(join(tmpdir(), 'formats-pq-'));
    const file = join(dir, 'accounts.parquet');
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run(`copy (select acct::decimal(38, 0) as acct from (values ('99999999999999999999999999999999999999'),
      ('-12345678901234567890'), ('9007199254740993'), ('42'), (null)) t(acct)) to '${file}' (format parquet)`);
    const layout = await parquetLayout(file, { chunkRows: 100 });
    const rows: Cell[][] = [];
    for await (const batch of readParquetRows(file, layout, layout.chunks[0]!)) rows.push(...batch);
    expect(rows.map((r) => r[0])).toEqual([
      '99999999999999999999999999999999999999',
      '-12345678901234567890',
      '9007199254740993',
      42,
      null,
    ]);
    const columns = layout.columns.map((c) => ({ name: c.name, type: c.resultType }));
    const out = join(dir, 'results.jsonl');
    await writeResultsJsonl(createWriteStream(out), {
      columns,
      rows: (async function* () {
        yield rows;
      })(),
    });
    expect(await readFile(out, 'utf8')).toBe(
      '{"acct":99999999999999999999999999999999999999}\n{"acct":-12345678901234567890}\n{"acct":9007199254740993}\n{"acct":42}\n{"acct":null}\n',
    );
    const xlsx = join(dir, 'results.xlsx');
    await writeResultsXlsx(
      createWriteStream(xlsx),
      {
        columns,
        rows: (async function* () {
          yield rows;
        })(),
      },
      { rows: rows.length },
    );
    const cells = python('import sys, openpyxl; print([c.value for c in openpyxl.load_workbook(sys.argv[1]).active["A"]])', xlsx).trim();
    expect(cells).toBe("['acct', '99999999999999999999999999999999999999', '-12345678901234567890', '9007199254740993', 42]");
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps timestamps of no zone naive and instants in UTC, in what it reads and in results.parquet and .jsonl', async () => {
    // Naive ones came back `…Z` in every typed download, and results.parquet declared every timestamp UTC
    // (TIMESTAMP_MICROS): pandas showed 12:00 in Paris as 12:00 UTC, DuckDB turned an instant into a wall-clock time.
    const dir = await mkdtemp(join(tmpdir(), 'formats-pq-'));
    const file = join(dir, 'ts.parquet');
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run("set TimeZone = 'UTC'");
    await duck.run(`copy (select * from (values
        ('2024-03-01 12:00:00.123456'::timestamp, '2024-03-01 12:00:00'::timestamp_ms, '2024-03-01 12:00:00+02'::timestamptz),
        (null, null, null)
      ) t(us, ms, tz)) to '${file}' (format parquet)`);
    const layout = await parquetLayout(file, { chunkRows: 100 });
    expect(layout.columns.map((c) => c.resultType)).toEqual(['timestamp', 'timestamp', 'timestamptz']);
    const rows: Cell[][] = [];
    for await (const batch of readParquetRows(file, layout, layout.chunks[0]!)) rows.push(...batch);
    expect(rows).toEqual([
      ['2024-03-01T12:00:00.123456', '2024-03-01T12:00:00.000', '2024-03-01T10:00:00.000Z'],
      [null, null, null],
    ]);
    // A workbook's date and time (xlsx-to-csv's ISO text, no zone) beside them, as an .xlsx upload types it.
    const columns = [...layout.columns.map((c) => ({ name: c.name, type: c.resultType })), { name: 'xl', type: 'timestamp' as const }];
    const cells = [rows[0]!.concat('2024-03-01T12:00:00'), rows[1]!.concat(null)];
    const batches = async function* () {
      yield cells;
    };
    const out = join(dir, 'results.parquet');
    await writeResultsParquet(createWriteStream(out), { columns, rows: batches() });
    const jsonl = join(dir, 'results.jsonl');
    await writeResultsJsonl(createWriteStream(jsonl), { columns, rows: batches() });
    expect((await readFile(jsonl, 'utf8')).split('\n')[0]).toBe(
      '{"us":"2024-03-01T12:00:00.123456","ms":"2024-03-01T12:00:00.000","tz":"2024-03-01T10:00:00.000Z","xl":"2024-03-01T12:00:00"}',
    );
    const schema = await duck.runAndReadAll(`select name, logical_type from parquet_schema('${out}') where name <> 'root'`);
    expect(schema.getRowObjects().map((r) => [r.name, /isAdjustedToUTC=(\d)/.exec(String(r.logical_type))?.[1]])).toEqual([
      ['us', '0'],
      ['ms', '0'],
      ['tz', '1'],
      ['xl', '0'],
    ]);
    const back = await duck.runAndReadAll(
      `select typeof(us) tu, us::varchar us, ms::varchar ms, typeof(tz) tt, tz::varchar tz, typeof(xl) tx, xl::varchar xl from '${out}'`,
    );
    expect(back.getRowObjects()[0]).toEqual({
      tu: 'TIMESTAMP',
      us: '2024-03-01 12:00:00.123456',
      ms: '2024-03-01 12:00:00',
      tt: 'TIMESTAMP WITH TIME ZONE',
      tz: '2024-03-01 10:00:00+00',
      tx: 'TIMESTAMP',
      xl: '2024-03-01 12:00:00',
    });
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps an unsigned 64-bit column (ids from 2^63 up) digit for digit through results.parquet', async () => {
    // It was typed int64: results.parquet wrote 18446744073709551615 and 9223372036854775808 as NULL.
    const dir = await mkdtemp(join(tmpdir(), 'formats-pq-'));
    const file = join(dir, 'unsigned.parquet');
    const out = join(dir, 'results.parquet');
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run(`copy (select * from (values (18446744073709551615::ubigint), (9223372036854775808::ubigint), (0::ubigint), (null))
      t(id)) to '${file}' (format parquet)`);
    const layout = await parquetLayout(file, { chunkRows: 100 });
    expect(layout.columns.map((c) => c.resultType)).toEqual(['uint64']);
    const rows: Cell[][] = [];
    for await (const batch of readParquetRows(file, layout, layout.chunks[0]!)) rows.push(...batch);
    const columns = layout.columns.map((c) => ({ name: c.name, type: c.resultType }));
    await writeResultsParquet(createWriteStream(out), {
      columns,
      rows: (async function* () {
        yield rows;
      })(),
    });
    const back = await duck.runAndReadAll(`select typeof(id) as t, id::varchar as id from '${out}'`);
    expect(back.getRowObjects()).toEqual([
      { t: 'UBIGINT', id: '18446744073709551615' },
      { t: 'UBIGINT', id: '9223372036854775808' },
      { t: 'UBIGINT', id: '0' },
      { t: 'UBIGINT', id: null },
    ]);
    await rm(dir, { recursive: true, force: true });
  });
});
