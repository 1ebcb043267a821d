import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFormat, JsonArraySplitter, JsonlScanner, PandasTableSplitter } from '../src/index.js';

/** The fixtures pandas wrote (test/fixtures/formats/make_layouts.py). */
const fixtures = path.resolve(import.meta.dirname, '../../../test/fixtures/formats');

describe("pandas' to_json(orient='table')", () => {
  it('is detected from its first bytes, and its rows under "data" come out as JSON Lines however the bytes are cut', async () => {
    const file = await readFile(path.join(fixtures, 'iris-table.json'));
    expect(detectFormat(file.subarray(0, 4096))).toMatchObject({ format: 'json', supported: true, layout: 'pandas-table' });
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

describe("pandas' other to_json() layouts are refused by the JSON Lines scan, naming the layout", () => {
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
