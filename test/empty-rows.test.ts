import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from './support/csv.js';
import { fileBlob } from './support/http.js';
import { type AcceptedJob, duckdbMakeParquet, openpyxlMake, resultsJsonl, scored } from './support/formats.js';
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
const HGB = { model: 'empty-rows-hgb' };
const REASON_CSV =
  'the row is empty: every column is blank (only delimiters or spaces); there is nothing to score: delete the row, or fill in its values';
const REASON_JSONL =
  'the row is empty: every key is null, empty or missing; there is nothing to score: delete the row, or fill in its values';
const REASON_PARQUET = 'the row is empty: every column is NULL or empty; there is nothing to score: delete the row, or fill in its values';

async function register(file: Buffer, filename: string, fields: Record<string, string>): Promise<void> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', fileBlob(file), filename);
  const res = await fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status, await res.clone().text()).toBe(201);
}

beforeAll(async () => {
  platform = await new Platform({ workers: 1, env: { RATE_LIMIT_JOBS_PER_MINUTE: '0' } }).start();
  await register(await readFile(path.join(repoRoot, 'test/fixtures/missing-markers/hgb.pkl')), 'hgb.pkl', { name: HGB.model });
});
afterAll(async () => {
  await platform?.stop();
});

async function errorsCsv(job: AcceptedJob): Promise<string[][]> {
  const res = await fetch(platform.url(`/api/jobs/${job.id}/errors.csv?token=${encodeURIComponent(job.token)}`));
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
    const jsonl = [
      { id: 1, age: 42.3, income: 16960.22, score: 0.8142, color: 'red', shape: 'round' },
      {},
      { id: null, age: null, income: null, score: null, color: '', shape: ' ' },
      { id: 4 },
      { age: null },
      { id: 6, age: 29.3, income: 33548.0, score: 0.5111, color: 'blue', shape: 'square' },
    ]
      .map((o) => JSON.stringify(o))
      .join('\n');
    const { job, done } = await scored(platform, Buffer.from(`${jsonl}\n`), { fields: HGB, filename: 'blank.jsonl' });
    await expectEmptyRowsFail(job, done.rows, REASON_JSONL);
    expect((await errorsCsv(job)).slice(1).map((r) => [r[0], r[4]])).toEqual([
      ['2', '2'],
      ['3', '3'],
      ['5', '5'],
    ]);
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
