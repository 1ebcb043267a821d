import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvScanner } from '@batchcast/csv';
import { detectFormat, FormatError, JsonArraySplitter, PandasValuesSplitter } from '../src/index.js';

/** The fixtures pandas wrote (test/fixtures/formats/make_layouts.py). */
const fixtures = path.resolve(import.meta.dirname, '../../../test/fixtures/formats');

/** The CSV a splitter makes of `file` handed to it in pieces of `size` bytes. */
function csvOf(file: Buffer, size: number): string {
  const splitter = new PandasValuesSplitter();
  const out: Buffer[] = [];
  for (let i = 0; i < file.length; i += size) out.push(...splitter.push(file.subarray(i, i + size)));
  out.push(...splitter.finish());
  return Buffer.concat(out).toString('utf8');
}

describe("pandas' to_json(orient='values'): a list of lists, read as the header-less CSV of the same rows", () => {
  it('is told from its first bytes, and each list is a line of the CSV pandas writes with header=False, however the bytes are cut', async () => {
    const file = await readFile(path.join(fixtures, 'iris-values.json'));
    expect(detectFormat(file.subarray(0, 4096))).toMatchObject({ format: 'json', supported: true, listRows: true });
    // What pandas itself writes of the same rows without a header: the file to be read the same way.
    const made = spawnSync(
      '/usr/bin/python3',
      ['-c', "import pandas as pd, sys; pd.read_csv('examples/data/iris.csv').head(12).to_csv(sys.stdout, header=False, index=False)"],
      { cwd: path.resolve(fixtures, '../../..'), encoding: 'utf8' },
    );
    expect(made.status, made.stderr).toBe(0);
    for (const size of [1, 7, 64, file.length]) expect(csvOf(file, size), `pieces of ${size}`).toBe(made.stdout);
  });

  it('a string is its text, quoted where CSV needs it; null is the empty cell; a nested value its JSON text; numbers as written', () => {
    const file = Buffer.from(
      '[[1.0, "a,b", null, "say \\"hi\\"", [1, 2], true, " x", "\\u00e9", 1e400],\n [2, "", {"k":\n 1}, "", [], false, "x", "y", -0.0]]',
    );
    expect(csvOf(file, 3)).toBe('1.0,"a,b",,"say ""hi""","[1, 2]",true," x",é,1e400\n2,,"{""k"":  1}",,"[]",false,x,y,-0.0\n');
  });

  it('a list of another length is written as it is, so that the CSV reader fails its row only; the header-less scan names the columns by position', () => {
    const text = csvOf(Buffer.from('[[5.1,3.5,1.4,0.2],[4.9,3.0,1.4],[4.7,3.2,1.3,0.2,"extra"],[4.6,3.1,1.5,0.2]]'), 5);
    expect(text).toBe('5.1,3.5,1.4,0.2\n4.9,3.0,1.4\n4.7,3.2,1.3,0.2,extra\n4.6,3.1,1.5,0.2\n');
    const scanner = new CsvScanner({ chunkRows: 100, dialect: { delimiter: ',', decimal: '.' }, headerless: true });
    scanner.push(Buffer.from(text));
    const layout = scanner.finish();
    expect(layout.header).toEqual(['column_1', 'column_2', 'column_3', 'column_4']);
    expect(layout.rows).toBe(4);
  });

  it('no row becomes a blank line (which the CSV reader skips): an empty list is `[]`, a lone null or empty string `""`', () => {
    expect(csvOf(Buffer.from('[[1,2],[],[null],[""],[[]],[3,4]]'), 3)).toBe('1,2\n[]\n""\n""\n"[]"\n3,4\n');
  });

  it('an element that is not a list refuses the file, naming it', () => {
    expect(() => csvOf(Buffer.from('[[1,2],{"a":1}]'), 4)).toThrow(
      /^the file is pandas' to_json\(orient='values'\) JSON \(a list of lists\), but element 2 of the array is not a list of values/,
    );
  });

  it('without header=none it is refused, the message saying that header=none reads it', () => {
    const splitter = new JsonArraySplitter();
    let err: unknown = null;
    try {
      splitter.push(Buffer.from('[[5.1,3.5,"setosa"],'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).code).toBe('json_layout');
    expect((err as Error).message).toContain(
      'upload it with "The file has no header row" (header=none in the API, --no-header in the CLI)',
    );
  });
});
