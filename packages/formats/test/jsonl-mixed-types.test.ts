import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  type Cell,
  JsonlScanner,
  type ResultColumn,
  readJsonlRows,
  writeResultsJsonl,
  writeResultsParquet,
  writeResultsXlsx,
} from '@batchcast/formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { python, sink } from './helpers.js';

/**
 * JSON Lines whose values change kind partway down a column (numbers, then text): the column is `mixed`, and each
 * results format shows each value as what it is. It was `json`: the CSV and .xlsx downloads showed text with its
 * JSON quotes (`"A197"`), .xlsx numbers and booleans as text, and Parquet typed the column JSON.
 */
let dir: string;
let path: string;
let columns: ResultColumn[];
let rows: Cell[][];
const N = 200;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'formats-mixed-'));
  path = join(dir, 'late.jsonl');
  // Written by Python's json: in the last three records `code` turns from numbers to text (one of them digits),
  // `obj` from text to objects and `flag` from booleans to numbers; `tags` holds arrays only.
  python(
    `import sys, json
n = int(sys.argv[2])
with open(sys.argv[1], 'w') as f:
    for i in range(n):
        late = i >= n - 3
        code = ['A%d' % i, '007', 'say "hi"'][i - (n - 3)] if late else i
        obj = {'x': i} if late else 'plain'
        flag = 1.5 if late else i % 2 == 0
        f.write(json.dumps({'id': i, 'code': code, 'obj': obj, 'flag': flag, 'tags': [i, 'a']}) + '\\n')`,
    path,
    String(N),
  );
  const scanner = new JsonlScanner({ chunkRows: 1000 });
  const bytes = await readFile(path);
  scanner.push(bytes);
  const layout = scanner.finish();
  columns = layout.header.map((name, i) => ({ name, type: layout.columnTypes[i]! }));
  rows = [];
  for await (const block of readJsonlRows(path, { start: 0, end: layout.bytes, header: layout.header, columnTypes: layout.columnTypes })) {
    rows.push(...block);
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function* batches(): AsyncGenerator<Cell[][]> {
  yield rows;
}

describe('a JSON Lines column whose values change kind late in the file', () => {
  it('is typed mixed; a column of arrays only stays json', () => {
    expect(columns).toEqual([
      { name: 'id', type: 'int64' },
      { name: 'code', type: 'mixed' },
      { name: 'obj', type: 'mixed' },
      { name: 'flag', type: 'mixed' },
      { name: 'tags', type: 'json' },
    ]);
  });

  it('results.xlsx: text as text cells without quotes, numbers as numbers, booleans as booleans, objects as JSON', async () => {
    const file = join(dir, 'results.xlsx');
    await writeResultsXlsx(createWriteStream(file), { columns, rows: batches() }, { rows: N });
    const out = JSON.parse(
      python(
        `import sys, json, openpyxl
rows = list(openpyxl.load_workbook(sys.argv[1]).active.iter_rows(values_only=True))
print(json.dumps([[[v, type(v).__name__] for v in r] for r in rows[1:]]))`,
        file,
      ),
    ) as [unknown, string][][];
    expect(out[0]).toEqual([
      [0, 'int'],
      [0, 'int'],
      ['plain', 'str'],
      [true, 'bool'],
      ['[0, "a"]', 'str'],
    ]);
    expect(out.slice(-3).map((r) => r.slice(1, 4))).toEqual([
      [
        ['A197', 'str'],
        ['{"x": 197}', 'str'],
        [1.5, 'float'],
      ],
      [
        ['007', 'str'],
        ['{"x": 198}', 'str'],
        [1.5, 'float'],
      ],
      [
        ['say "hi"', 'str'],
        ['{"x": 199}', 'str'],
        [1.5, 'float'],
      ],
    ]);
  });

  it('results.parquet: a text column (DuckDB reads VARCHAR), strings without quotes, JSON only for objects and arrays', async () => {
    const file = join(dir, 'results.parquet');
    await writeResultsParquet(createWriteStream(file), { columns, rows: batches() });
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    const types = (await c.runAndReadAll(`select column_name, column_type from (describe select * from '${file}')`)).getRowObjectsJson();
    expect(types.map((t) => `${t.column_name}:${t.column_type}`)).toEqual([
      'id:BIGINT',
      'code:VARCHAR',
      'obj:VARCHAR',
      'flag:VARCHAR',
      'tags:JSON',
    ]);
    const out = (await c.runAndReadAll(`select code, obj, flag from '${file}'`)).getRowObjectsJson();
    expect(out[0]).toEqual({ code: '0', obj: 'plain', flag: 'true' });
    expect(out.slice(-3)).toEqual([
      { code: 'A197', obj: '{"x": 197}', flag: '1.5' },
      { code: '007', obj: '{"x": 198}', flag: '1.5' },
      { code: 'say "hi"', obj: '{"x": 199}', flag: '1.5' },
    ]);
  });

  it('results.jsonl: every value as it was written', async () => {
    const out = sink();
    await writeResultsJsonl(out.stream, { columns, rows: batches() });
    const written = out
      .bytes()
      .toString()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    const input = (await readFile(path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(written).toEqual(input);
  });
});
