import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  detectFormat,
  FormatError,
  JsonArraySplitter,
  JsonlScanner,
  PandasColumnsReader,
  PandasIndexSplitter,
  PandasSplitSplitter,
  PandasTableSplitter,
} from '../src/index.js';

/** The fixtures pandas wrote (test/fixtures/formats/make_layouts.py). */
const fixtures = path.resolve(import.meta.dirname, '../../../test/fixtures/formats');

describe("pandas' to_json(orient='table')", () => {
  it('is detected from its first bytes, and its rows under "data" come out as JSON Lines however the bytes are cut', async () => {
    const file = await readFile(path.join(fixtures, 'iris-table.json'));
    expect(detectFormat(file.subarray(0, 4096))).toMatchObject({ format: 'json', supported: true, layout: 'table' });
    const data = (JSON.parse(file.toString('utf8')) as { data: unknown[] }).data;
    for (const size of [1, 7, 64, file.length]) {
      const splitter = new PandasTableSplitter();
      const out: Buffer[] = [];
      for (let i = 0; i < file.length; i += size) out.push(...splitter.push(file.subarray(i, i + size)));
      out.push(...splitter.finish());
      const lines = Buffer.concat(out).toString('utf8').trimEnd().split('\n');
      expect(lines[4], 'bytes as written').toContain('"sepal_length":5.0,');
      expect(
        lines.map((l) => JSON.parse(l)),
        `pieces of ${size}`,
      ).toEqual(data);
      expect(splitter.info()).toEqual({ index: ['index'] });
    }
  });

  it('a file with a schema but no "data" array is refused saying what pandas writes', () => {
    const splitter = new PandasTableSplitter();
    splitter.push(Buffer.from('{"schema":{"fields":[]},"rows":[{"a":1}]}'));
    expect(() => splitter.finish()).toThrow(/no array of records under a top-level "data" key/);
  });
});

/** What a splitter makes of `file` handed to it in pieces of `size` bytes: the records of its JSON Lines. */
function linesOf(file: Buffer, size: number, layout: 'split' | 'index' | 'columns', maxBytes?: number): Record<string, unknown>[] {
  const out: Buffer[] = [];
  if (layout === 'columns') {
    const reader = new PandasColumnsReader(maxBytes);
    for (let i = 0; i < file.length; i += size) reader.push(file.subarray(i, i + size));
    out.push(...reader.rows());
  } else {
    const splitter = layout === 'split' ? new PandasSplitSplitter() : new PandasIndexSplitter();
    for (let i = 0; i < file.length; i += size) out.push(...splitter.push(file.subarray(i, i + size)));
    out.push(...splitter.finish());
  }
  const text = Buffer.concat(out).toString('utf8');
  expect(text.endsWith('\n'), 'every record ends its line').toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("pandas' to_json() layouts holding the frame in one object: 'split', 'index' and 'columns' (the default)", () => {
  /** The 12 rows as orient='table' has them: the index first, as "index", then the columns. */
  async function tableRows(): Promise<Record<string, unknown>[]> {
    return (JSON.parse(await readFile(path.join(fixtures, 'iris-table.json'), 'utf8')) as { data: Record<string, unknown>[] }).data;
  }

  it.each([
    ['split', 'iris-split.json'],
    ['index', 'iris-index.json'],
    ['columns', 'iris-columns.json'],
    ['columns', 'iris-columns-indent.json'],
  ] as const)(
    '%s (%s): detected from its first bytes, and its rows are the records orient=table has, however the bytes are cut',
    async (layout, name) => {
      const file = await readFile(path.join(fixtures, name));
      expect(detectFormat(file.subarray(0, 4096))).toMatchObject({ format: 'json', supported: true, layout });
      const rows = await tableRows();
      for (const size of [1, 7, 64, file.length]) expect(linesOf(file, size, layout), `pieces of ${size}`).toEqual(rows);
    },
  );

  it('values keep the bytes pandas wrote (5.0 stays 5.0, not 5)', async () => {
    for (const [layout, name] of [
      ['split', 'iris-split.json'],
      ['index', 'iris-index.json'],
      ['columns', 'iris-columns.json'],
    ] as const) {
      const out: Buffer[] = [];
      const file = await readFile(path.join(fixtures, name));
      if (layout === 'columns') {
        const reader = new PandasColumnsReader();
        reader.push(file);
        out.push(...reader.rows());
      } else {
        const s = layout === 'split' ? new PandasSplitSplitter() : new PandasIndexSplitter();
        out.push(...s.push(file), ...s.finish());
      }
      expect(Buffer.concat(out).toString('utf8').split('\n')[4], layout).toBe(
        '{"index":4,"sepal_length":5.0,"sepal_width":3.6,"petal_length":1.4,"petal_width":0.2,"species":"setosa"}',
      );
    }
  });

  it("split without an index (index=False) has no index column; an integer index's labels are numbers; a column called index moves it to level_0", async () => {
    const rows = await tableRows();
    const noIndex = linesOf(await readFile(path.join(fixtures, 'iris-split-noindex.json')), 5, 'split');
    expect(noIndex).toEqual(rows.map(({ index: _, ...rest }) => rest));
    const ids = linesOf(await readFile(path.join(fixtures, 'iris-columns-ids.json')), 5, 'columns');
    expect(ids.map((r) => r.index)).toEqual(Array.from({ length: 12 }, (_, i) => 1001 + i));
    const named = await readFile(path.join(fixtures, 'iris-index-named.json'));
    expect(detectFormat(named.subarray(0, 4096)).layout).toBe('index');
    const withIndex = linesOf(named, 5, 'index');
    expect(withIndex[2]).toMatchObject({ level_0: 2, index: 'plant 3', species: 'setosa' });
    expect(Object.keys(withIndex[2]!)[0]).toBe('level_0');
  });

  it("a text index cannot tell 'columns' from 'index': the file goes the JSON Lines way, which refuses it naming both", async () => {
    const file = await readFile(path.join(fixtures, 'iris-columns-names.json'));
    expect(detectFormat(file.subarray(0, 4096))).toMatchObject({ format: 'jsonl' });
    const scanner = new JsonlScanner({ chunkRows: 100 });
    scanner.push(file);
    expect(() => scanner.finish()).toThrow(/orient='columns' \(the default: one object per column, keyed by row index\) or orient='index'/);
  });

  it('a JSON Lines file whose records look like a layout stays JSON Lines (its first record ends, another follows)', () => {
    for (const text of [
      '{"a":{"0":1}}\n{"a":{"0":2}}\n',
      '{"0":{"a":1}}\n{"1":{"a":2}}\n',
      '{"columns":[1],"data":[[1]]}\n{"columns":[2]}\n',
    ]) {
      expect(detectFormat(Buffer.from(text)), text).toMatchObject({ format: 'jsonl' });
    }
  });

  it.each([
    [
      'split',
      '{"columns":["a","b"],"index":[0,1],"data":[[1,2],[3]]}',
      /^the file is pandas' to_json\(orient='split'\) JSON, but row 2 under "data" has 1 values where "columns" names 2$/,
    ],
    ['split', '{"index":[0],"data":[[1,2]]}', /it has no "columns" \(the names of the values in each row under "data"\)/],
    ['split', '{"columns":["a"],"index":[0,1,2],"data":[[1],[2]]}', /JSON, but "index" holds 3 row labels and "data" 2 rows$/],
    // A key of the layout twice: pandas reads the last, a hand edit more likely meant the first; neither is guessed.
    [
      'split',
      '{"columns":["a"],"index":[10],"data":[[1]],"index":[0]}',
      /JSON, but its "index" is given twice; write each of "columns", "index" and "data" once$/,
    ],
    ['split', '{"columns":["a"],"data":[[1]],"data":[[2]]}', /JSON, but its "data" is given twice/],
    ['split', '{"columns":["a"],"index":[0],"data":[[1],[2]]}', /"index" holds 1 row labels, fewer than the rows under "data"/],
    ['split', '{"columns":["a"],"index":[0]}', /it has no "data" \(the rows, as lists of values\)/],
    ['split', '{"columns":["a"],"data":[[1],{"a":2}]}', /row 2 under "data" is not a list of values/],
    [
      'index',
      '{"0":{"a":1},"1":[2]}',
      /^the file is pandas' to_json\(orient='index'\) JSON, but the value of row "1" is not an object naming its columns$/,
    ],
    ['index', '{"0":{"a":1}', /the file ends before its JSON object is closed/],
    ['index', '{"0":{"a":1}} {"1":{"a":2}}', /nothing may follow the closing "}": the file holds one JSON object/],
    ['columns', '{"a":{"0":1,"1":2},"b":{"0":3,"7":4}}', /column 2 \("b"\) has a value for row "7", which the first column does not have/],
    ['columns', '{"a":{"0":1},"b":5}', /the value of column "b" is not an object of values keyed by row label/],
  ] as const)('%s refused, saying where: %s', (layout, text, message) => {
    const err = (() => {
      try {
        linesOf(Buffer.from(text), 3, layout);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(FormatError);
    expect((err as Error).message).toMatch(message);
  });

  describe("'split' with its keys in another order than pandas' (columns, index, data)", () => {
    /** pandas' split file with its members rewritten in `order`, each member's bytes as pandas wrote them. */
    async function reordered(name: string, order: string[]): Promise<Buffer> {
      const text = await readFile(path.join(fixtures, name), 'utf8');
      const members = new Map<string, string>();
      for (const key of ['columns', 'index', 'data']) {
        const at = text.indexOf(`"${key}":`);
        if (at === -1) continue;
        const from = at + key.length + 3;
        const open = text[from] === '[' ? 1 : 0;
        let depth = 0;
        let to = from;
        for (; to < text.length; to++) {
          if (text[to] === '[') depth++;
          else if (text[to] === ']' && --depth === 0) break;
        }
        expect(open).toBe(1);
        members.set(key, text.slice(from, to + 1));
      }
      return Buffer.from(
        `{${order
          .filter((k) => members.has(k))
          .map((k) => `"${k}":${members.get(k)!}`)
          .join(',')}}`,
      );
    }

    /** The JSON Lines a splitter makes of `file` in pieces of `size` bytes. */
    function jsonl(file: Buffer, size: number, maxHeldBytes?: number): { text: string; index: string | null } {
      const splitter = new PandasSplitSplitter(maxHeldBytes === undefined ? {} : { maxHeldBytes });
      const out: Buffer[] = [];
      for (let i = 0; i < file.length; i += size) out.push(...splitter.push(file.subarray(i, i + size)));
      out.push(...splitter.finish());
      return { text: Buffer.concat(out).toString('utf8'), index: splitter.indexColumn() };
    }

    it.each([
      ['columns', 'data', 'index'],
      ['data', 'columns', 'index'],
      ['data', 'index', 'columns'],
      ['index', 'data', 'columns'],
      ['index', 'columns', 'data'],
    ])("%s, %s, %s: detected, and the same JSON Lines byte for byte as pandas' order, however the bytes are cut", async (...order) => {
      const pandas = await readFile(path.join(fixtures, 'iris-split.json'));
      const expected = jsonl(pandas, pandas.length);
      expect(expected.text.split('\n')[4]).toBe(
        '{"index":4,"sepal_length":5.0,"sepal_width":3.6,"petal_length":1.4,"petal_width":0.2,"species":"setosa"}',
      );
      const file = await reordered('iris-split.json', order);
      expect(detectFormat(file.subarray(0, 4096))).toMatchObject({ format: 'json', supported: true, layout: 'split' });
      for (const size of [1, 7, 64, file.length]) expect(jsonl(file, size), `pieces of ${size}`).toEqual(expected);
    });

    it('without an index (index=False), "data" before "columns" gives the same rows, without an index column', async () => {
      const pandas = await readFile(path.join(fixtures, 'iris-split-noindex.json'));
      const file = await reordered('iris-split-noindex.json', ['data', 'columns']);
      expect(detectFormat(file.subarray(0, 4096)).layout).toBe('split');
      expect(jsonl(file, 5)).toEqual({ ...jsonl(pandas, 5), index: null });
    });

    it('rows waiting for "columns" are held up to the limit; a bigger file is refused, saying to write the keys in pandas\' order', async () => {
      const file = await reordered('iris-split.json', ['data', 'columns', 'index']);
      expect(jsonl(file, 50, file.length).text.split('\n')).toHaveLength(13);
      expect(() => jsonl(file, 50, 200)).toThrow(
        /^the file is pandas' to_json\(orient='split'\) JSON, but "data" comes before "columns", which names its values, and batchcast holds the rows waiting for their names only up to 200 bytes; this file has more: write its keys in the order pandas' df\.to_json\(orient='split'\) writes them, "columns", "index", then "data"/,
      );
    });

    it('rows waiting for an "index" past the limit are written without one: an "index" after them refuses the file, none is read as index=False', async () => {
      const late = await reordered('iris-split.json', ['columns', 'data', 'index']);
      expect(() => jsonl(late, 50, 200)).toThrow(
        /but its "index" comes after "data", and batchcast holds the rows waiting for their labels only up to 200 bytes; this file has more: write its keys in the order pandas' .*, or write it without the index \(index=False\)$/,
      );
      const noIndex = await readFile(path.join(fixtures, 'iris-split-noindex.json'));
      expect(jsonl(noIndex, 50, 200)).toEqual(jsonl(noIndex, noIndex.length));
    });
  });

  it("'columns' with a column's labels in another order, or some missing, lines each value up with its row", () => {
    const rows = linesOf(Buffer.from('{"a":{"0":1,"1":2,"2":3},"b":{"2":30,"0":10}}'), 4, 'columns');
    expect(rows).toEqual([
      { index: 0, a: 1, b: 10 },
      { index: 1, a: 2 },
      { index: 2, a: 3, b: 30 },
    ]);
  });

  it("'columns' is held whole to be read (no row is complete before its last column): a bigger file is refused, saying what to write", async () => {
    const file = await readFile(path.join(fixtures, 'iris-columns.json'));
    expect(() => linesOf(file, 100, 'columns', 500)).toThrow(
      /holds each column whole before the next, so batchcast holds it whole to read its rows, up to 500 bytes; this one is larger: write it a row per line with df\.to_json\('f\.jsonl', orient='records', lines=True\)/,
    );
    expect(linesOf(file, 100, 'columns', file.length)).toHaveLength(12);
  });
});

describe("pandas' other to_json() layouts, when not recognised from their first bytes, are refused by the JSON Lines scan, naming the layout", () => {
  it.each([
    ['columns', /^this is pandas' to_json\(\) default layout \(orient='columns'/],
    ['index', /^this is pandas' to_json\(orient='index'\) layout/],
    ['split', /^this is pandas' to_json\(orient='split'\) layout/],
    ['table', /^this is pandas' to_json\(orient='table'\) layout/],
  ])('%s', async (orient, message) => {
    const scanner = new JsonlScanner({ chunkRows: 100 });
    scanner.push(await readFile(path.join(fixtures, `iris-${orient}.json`)));
    expect(() => scanner.finish()).toThrow(message);
  });

  it("orient='values' (a JSON array of arrays) is refused by the array's split, naming it", async () => {
    const splitter = new JsonArraySplitter();
    expect(() => splitter.push(Buffer.from('[[5.1,3.5,"setosa"],'))).toThrow(
      /^the JSON array's elements are arrays of values without column names, as pandas' to_json\(orient='values'\)/,
    );
  });

  it('a JSON Lines file of several such lines is not refused as a layout (each line is a record)', () => {
    const scanner = new JsonlScanner({ chunkRows: 100 });
    scanner.push(Buffer.from('{"a":{"0":1}}\n{"a":{"0":2}}\n'));
    expect(scanner.finish().rows).toBe(2);
  });
});
