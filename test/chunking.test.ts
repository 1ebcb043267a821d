import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvObjects, parseCsv } from './support/csv.js';
import { submit, waitForEnd } from './support/http.js';
import { examples, Platform } from './support/platform.js';

/**
 * Chunking must not change results: the same file scored as one chunk and as many chunks of a few rows
 * gives byte-identical results CSVs, including quoted fields with newlines that straddle chunk boundaries,
 * CRLF line endings, a byte order mark and rows that fail.
 */
let single: Platform;
let many: Platform;

beforeAll(async () => {
  [single, many] = await Promise.all([
    new Platform({ workers: 1, env: { CHUNK_ROWS: '1000000' } }).start(),
    new Platform({ workers: 2, env: { CHUNK_ROWS: '7', BATCH_ROWS: '3' } }).start(),
  ]);
});
afterAll(async () => {
  await Promise.all([single?.stop(), many?.stop()]);
});

async function irisWithNotes(newline: string, bom: boolean): Promise<Buffer> {
  const [header, ...rows] = parseCsv((await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd());
  const notes = ['plain', '"two\nlines, and a comma"', '"she said ""hi"""', '"three\r\nlines\nhere"', '=SUM(A1:A2)', '"ünïcödé ✓"', ''];
  const lines = [['id', 'note', ...header!].join(',')];
  rows.forEach((r, i) => {
    const cells = [...r];
    if (i === 40) cells[1] = 'not-a-number'; // one row fails, in the middle of a chunk
    lines.push([`r${i}`, notes[i % notes.length], ...cells].join(','));
  });
  return Buffer.from((bom ? '\ufeff' : '') + lines.join(newline) + newline);
}

async function score(p: Platform, file: Buffer): Promise<{ text: string; rows: { total: number; processed: number; failed: number } }> {
  const job = await (await submit(p, file, { model: 'iris-logreg', filename: 'notes.csv' })).json();
  const done = await waitForEnd(p, job.links.self);
  expect(done.status).toBe('succeeded');
  // Decode by hand: Response.text() would drop a byte order mark, which is part of what we check.
  const bytes = await (await fetch(p.url(job.links.results))).arrayBuffer();
  return { text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes), rows: done.rows };
}

describe.each([
  { name: 'LF', newline: '\n', bom: false },
  { name: 'CRLF with BOM', newline: '\r\n', bom: true },
])('$name', ({ newline, bom }) => {
  it('one chunk and chunks of 7 rows give byte-identical results', async () => {
    const file = await irisWithNotes(newline, bom);
    const [a, b] = await Promise.all([score(single, file), score(many, file)]);
    expect(a.rows).toEqual({ total: 150, processed: 150, failed: 1 });
    expect(b.rows).toEqual(a.rows);
    expect(b.text).toBe(a.text);

    const out = csvObjects(a.text);
    expect(out.rows).toHaveLength(150);
    expect(out.rows[1]!.note).toBe('two\nlines, and a comma');
    expect(out.rows[2]!.note).toBe('she said "hi"');
    expect(out.rows[4]!.note).toBe("'=SUM(A1:A2)"); // neutralised for spreadsheets
    expect(out.rows[40]!.error).toMatch(/sepal_width.*not-a-number/);
    expect(out.rows[41]!.prediction).toBe('setosa');
    expect(a.text.startsWith('\ufeff')).toBe(bom);
    expect(a.text.split('\n')[0]!.endsWith('\r')).toBe(newline === '\r\n');
  });
});
