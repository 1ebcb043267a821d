import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from './support/csv.js';
import { fileBlob } from './support/http.js';
import { type AcceptedJob, duckdbMakeParquet, openpyxlMake, refusedUpload, resultsJsonl, scored } from './support/formats.js';
import { ADMIN_TOKEN, Platform, repoRoot } from './support/platform.js';

/**
 * Over HTTP on a real platform:
 *
 * - A row with nothing in any column (`,,,,` as Excel writes a formatted empty row, a line of spaces, `{}` or an
 *   object of nulls in JSON Lines, a Parquet row of NULLs, a workbook row of blank text) was scored: a model that
 *   takes missing values (here a HistGradientBoostingClassifier) answered a prediction for a row with no data. It
 *   now fails with its reason, keeping its row number and line; a truly blank line is still no record, and a row
 *   holding anything (an id) is still scored.
 */
let platform: Platform;
/** Chunks of 7 rows read 3 at a time, scored by two threads: empty rows at every boundary. */
let chunked: Platform;
const HGB = { model: 'empty-rows-hgb' };
const REASON_CSV =
  'the row is empty: every column is blank (only delimiters or spaces); there is nothing to score: delete the row, or fill in its values';
const REASON_JSONL =
  'the row is empty: every key is null, empty or missing; there is nothing to score: delete the row, or fill in its values';
const REASON_PARQUET = 'the row is empty: every column is NULL or empty; there is nothing to score: delete the row, or fill in its values';

async function register(platform: Platform, file: Buffer, filename: string, fields: Record<string, string>): Promise<void> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', fileBlob(file), filename);
  const res = await fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status, await res.clone().text()).toBe(201);
}

beforeAll(async () => {
  [platform, chunked] = await Promise.all([
    new Platform({ workers: 1, env: { RATE_LIMIT_JOBS_PER_MINUTE: '0' } }).start(),
    new Platform({ workers: 2, env: { RATE_LIMIT_JOBS_PER_MINUTE: '0', CHUNK_ROWS: '7', BATCH_ROWS: '3' } }).start(),
  ]);
  const hgb = await readFile(path.join(repoRoot, 'test/fixtures/missing-markers/hgb.pkl'));
  await register(platform, hgb, 'hgb.pkl', { name: HGB.model });
  await register(chunked, hgb, 'hgb.pkl', { name: HGB.model });
});
afterAll(async () => {
  await Promise.all([platform?.stop(), chunked?.stop()]);
});

async function errorsCsv(job: AcceptedJob, on = platform): Promise<string[][]> {
  const res = await fetch(on.url(`/api/jobs/${job.id}/errors.csv?token=${encodeURIComponent(job.token)}`));
  expect(res.status).toBe(200);
  return parseCsv((await res.text()).replace(/^\uFEFF/, '').trimEnd());
}

/** Rows 1, 4 and 6 hold values (row 4 only an id); rows 2, 3 and 5 are empty. */
async function expectEmptyRowsFail(job: AcceptedJob, rows: { total: number; processed: number; failed: number }, reason: string) {
  expect(rows).toEqual({ total: 6, processed: 6, failed: 3 });
  const lines = await resultsJsonl(platform, job);
  expect(lines.map((l) => l.error)).toEqual([null, reason, reason, null, reason, null]);
  expect(lines.map((l) => l.prediction === null)).toEqual([false, true, true, false, true, false]);
}

/** JSON rows: 2 and 5 hold no key but null ones, 3 only nulls and blank strings, 4 only an id. */
const OBJECTS = [
  { id: 1, age: 42.3, income: 16960.22, score: 0.8142, color: 'red', shape: 'round' },
  {},
  { id: null, age: null, income: null, score: null, color: '', shape: ' ' },
  { id: 4 },
  { age: null },
  { id: 6, age: 29.3, income: 33548.0, score: 0.5111, color: 'blue', shape: 'square' },
];

describe('a row with nothing in any column fails, saying so', () => {
  it('a CSV: delimiters only, spaces only (too few fields), spaces between delimiters; a blank line is no record', async () => {
    const csv = [
      'id,age,income,score,color,shape',
      '1,42.3,16960.22,0.8142,red,round',
      ',,,,,',
      '   ',
      '4,,,,,',
      '', // a truly blank line: not a record, as pandas skips it
      ' , , , , ,',
      '6,29.3,33548.0,0.5111,blue,square',
      '',
    ].join('\n');
    const { job, done } = await scored(platform, Buffer.from(csv), { fields: HGB, filename: 'blank.csv' });
    await expectEmptyRowsFail(job, done.rows, REASON_CSV);
    // The row numbers count records; the lines are the file's (the header is line 1, the blank line 7 is skipped).
    expect(await errorsCsv(job)).toEqual([
      ['row', 'column', 'value', 'reason', 'line'],
      ['2', '', '', REASON_CSV, '3'],
      ['3', '', '', REASON_CSV, '4'],
      ['5', '', '', REASON_CSV, '7'],
    ]);
  });

  it('JSON Lines: {} and an object of nulls and blank strings fail; one holding only an id is scored', async () => {
    const jsonl = OBJECTS.map((o) => JSON.stringify(o)).join('\n');
    const { job, done } = await scored(platform, Buffer.from(`${jsonl}\n`), { fields: HGB, filename: 'blank.jsonl' });
    await expectEmptyRowsFail(job, done.rows, REASON_JSONL);
    expect((await errorsCsv(job)).slice(1).map((r) => [r[0], r[4]])).toEqual([
      ['2', '2'],
      ['3', '3'],
      ['5', '5'],
    ]);
  });

  it('real time: the same objects fail the same way, the others are scored', async () => {
    const res = await fetch(platform.url(`/api/models/${HGB.model}/predict`), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: OBJECTS }),
    });
    expect(res.status).toBe(200);
    const predictions = (await res.json()).predictions as { prediction: unknown; error?: string }[];
    expect(predictions.map((p) => p.error ?? null)).toEqual([null, REASON_JSONL, REASON_JSONL, null, REASON_JSONL, null]);
    expect(predictions.map((p) => p.prediction === null)).toEqual([false, true, true, false, true, false]);
  });

  it('a JSON array: the same objects fail the same way', async () => {
    const { job, done } = await scored(platform, Buffer.from(JSON.stringify(OBJECTS)), { fields: HGB, filename: 'blank.json' });
    await expectEmptyRowsFail(job, done.rows, REASON_JSONL);
    expect((await errorsCsv(job)).slice(1).map((r) => r[0])).toEqual(['2', '3', '5']);
  });

  it('Parquet: a row of NULLs fails', async () => {
    const file = await duckdbMakeParquet(
      `select * from (values (1, 42.3::double, 16960.22::double, 0.8142::double, 'red', 'round'), (NULL, NULL, NULL, NULL, NULL, NULL), ` +
        `(NULL, NULL, NULL, NULL, '', NULL), (4, NULL, NULL, NULL, NULL, NULL), (NULL, NULL, NULL, NULL, NULL, NULL), ` +
        `(6, 29.3::double, 33548.0::double, 0.5111::double, 'blue', 'square')) t(id, age, income, score, color, shape)`,
    );
    const { job, done } = await scored(platform, file, { fields: HGB, filename: 'blank.parquet' });
    await expectEmptyRowsFail(job, done.rows, REASON_PARQUET);
  });

  it('a workbook: a row of blank text fails, with its sheet row; a row without values is skipped, as before', async () => {
    const rows: unknown[][] = [
      ['id', 'age', 'income', 'score', 'color', 'shape'],
      [1, 42.3, 16960.22, 0.8142, 'red', 'round'],
      [' ', ' ', null, null, null, null],
      ['', '  ', ' ', ' ', ' ', ' '],
      [4, null, null, null, null, null],
      [null, null, null, null, null, null], // no value at all: skipped, not a record (sheet row 6)
      [null, ' ', null, null, null, null],
      [6, 29.3, 33548.0, 0.5111, 'blue', 'square'],
    ];
    const { job, done } = await scored(platform, await openpyxlMake(rows), { fields: HGB, filename: 'blank.xlsx' });
    await expectEmptyRowsFail(job, done.rows, REASON_CSV);
    expect((await errorsCsv(job)).map((r) => [r[0], r[4]])).toEqual([
      ['row', 'sheet_row'],
      ['2', '3'],
      ['3', '4'],
      ['5', '7'],
    ]);
  });
});

describe('empty rows keep their place when the file is cut into chunks and batches', () => {
  it('a CSV of 40 rows, empty ones first, last and at chunk and batch edges: the same results as in one chunk', async () => {
    const empty = new Set([1, 7, 8, 14, 15, 22, 40]);
    const lines = ['id,age,income,score,color,shape'];
    for (let r = 1; r <= 40; r++) {
      lines.push(empty.has(r) ? (r % 2 ? ',,,,,' : ' ') : `${r},${20 + r},${1000 * r},0.${r},${r % 3 ? 'red' : 'blue'},round`);
      if (r === 30) lines.push(''); // a blank line: no record
    }
    // No line break after the last row (spaces only): its line, and those of the chunk's other failed rows, were lost.
    const csv = Buffer.from(lines.join('\n'));
    const one = await scored(platform, csv, { fields: HGB, filename: 'blank.csv' });
    const many = await scored(chunked, csv, { fields: HGB, filename: 'blank.csv' });
    for (const { done } of [one, many]) expect(done.rows).toEqual({ total: 40, processed: 40, failed: 7 });
    const a = await resultsJsonl(platform, one.job);
    const b = await resultsJsonl(chunked, many.job);
    expect(b).toEqual(a);
    expect(a.flatMap((l, i) => (l.error === null ? [] : [[i + 1, l.error]]))).toEqual([...empty].map((r) => [r, REASON_CSV]));
    expect(a.filter((l) => l.error === null).map((l) => l.id)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1).filter((r) => !empty.has(r)),
    );
    const errors = await errorsCsv(many.job, chunked);
    expect(errors).toEqual(await errorsCsv(one.job));
    // Lines: the header is line 1, and the blank line after row 30 moves the last rows one line down.
    expect(errors.slice(1).map((r) => [r[0], r[4]])).toEqual([...empty].map((r) => [String(r), String(r > 30 ? r + 2 : r + 1)]));
  });
});

describe('a file none of whose first rows holds a value for the model is refused before anything is queued', () => {
  // Were accepted (202), queued, and failed row by row: a 266 KB gzip of 10M lines of `,,,,` kept both cores busy
  // writing millions of failed rows. A file whose first rows are text where numbers belong was already refused so.
  it('empty rows (CSV, JSON Lines), and rows whose only values are in columns the model does not read', async () => {
    const lines = (n: number, row: string) => Array.from({ length: n }, () => row).join('\n');
    const emptyCsv = await refusedUpload(
      platform,
      Buffer.from(`id,age,income,score,color,shape\n${lines(300, ',,,,,')}\n`),
      { fields: HGB, filename: 'empty.csv' },
      422,
      'invalid_rows',
    );
    expect(emptyCsv.message).toBe(
      `None of the first 200 rows can be scored. row 1 (line 2 of the file), row 2 (line 3 of the file), row 3 (line 4 of the file): ${REASON_CSV}. Check that this is the right file for the model.`,
    );
    expect((emptyCsv.errors as unknown[]).length).toBe(10);
    const nullJsonl = await refusedUpload(
      platform,
      Buffer.from(`${lines(50, '{"id": null, "age": null, "income": null, "score": null, "color": null, "shape": null}')}\n`),
      { fields: HGB, filename: 'nulls.jsonl' },
      422,
      'invalid_rows',
    );
    expect(nullJsonl.message).toContain(`row 3 (line 3 of the file): ${REASON_JSONL}`);
    // Only the id (not a model column) holds values: nothing for the model to score, though this model takes
    // missing values (it would answer one constant prediction per row).
    const idsOnly = await refusedUpload(
      platform,
      Buffer.from(`id,age,income,score,color,shape\n${Array.from({ length: 20 }, (_, i) => `${i + 1},NA,,NA,,`).join('\n')}\n`),
      { fields: HGB, filename: 'ids.csv' },
      422,
      'invalid_rows',
    );
    expect(idsOnly.message).toMatch(
      /^None of the first 20 rows can be scored\. row 1 \(line 2 of the file\), row 2 \(line 3 of the file\), row 3 \(line 4 of the file\): none of the model's columns has a value in this row \(each is empty or a missing-value marker such as NA\): there is nothing to score\. Check that/,
    );
    // One row with a value among them: scored, the others failing one by one as before.
    const mixed = Buffer.from(`id,age,income,score,color,shape\n${lines(5, ',,,,,')}\n6,29.3,33548.0,0.5111,blue,square\n`);
    const { done } = await scored(platform, mixed, { fields: HGB, filename: 'mixed.csv' });
    expect(done.rows).toEqual({ total: 6, processed: 6, failed: 5 });
  });
});
