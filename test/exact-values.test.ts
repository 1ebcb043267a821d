import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { parseCsv } from './support/csv.js';
import {
  type AcceptedJob,
  duckdbMakeParquet,
  duckdbParquet,
  openpyxlMake,
  openpyxlWorkbook,
  results,
  resultsJsonl,
  scored,
} from './support/formats.js';
import { examples, type Platform, platformForFile } from './support/platform.js';

/**
 * Values come back exactly as they were given, over HTTP on a real platform: inputs made by other tools
 * (pandas' CSV text, Python's json, openpyxl, DuckDB), results read back by other tools (DuckDB, openpyxl,
 * JSON.parse) in every results format.
 */
let platform: Platform;
platformForFile({ workers: 1, env: { RATE_LIMIT_JOBS_PER_MINUTE: '0' } }, (started) => {
  platform = started;
});

const IRIS = { model: 'iris-logreg' };
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

/** Every results format of a job, read by tools other than ours. */
async function everyResult(job: AcceptedJob) {
  return {
    csv: parseCsv((await results(platform, job, 'csv')).toString('utf8').trimEnd()),
    jsonlText: (await results(platform, job, 'jsonl')).toString('utf8'),
    jsonl: await resultsJsonl(platform, job),
    parquet: await duckdbParquet(await results(platform, job, 'parquet')),
    xlsx: await openpyxlWorkbook(await results(platform, job, 'xlsx')),
  };
}

describe('negative zero', () => {
  // id (not a model input) and sepal_width hold -0.0 in rows 1 and 3; sepal_length in row 2.
  const values = [
    [-0, 5.1, 3.5, 1.4, 0.2],
    [1.5, -0, 3.0, 5.1, 1.8],
    [-0, 6.3, -0, 4.9, 1.5],
  ];
  const header = ['id', ...FEATURES];
  /** pandas' to_csv and Python's repr write a negative zero `-0.0`. */
  const text = (v: number) => (Object.is(v, -0) ? '-0.0' : String(v));
  const inputs: [string, () => Promise<Buffer>][] = [
    [
      'CSV (as pandas writes it)',
      async () => Buffer.from(`${[header, ...values.map((r) => r.map(text))].map((r) => r.join(',')).join('\n')}\n`),
    ],
    [
      'JSON Lines (as Python json writes it)',
      async () => Buffer.from(values.map((r) => `{${r.map((v, i) => `"${header[i]}": ${text(v)}`).join(', ')}}\n`).join('')),
    ],
    ['.xlsx (openpyxl)', () => openpyxlMake([header, ...values])],
    [
      'Parquet (DuckDB, DOUBLE columns)',
      () =>
        duckdbMakeParquet(
          `select * from (values ${values.map((r) => `(${r.map((v) => `${text(v)}::double`).join(', ')})`).join(', ')}) t(${header.join(', ')})`,
        ),
    ],
  ];
  const filename = ['nz.csv', 'nz.jsonl', 'nz.xlsx', 'nz.parquet'];

  it.each(inputs.map(([name, make], i) => ({ name, make, file: filename[i]! })))(
    'keeps its sign in every results format, from $name',
    async ({ make, file }) => {
      const { job } = await scored(platform, await make(), { fields: IRIS, filename: file });
      const out = await everyResult(job);
      // A CSV's id column is text (CSV has no types): it comes back as written, which is `-0.0` too.
      const cells = [
        [0, 0],
        [1, 1],
        [2, 0],
        [2, 2],
      ] as const;
      for (const [r, c] of cells) {
        const where = `row ${r + 1} ${header[c]}`;
        expect(out.csv[r + 1]![c], where).toBe('-0.0');
        expect(Object.is(Number(out.jsonl[r]![header[c]!]), -0), where).toBe(true);
        expect(Object.is(Number(out.parquet.rows[r]![header[c]!]), -0), where).toBe(true);
        expect(Object.is(Number(out.xlsx.rows[r + 1]![c]), -0), where).toBe(true);
      }
      // Python's json reads `-0` as the integer 0: the JSON text is `-0.0`.
      expect(out.jsonlText).toContain('"sepal_length":-0.0,');
      // The summary's preview shows the sign too.
      const summary = await (await fetch(platform.url(`/api/jobs/${job.id}/summary?token=${job.token}`))).json();
      expect(summary.preview.rows.map((r: string[]) => r[2])).toEqual(['3.5', '3', '-0.0']);
    },
  );
});

describe('JSON Lines integers beyond int64', () => {
  it('come back digit for digit in every results format: uint64 from 2^63 up, text beyond 64 bits', async () => {
    const ids = ['9223372036854775807', '9223372036854775808', '18446744073709551615'];
    const wide = ['99999999999999999999', '-9223372036854775809', '"A7"'];
    // `ref` holds integers and text, a mixed column: the text comes back without its JSON quotes but in JSON Lines.
    const shown = ['99999999999999999999', '-9223372036854775809', 'A7'];
    const body = ids.map(
      (id, i) => `{"id": ${id}, "ref": ${wide[i]}, "sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}\n`,
    );
    const { job } = await scored(platform, Buffer.from(body.join('')), { fields: IRIS, filename: 'ids.jsonl' });
    const out = await everyResult(job);
    expect(out.csv.slice(1).map((r) => r[0])).toEqual(ids);
    expect(out.csv.slice(1).map((r) => r[1])).toEqual(shown);
    expect(
      out.jsonlText
        .trimEnd()
        .split('\n')
        .map((l) => /^\{"id":(\d+),"ref":(-?\d+|"A7"),/.exec(l)?.slice(1)),
    ).toEqual(ids.map((id, i) => [id, wide[i]]));
    // Parquet: an unsigned 64-bit integer column, and a text column of the digits and the text (DuckDB; they were
    // DOUBLE, rounded). A column of integers beyond 64 bits alone is JSON (packages/formats/test/results.test.ts).
    expect(out.parquet.types.id).toBe('UBIGINT');
    expect(out.parquet.types.ref).toBe('VARCHAR');
    expect(out.parquet.rows.map((r) => String(r.id))).toEqual(ids);
    expect(out.parquet.rows.map((r) => String(r.ref))).toEqual(shown);
    // .xlsx: beyond 2^53 as text, as an Excel number would round them.
    expect(out.xlsx.rows.slice(1).map((r) => r.slice(0, 2))).toEqual(ids.map((id, i) => [id, shown[i]]));
  });
});

describe('JSON Lines values as written', () => {
  // JSON.parse alone lost each value's text: `1.0` typed the column int64 and came back `1`, `1e400` came back
  // null, a nested value re-printed ({"a":[1,2],"b":"x"}), and a key given twice was resolved silently.
  const lines = [
    '{"id": 1.0, "meta": {"a": [1, 2],  "b": "x"}, "big": 1e400, "sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}',
    '{"id": 2.0, "meta": {"a": []}, "big": 2.50, "sepal_length": 5.1, "sepal_width": 3.0, "petal_length": 5.1, "petal_width": 1.8}',
    '{"id": 3.0, "meta": null, "big": 1, "sepal_length": 6.3, "sepal_width": 2.9, "petal_length": 4.9, "petal_width": 1.5, "sepal_length": 9.9}',
  ];

  it('come back as written: 1.0 a float, 1e400 its text, nested values byte for byte; a key given twice fails its row, naming the key', async () => {
    const { job, done } = await scored(platform, Buffer.from(`${lines.join('\n')}\n`), { fields: IRIS, filename: 'written.jsonl' });
    expect(done.rows).toMatchObject({ total: 3, failed: 1 });
    const out = await everyResult(job);
    expect(out.csv.slice(1).map((r) => r.slice(0, 3))).toEqual([
      ['1.0', '{"a": [1, 2],  "b": "x"}', '1e400'],
      ['2.0', '{"a": []}', '2.50'],
      ['', '', ''],
    ]);
    expect(out.parquet.types.id).toBe('DOUBLE');
    expect(out.jsonlText.split('\n')[0]).toMatch(/^\{"id":1\.0,"meta":\{"a": \[1, 2\], {2}"b": "x"\},"big":1e400,/);
    expect(out.jsonl[0]!.big).toBe(Number.POSITIVE_INFINITY);
    expect(out.parquet.rows[0]!.big).toBe(Number.POSITIVE_INFINITY);
    const errors = await fetch(platform.url(`/api/jobs/${job.id}/errors.csv?token=${encodeURIComponent(job.token)}`));
    const failed = parseCsv((await errors.text()).trimEnd());
    expect(failed[0]!.at(-1)).toBe('line');
    expect(failed.slice(1)).toEqual([['3', 'sepal_length', lines[2], expect.stringMatching(/the key "sepal_length" more than once/), '3']]);
  });
});

describe('Parquet FLOAT inputs', () => {
  it('come back FLOAT in results.parquet, the same bits, and as float32 text (5.1) in the other formats', async () => {
    // DuckDB's FLOAT is Parquet's FLOAT: iris measurements as float32, and a FLOAT id the model does not use.
    const select = `select (i + 0.1)::float as id, sepal_length::float as sepal_length, sepal_width::float as sepal_width,
                           petal_length::float as petal_length, petal_width::float as petal_width
                    from (select *, row_number() over () - 1 as i from read_csv('${examples}/data/iris.csv', header = true)) limit 3`;
    const input = await duckdbMakeParquet(select);
    const { job } = await scored(platform, input, { fields: IRIS, filename: 'f32.parquet' });
    const out = await everyResult(job);
    expect(out.parquet.types.id).toBe('FLOAT');
    expect(out.parquet.types.sepal_length).toBe('FLOAT');
    const given = await duckdbParquet(input);
    for (const name of ['id', ...FEATURES])
      expect(
        out.parquet.rows.map((r) => r[name]),
        name,
      ).toEqual(given.rows.map((r) => r[name]));
    // The texts DuckDB and numpy print for these float32 values, not their widened doubles (5.099999904632568).
    const texts = [
      ['0.1', '5.1', '3.5', '1.4', '0.2'],
      ['1.1', '4.9', '3.0', '1.4', '0.2'],
      ['2.1', '4.7', '3.2', '1.3', '0.2'],
    ];
    expect(out.csv.slice(1).map((r) => r.slice(0, 5))).toEqual(texts);
    expect(
      out.jsonlText
        .trimEnd()
        .split('\n')
        .map((l) => l.slice(0, l.indexOf(',"prediction"'))),
    ).toEqual(texts.map((t) => `{${t.map((v, i) => `"${['id', ...FEATURES][i]}":${v}`).join(',')}}`.slice(0, -1)));
    expect(out.xlsx.rows.slice(1).map((r) => r.slice(0, 5))).toEqual(texts.map((t) => t.map(Number)));
  });
});

describe('Parquet timestamps finer than milliseconds', () => {
  it('keep their micro- and nanoseconds in the text formats, and microseconds in results.parquet', async () => {
    const input = await duckdbMakeParquet(
      `select '2024-01-02 03:04:05.123456'::timestamp as us, '1969-12-31 23:59:59.000000001'::timestamp_ns as ns,
              '2024-01-02 03:04:05.123456+02'::timestamptz as tz,
              5.1::double as sepal_length, 3.5::double as sepal_width, 1.4::double as petal_length, 0.2::double as petal_width`,
    );
    const { job } = await scored(platform, input, { fields: IRIS, filename: 'ts.parquet' });
    const out = await everyResult(job);
    // They came back cut to milliseconds (hyparquet's Dates): .123Z and 23:59:59.000Z. The first two have no zone
    // (TIMESTAMP, isAdjustedToUTC=false): they came back `…Z` too, and results.parquet declared them UTC.
    const texts = ['2024-01-02T03:04:05.123456', '1969-12-31T23:59:59.000000001', '2024-01-02T01:04:05.123456Z'];
    expect(out.csv[1]!.slice(0, 3)).toEqual(texts);
    expect([out.jsonl[0]!.us, out.jsonl[0]!.ns, out.jsonl[0]!.tz]).toEqual(texts);
    expect(out.xlsx.rows[1]!.slice(0, 3)).toEqual(texts);
    expect([out.parquet.types.us, out.parquet.types.ns, out.parquet.types.tz]).toEqual([
      'TIMESTAMP',
      'TIMESTAMP',
      'TIMESTAMP WITH TIME ZONE',
    ]);
    const [row] = await duckdbParquet(await results(platform, job, 'parquet')).then((p) => p.rows);
    expect(String(row!.us)).toBe('2024-01-02 03:04:05.123456');
    expect(String(row!.ns)).toBe('1969-12-31 23:59:59'); // nanoseconds beyond Parquet results' microseconds
    // The instant, whatever zone DuckDB shows it in.
    expect(
      new Date(
        String(row!.tz)
          .replace(' ', 'T')
          .replace(/([+-]\d\d)$/, '$1:00'),
      ).toISOString(),
    ).toBe('2024-01-02T01:04:05.123Z');
  });
});

describe('Parquet DECIMAL inputs', () => {
  it('stay DECIMAL of their precision and scale in results.parquet, the same values, and exact text elsewhere', async () => {
    const input = await duckdbMakeParquet(
      `select * from (values (1.10::decimal(10,2), 12345678901234567890.123456789::decimal(38,9), 99999999999999999.9::decimal(18,1)),
                             (null, -1::decimal(38,9), -0.1::decimal(18,1))) t(price, wide, mid),
                     (select 5.1::double sepal_length, 3.5::double sepal_width, 1.4::double petal_length, 0.2::double petal_width)`,
    );
    const { job } = await scored(platform, input, { fields: IRIS, filename: 'dec.parquet' });
    const out = await everyResult(job);
    // They were DOUBLE: 12345678901234567890.123456789 came back 1.2345678901234567e19.
    expect([out.parquet.types.price, out.parquet.types.wide, out.parquet.types.mid]).toEqual([
      'DECIMAL(10,2)',
      'DECIMAL(38,9)',
      'DECIMAL(18,1)',
    ]);
    const given = await duckdbParquet(input);
    for (const name of ['price', 'wide', 'mid']) {
      expect(
        out.parquet.rows.map((r) => String(r[name])),
        name,
      ).toEqual(given.rows.map((r) => String(r[name])));
    }
    expect(out.csv.slice(1).map((r) => r.slice(0, 3))).toEqual([
      ['1.1', '12345678901234567890.123456789', '99999999999999999.9'],
      ['', '-1', '-0.1'],
    ]);
  });
});

describe('float columns with integral values', () => {
  it('come back as floats in results.csv and .jsonl (5.0), which DuckDB reads as DOUBLE again, not BIGINT', async () => {
    const input = await duckdbMakeParquet(
      'select 5.0::double as sepal_length, 3.0::double as sepal_width, 1.0::double as petal_length, 0.0::double as petal_width',
    );
    const { job } = await scored(platform, input, { fields: IRIS, filename: 'whole.parquet' });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'batchcast-exact-'));
    try {
      await writeFile(path.join(dir, 'r.csv'), await results(platform, job, 'csv'));
      await writeFile(path.join(dir, 'r.jsonl'), await results(platform, job, 'jsonl'));
      const db = await DuckDBInstance.create(':memory:');
      const c = await db.connect();
      for (const read of [`read_csv('${dir}/r.csv')`, `read_json('${dir}/r.jsonl')`]) {
        const described = (await c.runAndReadAll(`describe select ${FEATURES.join(', ')} from ${read}`)).getRowObjects();
        expect(
          described.map((r) => String(r.column_type)),
          read,
        ).toEqual(['DOUBLE', 'DOUBLE', 'DOUBLE', 'DOUBLE']);
      }
      c.closeSync();
      db.closeSync();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
