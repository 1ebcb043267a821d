import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from './support/csv.js';
import { type AcceptedJob, duckdbMakeParquet, duckdbParquet, openpyxlMake, results, resultsJsonl, scored } from './support/formats.js';
import { Platform } from './support/platform.js';

/**
 * A row that cannot be scored names every cell that could not be read, over HTTP on a real platform: in the results'
 * `error`, in errors.csv and in the real-time answer, for a CSV, a workbook, a Parquet file and JSON Lines alike. It
 * named only the first, so a person correcting the file corrected one cell per upload.
 */
let platform: Platform;
const IRIS = { model: 'iris-logreg' };
const COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
/** Row 2 has two bad cells (and the cells between them are fine); rows 1 and 3 score. */
const CELLS = [
  ['5.1', '3.5', '1.4', '0.2'],
  ['tall', '3.0', 'wide', '1.8'],
  ['6.3', '3.3', '6.0', '2.5'],
];
const BOTH = 'column "sepal_length": "tall" is not a number | column "petal_length": "wide" is not a number';

beforeAll(async () => {
  platform = await new Platform({ workers: 1, env: { RATE_LIMIT_JOBS_PER_MINUTE: '0' } }).start();
});
afterAll(async () => {
  await platform?.stop();
});

/** `line`: where the failed row starts in the file (a CSV's header is line 1; JSON Lines has none; a workbook's sheet row, in `place` sheet_row; empty for Parquet). */
async function expectBothNamed(
  job: AcceptedJob,
  failed: { total: number; processed: number; failed: number },
  line: string,
  place = 'line',
): Promise<void> {
  expect(failed).toEqual({ total: 3, processed: 3, failed: 1 });
  const lines = await resultsJsonl(platform, job);
  expect(lines.map((l) => l.error)).toEqual([null, BOTH, null]);
  expect(lines[1]!.prediction).toBe(null);
  expect(lines[2]!.prediction).toBe('virginica');
  const res = await fetch(platform.url(`/api/jobs/${job.id}/errors.csv?token=${encodeURIComponent(job.token)}`));
  expect(res.status).toBe(200);
  // One line per failed row: the first bad cell's column and value, and every bad cell in the reason.
  expect(parseCsv((await res.text()).replace(/^\uFEFF/, '').trimEnd())).toEqual([
    ['row', 'column', 'value', 'reason', place],
    ['2', 'sepal_length', 'tall', BOTH, line],
  ]);
}

describe('a failed row names every bad cell', () => {
  it('a CSV', async () => {
    const csv = `${[COLUMNS, ...CELLS].map((r) => r.join(',')).join('\n')}\n`;
    const { job, done } = await scored(platform, Buffer.from(csv), { fields: IRIS, filename: 'iris.csv' });
    await expectBothNamed(job, done.rows, '3');
  });

  it("a CSV row with more fields than the header: its error quotes the extra ones, so results.csv (the header's columns) loses none of its text", async () => {
    // Row 101's comment has an unquoted comma, row 102 a trailing note (after rows enough for the delimiter to be
    // detected). results.csv cut both to the header's four columns, and the text after the cut was in no results file.
    const good = '5.1,3.5,1.4,0.2\n'.repeat(100);
    const csv = `${COLUMNS.join(',')}\n${good}6.3,3.3,6.0,2.5,measured twice, by Ann\n4.9,3.0,1.4,0.2,"see ""notes"""\n`;
    const { job, done } = await scored(platform, Buffer.from(csv), { fields: IRIS, filename: 'iris.csv' });
    expect(done.rows).toEqual({ total: 102, processed: 102, failed: 2 });
    const rows = parseCsv((await results(platform, job, 'csv')).toString('utf8')).filter((_, i) => i === 0 || i > 99);
    const error = rows[0]!.indexOf('error');
    const why = (n: number) =>
      `row has ${n} fields, the header has 4 — check for an unquoted comma inside a value, or one at the end of the row`;
    expect(rows.map((r) => [r.slice(0, 4).join(','), r[error]])).toEqual([
      [COLUMNS.join(','), 'error'],
      ['5.1,3.5,1.4,0.2', ''],
      ['6.3,3.3,6.0,2.5', `${why(6)}; the 2 extra fields, left out of the results' columns: "measured twice", " by Ann"`],
      ['4.9,3.0,1.4,0.2', `${why(5)}; the extra field, left out of the results' columns: "see \\"notes\\""`],
    ]);
    expect(rows.every((r) => r.length === rows[0]!.length)).toBe(true);
  });

  it('a workbook (openpyxl)', async () => {
    const cells = CELLS.map((r) => r.map((c) => (Number.isNaN(Number(c)) ? c : Number(c))));
    const { job, done } = await scored(platform, await openpyxlMake([COLUMNS, ...cells]), { fields: IRIS, filename: 'iris.xlsx' });
    await expectBothNamed(job, done.rows, '3', 'sheet_row');
  });

  it('a Parquet file of text columns (DuckDB)', async () => {
    const values = CELLS.map((r) => `(${r.map((c) => `'${c}'`).join(', ')})`).join(', ');
    const file = await duckdbMakeParquet(`select * from (values ${values}) t(${COLUMNS.join(', ')})`);
    const { job, done } = await scored(platform, file, { fields: IRIS, filename: 'iris.parquet' });
    await expectBothNamed(job, done.rows, '');
  });

  it('JSON Lines, and the real-time endpoint gives the same error for the same row', async () => {
    const objects = CELLS.map((r) => Object.fromEntries(r.map((c, i) => [COLUMNS[i]!, Number.isNaN(Number(c)) ? c : Number(c)])));
    const jsonl = `${objects.map((o) => JSON.stringify(o)).join('\n')}\n`;
    const { job, done } = await scored(platform, Buffer.from(jsonl), { fields: IRIS, filename: 'iris.jsonl' });
    await expectBothNamed(job, done.rows, '2');
    const res = await fetch(platform.url('/api/models/iris-logreg/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: objects }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { predictions: { prediction: unknown; error?: string }[] };
    expect(body.predictions.map((p) => p.error ?? null)).toEqual([null, BOTH, null]);
  });

  it('the real-time endpoint says what to send for a number in text or a formula, not what to do with a file', async () => {
    // A request has no file to "open in Excel" and no "file's format": those words sent callers looking for one.
    const row = (sepal_length: string) => ({ sepal_length, sepal_width: 3, petal_length: 1.4, petal_width: 0.2 });
    const res = await fetch(platform.url('/api/models/iris-logreg/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [row('1,5'), row('=A1*2'), row('1,234.5')] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { predictions: { prediction: unknown; error?: string }[] };
    expect(body.predictions.map((p) => p.error ?? null)).toEqual([
      `column "sepal_length": "1,5" is not a number: '.' is the decimal separator and ',' may only separate groups of three digits (e.g. 1234.5 or 1,234.5)`,
      'column "sepal_length": "=A1*2" is a spreadsheet formula, not a number: give its value instead (what wrote it kept the formula, not its result)',
      null,
    ]);
  });
});

describe('results.parquet keeps what a failed row held', () => {
  it("a number column's unreadable text in `<column>_text` beside it, the other rows' numbers as they were (DuckDB reads it)", async () => {
    // `tall` and `wide` were written null, and nothing else: the Parquet download lost them (CSV, JSON Lines and .xlsx keep them).
    const csv = `${[COLUMNS, ...CELLS].map((r) => r.join(',')).join('\n')}\n`;
    const { job } = await scored(platform, Buffer.from(csv), { fields: IRIS, filename: 'iris.csv' });
    const { types, rows } = await duckdbParquet(await results(platform, job, 'parquet'));
    expect(Object.entries(types).slice(0, 8)).toEqual([
      ['sepal_length', 'DOUBLE'],
      ['sepal_length_text', 'VARCHAR'],
      ['sepal_width', 'DOUBLE'],
      ['sepal_width_text', 'VARCHAR'],
      ['petal_length', 'DOUBLE'],
      ['petal_length_text', 'VARCHAR'],
      ['petal_width', 'DOUBLE'],
      ['petal_width_text', 'VARCHAR'],
    ]);
    expect(
      rows.map((r) => [r.sepal_length, r.sepal_length_text, r.petal_length, r.petal_length_text, r.sepal_width_text, r.error]),
    ).toEqual([
      [5.1, null, 1.4, null, null, null],
      [null, 'tall', null, 'wide', null, BOTH],
      [6.3, null, 6.0, null, null, null],
    ]);
  });

  it('adds no companion columns when no row failed', async () => {
    const csv = `${[COLUMNS, CELLS[0]!, CELLS[2]!].map((r) => r.join(',')).join('\n')}\n`;
    const { job } = await scored(platform, Buffer.from(csv), { fields: IRIS, filename: 'iris.csv' });
    const { types } = await duckdbParquet(await results(platform, job, 'parquet'));
    expect(Object.keys(types).filter((n) => n.endsWith('_text'))).toEqual([]);
  });
});
