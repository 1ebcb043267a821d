import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ColumnTarget, RecordBatch } from '@batchcast/csv';
import {
  FormatError,
  JsonArraySplitter,
  type JsonlLayout,
  JsonlScanner,
  type JsonlScannerOptions,
  jsonArrayToJsonl,
  MAX_JSON_DEPTH,
  readJsonlBatches,
  readJsonlRows,
  readRecord,
} from '@batchcast/formats';
import { describe, expect, it } from 'vitest';
import { collect, fixture, rangeSource } from './helpers.js';

function scan(bytes: Buffer, opts: Partial<JsonlScannerOptions> = {}, pieceSize = bytes.length || 1): JsonlLayout {
  const scanner = new JsonlScanner({ chunkRows: 1000, ...opts });
  for (let i = 0; i < bytes.length; i += pieceSize) scanner.push(bytes.subarray(i, i + pieceSize));
  return scanner.finish();
}

function scanError(bytes: Buffer, opts: Partial<JsonlScannerOptions> = {}): FormatError {
  try {
    scan(bytes, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError);
    return err as FormatError;
  }
  throw new Error('expected a FormatError');
}

async function batches(name: string, layout: JsonlLayout, targets: ColumnTarget[], batchSize = 100): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for (const c of layout.chunks) {
    for await (const b of readJsonlBatches(fixture(name), {
      start: c.start,
      end: c.end,
      firstRow: c.firstRow,
      header: layout.header,
      targets,
      batchSize,
    })) {
      out.push(b);
    }
  }
  return out;
}

describe('JsonlScanner', () => {
  it('learns the header (union of keys, first seen order), types, rows and chunks of whole lines', async () => {
    const bytes = await readFile(fixture('records.jsonl'));
    const layout = scan(bytes, { chunkRows: 3 });
    expect(layout.header).toEqual(['id', 'x', 'name', 'ok', 'größe', 'tags', 'extra', 'big']);
    // `big` holds 9007199254740993: an integer beyond 2^53, read from its digits for results, so int64. `x` (numbers
    // and text) and `ok` (booleans and text) hold several kinds of values; `tags` and `extra` only nested ones.
    expect(layout.columnTypes).toEqual(['int64', 'mixed', 'string', 'mixed', 'double', 'json', 'json', 'int64']);
    // Seven records: the blank line is not one; the array and the broken line are (they fail their rows).
    expect(layout).toMatchObject({ rows: 7, invalidRows: 2, bom: false, dataStart: 0, bytes: bytes.length });
    expect(layout.chunks.map((c) => [c.firstRow, c.rows])).toEqual([
      [0, 3],
      [3, 3],
      [6, 1],
    ]);
    expect(layout.chunks[0]!.start).toBe(0);
    expect(layout.chunks.at(-1)!.end).toBe(bytes.length);
    for (let i = 1; i < layout.chunks.length; i++) expect(layout.chunks[i]!.start).toBe(layout.chunks[i - 1]!.end);
  });

  it('gives the same layout whatever the pieces the bytes arrive in', async () => {
    const bytes = await readFile(fixture('records.jsonl'));
    const whole = scan(bytes, { chunkRows: 2 });
    for (const size of [1, 2, 3, 7, 64]) expect(scan(bytes, { chunkRows: 2 }, size)).toEqual(whole);
  });

  it('skips a byte order mark', () => {
    const layout = scan(Buffer.from('\ufeff{"a": 1}\n{"a": 2}'));
    expect(layout).toMatchObject({ bom: true, dataStart: 3, rows: 2, header: ['a'] });
  });

  it('refuses what is not JSON Lines with a message saying what to do', async () => {
    expect(scanError(await readFile(fixture('pretty-object.json'))).message).toMatch(/looks like pretty-printed JSON/);
    expect(scanError(Buffer.from('name,age\nx,1\n')).message).toMatch(/^line 1 is not valid JSON \(unexpected token 'a'\): "name,age"; /);
    // A broken first line is not "pretty-printed JSON": it is said to be invalid, and where.
    const broken = scanError(Buffer.from('{bad\n{"a": 1}\n'));
    expect(broken.code).toBe('not_json');
    expect(broken.line).toBe(1);
    expect(broken.message).toBe(
      `line 1 is not valid JSON at column 2 (expected property name or '}'): "{bad"; a JSON Lines file has one JSON object per line: fix or remove that line`,
    );
    expect(scanError(Buffer.from('[1, 2]\n{"a": 1}\n')).message).toMatch(/^line 1 is an array, not a JSON object/);
    // Cut short or with a trailing comma, then whole objects: not called pretty-printed only; says how to fix the line.
    const cut = scanError(Buffer.from('{"a": 1,\n{"a": 2}\n'));
    expect(cut.line).toBe(1);
    expect(cut.message).toMatch(
      /^line 1 is not a complete JSON object \(it ends with ","\): "\{\\"a\\": 1,"; .*complete line 1 or remove it/,
    );
    expect(scanError(Buffer.alloc(0)).code).toBe('empty_file');
    expect(scanError(Buffer.from('\n  \n\r\n')).code).toBe('no_rows');
    // The rows wrapped in an object ({"data": [...]}): said where they are, not read as one record with a column "data".
    const wrapped = scanError(Buffer.from('{"data":[{"a":1},{"a":2}]}\n'));
    expect([wrapped.code, wrapped.message]).toEqual([
      'no_rows',
      'the rows are an array under the key "data"; upload that array itself (a JSON array of objects, or JSON Lines)',
    ]);
    expect(scanError(Buffer.from('{"meta":{"n":2},"records":[{"a":1}]}')).message).toContain('under the key "records"');
    // A record with a list of objects among more records is a record.
    expect(scan(Buffer.from('{"a":[{"b":1}]}\n{"a":[]}\n')).rows).toBe(2);
    expect(scanError(Buffer.from('\n  \n\r\n')).message).toMatch(/nothing to score.*add the rows to score and upload it again$/);
    expect(scanError(Buffer.from('{}\n{}\n')).code).toBe('no_header');
  });

  it('refuses invalid UTF-8, naming the line', async () => {
    const err = scanError(await readFile(fixture('latin1.jsonl')));
    expect(err.code).toBe('invalid_utf8');
    expect(err.line).toBe(2);
  });

  it('applies the header rules to keys: duplicates ignoring case, empty names, a cap on distinct keys and on line length', async () => {
    const dup = scanError(await readFile(fixture('dup-keys.jsonl')));
    expect(dup.code).toBe('duplicate_column');
    expect(dup.message).toMatch(/line 2 has the key "age" and an earlier line has "Age"/);
    expect(scanError(Buffer.from('{"a": 1, "": 2}\n')).code).toBe('empty_column_name');
    const many = scanError(Buffer.from('{"a": 1, "b": 2}\n{"c": 3, "d": 4}\n'), { maxColumns: 3 });
    expect(many.code).toBe('too_many_columns');
    expect(many.message).toMatch(/more than 3 different keys \(line 2 adds "d"\)/);
    const long = scanError(Buffer.from(`{"a": 1}\n{"a": "${'x'.repeat(200)}"}\n`), { maxLineBytes: 100 });
    expect(long.code).toBe('line_too_large');
    expect(long.line).toBe(2);
  });
});

describe('readJsonlBatches', () => {
  it('coerces keys into typed arrays like the real-time endpoint, failing only the bad rows', async () => {
    const layout = scan(await readFile(fixture('records.jsonl')), { chunkRows: 3 });
    const targets: ColumnTarget[] = [
      { name: 'features', type: 'float32', columns: [1, 4] },
      { name: 'id', type: 'int64', columns: [0] },
    ];
    const all = await batches('records.jsonl', layout, targets, 2);
    expect(all.map((b) => [b.firstRow, b.count])).toEqual([
      [0, 2],
      [2, 1],
      [3, 2],
      [5, 1],
      [6, 1],
    ]);
    const errors = all.flatMap((b) => b.errors);
    expect(errors).toEqual([
      { row: 3, column: null, value: '[1, 2, 3]', message: 'this record is an array, not a JSON object with one key per column' },
      {
        row: 4,
        column: null,
        value: '{"id": 5, "x": ',
        message: expect.stringMatching(/^this record is not valid JSON( at column \d+)? \(.+\): fix or remove that record$/),
      },
      { row: 6, column: 'x', value: 'abc', message: 'column "x": "abc" is not a number' },
    ]);
    const features = all.flatMap((b) => [...(b.data[0] as Float32Array)]);
    expect(features.slice(0, 6)).toEqual([1.5, 180, Number.NaN, 175.5, 2.5, 160]);
    expect(features.slice(10, 12)).toEqual([3, 150]);
    expect(all.flatMap((b) => [...(b.data[1] as BigInt64Array)])).toEqual([1n, 2n, 3n, 0n, 0n, 4n, 0n]);
  });

  it('fails the row of a nested value in a target column, and of an integer JSON cannot hold exactly', async () => {
    const layout = scan(await readFile(fixture('records.jsonl')));
    const nested = (await batches('records.jsonl', layout, [{ name: 't', type: 'string', columns: [5] }])).flatMap((b) => b.errors);
    expect(nested.find((e) => e.row === 1)).toEqual({
      row: 1,
      column: 'tags',
      value: null,
      message: 'column "tags": a list is not a cell value',
    });
    const big = (await batches('records.jsonl', layout, [{ name: 'b', type: 'int64', columns: [7] }])).flatMap((b) => b.errors);
    expect(big.find((e) => e.row === 5)?.message).toMatch(/column "big": the number is too large to be exact in JSON \(beyond ±2\^53\)/);
  });

  it('reads through a RangeReader too', async () => {
    const layout = scan(await readFile(fixture('records.jsonl')));
    const src = rangeSource(fixture('records.jsonl'));
    let rows = 0;
    for await (const b of readJsonlBatches(src.source, {
      start: 0,
      end: layout.bytes,
      firstRow: 0,
      header: layout.header,
      targets: [],
      batchSize: 4,
    }))
      rows += b.count;
    expect(rows).toBe(7);
  });
});

describe('JsonlScanner column types of integers', () => {
  it('decides from the digits: int64, uint64 from 2^63 up, json beyond 64 bits; doubles among fractions', () => {
    const lines = [
      { a: '9223372036854775807', b: '18446744073709551615', c: '99999999999999999999', d: '-9223372036854775809', e: '1.5', f: '-1' },
      { a: '-9223372036854775808', b: '1', c: '1', d: '1', e: '18446744073709551615', f: '18446744073709551615' },
    ];
    const text = lines
      .map(
        (l) =>
          `{${Object.entries(l)
            .map(([k, v]) => `"${k}": ${v}`)
            .join(', ')}}\n`,
      )
      .join('');
    // a: int64's own limits (2^63 - 1 rounds to 2^63 as a double, and was typed double); b: only uint64 holds it;
    // c, d: no 64-bit integer; e: a float column; f: a negative and a uint64 value.
    expect(scan(Buffer.from(text)).columnTypes).toEqual(['int64', 'uint64', 'json', 'json', 'double', 'json']);
  });
});

describe('readJsonlRows', () => {
  it('yields cells in header order; json and mixed columns as JSON text, bad lines as nulls', async () => {
    const layout = scan(await readFile(fixture('records.jsonl')));
    const rows = (
      await collectRows(
        readJsonlRows(fixture('records.jsonl'), { start: 0, end: layout.bytes, header: layout.header, columnTypes: layout.columnTypes }),
      )
    ).flat();
    expect(rows).toHaveLength(7);
    // Numbers and nested values as written: the writers read number text as a CSV cell's.
    expect(rows[0]).toEqual(['1', '1.5', 'alpha', 'true', '180', null, null, null]);
    expect(rows[2]).toEqual(['3', '"2.5"', null, 'true', '160', null, '{"k": 1}', null]);
    expect(rows[3]).toEqual(new Array(8).fill(null));
    // Its digits, not the nearest double (9007199254740992): results give ids back as they came.
    expect(rows[5]![7]).toBe('9007199254740993');
  });

  /** The rows of JSON Lines `text` whose first column the scan types mixed (asserted), read from a file. */
  async function mixedColumnRows(text: string) {
    const dir = await mkdtemp(join(tmpdir(), 'jsonl-'));
    try {
      const path = join(dir, 'mixed.jsonl');
      await writeFile(path, text);
      const layout = scan(Buffer.from(text));
      expect(layout.columnTypes[0]).toBe('mixed');
      return (
        await collectRows(readJsonlRows(path, { start: 0, end: layout.bytes, header: layout.header, columnTypes: layout.columnTypes }))
      ).flat();
    } finally {
      await rm(dir, { recursive: true });
    }
  }

  it('gives a big integer in a mixed column (ids that are numbers on some lines, strings on others) as its digits', async () => {
    // JSON.stringify throws on a BigInt: every results download and the summary of such a job answered 500.
    const text = '{"id": 12345678901234567890, "x": 1}\n{"id": "A7", "x": 2}\n{"id": -9223372036854775809, "x": 3}\n';
    const rows = await mixedColumnRows(text);
    expect(rows.map((r) => r[0])).toEqual(['12345678901234567890', '"A7"', '-9223372036854775809']);
  });

  it('gives a negative zero in a mixed column with its sign (JSON.stringify writes it 0)', async () => {
    const text = '{"v": -0.0}\n{"v": "a"}\n{"v": [-1]}\n';
    const rows = await mixedColumnRows(text);
    expect(rows.map((r) => r[0])).toEqual(['-0.0', '"a"', '[-1]']);
  });
});

describe('records that nest deeper than MAX_JSON_DEPTH', () => {
  const flat = '{"x": 1, "meta": "a"}';
  const deep = (levels: number) => `{"x": 2, "meta": ${'['.repeat(levels)}${']'.repeat(levels)}}`;

  it('fail their own row, readable by every reader; the results rows of the others are unchanged', async () => {
    // A value 2,000,000 levels deep in a column the model does not use was scored, then every results download and
    // the summary of its job failed: JSON.stringify recursed past the stack ("Maximum call stack size exceeded").
    const text = `${flat}\n${deep(2_000_000)}\n${deep(MAX_JSON_DEPTH - 1)}\n${flat}\n`;
    const dir = await mkdtemp(join(tmpdir(), 'jsonl-'));
    const path = join(dir, 'deep.jsonl');
    await writeFile(path, text);
    const layout = scan(Buffer.from(text));
    expect(layout.header).toEqual(['x', 'meta']);
    const rows = (
      await collectRows(readJsonlRows(path, { start: 0, end: layout.bytes, header: layout.header, columnTypes: layout.columnTypes }))
    ).flat();
    expect(rows).toHaveLength(4);
    expect(rows[1]).toEqual([null, null]);
    // 64 levels, the record counted, are read as ever.
    expect(rows[2]).toEqual(['2', `${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}`]);
    expect(rows[3]).toEqual(['1', '"a"']);
    const errors = await errorsScoringX(path, layout);
    expect(errors).toEqual([
      {
        row: 1,
        column: null,
        value: expect.stringMatching(/^\{"x": 2, "meta": \[\[\[/),
        message: expect.stringMatching(/more than 64 levels deep/),
      },
    ]);
    await rm(dir, { recursive: true });
  });

  it('refuse the file when the first line is one (too_deep); brackets inside strings do not count', () => {
    const err = scanError(Buffer.from(`${deep(100)}\n${flat}\n`));
    expect(err.code).toBe('too_deep');
    expect(err.message).toMatch(/^line 1: this record nests lists or objects more than 64 levels deep/);
    const quoted = `{"x": 1, "meta": "${'['.repeat(1000)}\\"{{{"}`;
    expect(scan(Buffer.from(`${quoted}\n`)).rows).toBe(1);
  });
});

describe('readRecord', () => {
  it('gives each first-level value with its text as written, and integers beyond 2^53 from their digits', () => {
    const read = readRecord(
      '{"id": 1234567890123456789, "x": 1.0, "inf": 1e400, "n": -9223372036854775808, "s": "a\\"b}", "o": {"k": [1, "]"]} }',
    );
    expect(read).toMatchObject({
      kind: 'record',
      keys: ['id', 'x', 'inf', 'n', 's', 'o'],
      values: [1234567890123456789n, 1, Number.POSITIVE_INFINITY, -9223372036854775808n, 'a"b}', { k: [1, ']'] }],
      texts: ['1234567890123456789', '1.0', '1e400', '-9223372036854775808', '"a\\"b}"', '{"k": [1, "]"]}'],
    });
    // Keys in the order written (Object.keys puts integer-like keys first), escaped keys decoded.
    expect(readRecord('{"b":1,"1":2,"\\u00e9":3}')).toMatchObject({ keys: ['b', '1', 'é'], texts: ['1', '2', '3'] });
    expect(readRecord('{}')).toMatchObject({ kind: 'record', keys: [] });
    expect(readRecord('[1]')).toEqual({ kind: 'other', value: [1] });
  });

  it('names a key given twice (JSON.parse keeps the last silently), escaped spellings included', () => {
    expect(readRecord('{"a": 1, "b": 2, "a": 3}')).toEqual({ kind: 'duplicate', key: 'a' });
    expect(readRecord('{"é": 1, "\\u00e9": 2}')).toEqual({ kind: 'duplicate', key: 'é' });
  });

  it('fails as JSON.parse fails on a broken line', () => {
    expect(() => readRecord('{"id": 1, "x": }')).toThrow(SyntaxError);
  });
});

describe('JSON Lines values as written', () => {
  it('types 1.0 as a fraction (a double column), not an integer', () => {
    const layout = scan(Buffer.from('{"a": 1.0, "b": 1, "c": 2e0}\n{"a": 2.0, "b": 2, "c": 3}\n'));
    expect(layout.columnTypes).toEqual(['double', 'int64', 'double']);
  });

  it('fails a record that names a key twice, naming the key, and reads the others', async () => {
    const text = '{"x": 1, "y": 2}\n{"x": 1, "y": 2, "x": 9}\n{"x": 3, "y": 4}\n';
    const layout = scan(Buffer.from(text));
    expect(layout.invalidRows).toBe(1);
    const dir = await mkdtemp(join(tmpdir(), 'jsonl-'));
    const path = join(dir, 'twice.jsonl');
    await writeFile(path, text);
    const errors = await errorsScoringX(path, layout);
    expect(errors).toEqual([
      { row: 1, column: 'x', value: '{"x": 1, "y": 2, "x": 9}', message: expect.stringMatching(/the key "x" more than once/) },
    ]);
    await rm(dir, { recursive: true });
  });
});

/** The row errors of reading `path` with its first column, `x`, as a float32 model input. */
async function errorsScoringX(path: string, layout: JsonlLayout): Promise<RecordBatch['errors']> {
  const errors: RecordBatch['errors'] = [];
  const opts = { header: layout.header, targets: [{ name: 'x', type: 'float32' as const, columns: [0] }], batchSize: 10 };
  for await (const b of readJsonlBatches(path, { ...opts, start: 0, end: layout.bytes, firstRow: 0 })) errors.push(...b.errors);
  return errors;
}

async function collectRows<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('JSON array to JSON Lines', () => {
  it('turns a pretty-printed array into one element per line, bytes of each element kept', async () => {
    const out = (await collect(Readable.from([await readFile(fixture('records.json'))]).pipe(jsonArrayToJsonl()))).toString();
    const lines = out.split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[5]).toBe('');
    expect(lines[3]).toBe('7');
    // 9007199254740993 is not a double: the digits are copied, never re-printed.
    expect(lines[4]).toMatch(/"big": 9007199254740993/);
    expect(JSON.parse(lines[0]!)).toEqual({ id: 1, x: 1.5, name: 'alpha', ok: true, größe: 180 });
    const layout = scan(Buffer.from(out));
    expect(layout).toMatchObject({ rows: 5, invalidRows: 1, header: ['id', 'x', 'name', 'ok', 'größe', 'tags', 'extra', 'big'] });
  });

  it('gives the same output whatever the pieces', async () => {
    const bytes = await readFile(fixture('records.json'));
    const whole = Buffer.concat(new JsonArraySplitter().push(bytes)).toString();
    for (const size of [1, 3, 10]) {
      const s = new JsonArraySplitter();
      const parts: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) parts.push(...s.push(bytes.subarray(i, i + size)));
      parts.push(...s.finish());
      expect(Buffer.concat(parts).toString()).toBe(whole);
    }
  });

  it('keeps scalars and strings with brackets or line breaks on one line each', () => {
    const s = new JsonArraySplitter();
    const out = Buffer.concat([...s.push(Buffer.from('[ "a]b" , {"t": "x\ny", "n": [1,\n2]}, 3.50 ,null]')), ...s.finish()]).toString();
    expect(out).toBe('"a]b"\n{"t": "x\\ny", "n": [1, 2]}\n3.50\nnull\n');
  });

  it('refuses a malformed or unclosed array, and an empty one', () => {
    const run = (text: string) => {
      const s = new JsonArraySplitter();
      s.push(Buffer.from(text));
      return s.finish();
    };
    expect(() => run('[{"a": 1} {"a": 2}]')).toThrow(/expected "," or "\]" after an element, near byte 10/);
    expect(() => run('[{"a": 1}, {"a": 2}')).toThrow(/the JSON array is not closed/);
    expect(() => run('{"a": 1}')).toThrow(/a JSON array starts with "\["/);
    expect(() => run('[]')).toThrow(/^the JSON array is empty: it holds no records: there is nothing to score\./);
    expect(() => run('[1,,2]')).toThrow(/a value is missing between commas/);
    const big = new JsonArraySplitter({ maxElementBytes: 50 });
    expect(() => big.push(Buffer.from(`[{"a": 1}, {"a": "${'x'.repeat(100)}"}]`))).toThrow(
      /element 2 of the JSON array is larger than 50 bytes/,
    );
  });
});
