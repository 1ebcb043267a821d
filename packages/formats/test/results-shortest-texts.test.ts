import { mkdtemp, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cell, type ResultColumn, type ResultsInput, writeResultsJsonl, writeResultsXlsx } from '../src/index.js';
import { python, sink } from './helpers.js';

/**
 * ShortestTexts: the caller (the typed results' CSV reader) has checked that the text cells of double columns are
 * their number's shortest form, except in the rows it lists as unchecked; the writers then write those texts without
 * checking them again. The bytes must be those written without it, for every kind of value.
 */
const COLUMNS: ResultColumn[] = [
  { name: 'x', type: 'double' },
  { name: 'y', type: 'double' },
  { name: 'n', type: 'int64' },
  { name: 'f', type: 'float' },
  { name: 'label', type: 'string' },
  { name: 'error', type: 'string' },
];

// Checked rows: only shortest texts (or numbers, null) in x and y; anything in the others.
const CHECKED: Cell[][] = [
  ['5', '12.5', '7', '5.1', '0', null],
  ['-0.000001', '123456789012345', 9007199254740993n, 3, '-12.5', null],
  [-0, Number.NaN, '1.0', '5.10', 'abc', null],
  [null, 1e21, '12345678901234567890', Math.fround(5.1), null, null],
  ['0', '99999.9999999999', null, null, '1', null],
];
// Unchecked rows: texts that are no shortest form, in x and y (their rows failed, or are numbers written otherwise).
const UNCHECKED: Cell[][] = [
  ['abc', '-inf', '1', '1', 'x', 'column "x": "abc" is not a number'],
  ['1e400', 'NAN', null, null, null, 'column "x": "1e400" is not a finite number'],
  ['1.50', '-0', null, null, null, null],
  ['12345678901234567890.5', ' 3 ', null, null, null, null],
  ['', '1.2.3', null, null, null, 'bad'],
];

function input(shortest: boolean): ResultsInput {
  const rows = [...CHECKED, ...UNCHECKED].map((r) => [...r]);
  const unchecked = new WeakSet<readonly Cell[]>(rows.slice(CHECKED.length));
  async function* batches(): AsyncGenerator<Cell[][]> {
    yield rows.slice(0, 4);
    yield rows.slice(4);
  }
  return {
    columns: COLUMNS,
    rows: batches(),
    // `f` (float) and `n` (int64) are claimed too: only double columns may be taken at their word.
    ...(shortest ? { shortestTexts: { columns: [true, true, true, true, false, false], unchecked } } : {}),
  };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'formats-shortest-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ShortestTexts', () => {
  it('JSON Lines: the same bytes as checking every text', async () => {
    const [plain, taken] = [sink(), sink()];
    await writeResultsJsonl(plain.stream, input(false));
    await writeResultsJsonl(taken.stream, input(true));
    expect(taken.bytes().toString()).toBe(plain.bytes().toString());
    // What those bytes are: shortest texts as numbers (doubles with `.0`), the unchecked rows' texts as written.
    const lines = plain.bytes().toString().split('\n');
    expect(lines[0]).toBe('{"x":5.0,"y":12.5,"n":7,"f":5.1,"label":"0","error":null}');
    expect(lines[5]).toBe('{"x":"abc","y":"-inf","n":1,"f":1.0,"label":"x","error":"column \\"x\\": \\"abc\\" is not a number"}');
    expect(lines[6]).toMatch(/^\{"x":1e400,"y":"NAN",/);
    expect(lines[7]).toMatch(/^\{"x":1.5,"y":-0.0,/);
  });

  it('.xlsx: the same sheet as checking every text', async () => {
    const sheets: string[] = [];
    for (const shortest of [false, true]) {
      const path = join(dir, `${shortest}.xlsx`);
      const out = createWriteStream(path);
      await writeResultsXlsx(out, input(shortest), { rows: 10 });
      await finished(out);
      sheets.push(python('import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read("xl/worksheets/sheet1.xml").decode())', path));
    }
    expect(sheets[1]).toBe(sheets[0]);
    expect(sheets[0]).toContain('<row r="2"><c r="A2"><v>5</v></c><c r="B2"><v>12.5</v></c>');
    expect(sheets[0]).toContain('<c r="A7" t="inlineStr"><is><t xml:space="preserve">abc</t></is></c>');
  });
});
