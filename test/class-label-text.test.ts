import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvObjects } from './support/csv.js';
import { type AcceptedJob, duckdbParquet, openpyxlWorkbook, results, resultsJsonl, scored } from './support/formats.js';
import { fileBlob } from './support/http.js';
import { ADMIN_TOKEN, examples, type Platform, platformForFile, repoRoot } from './support/platform.js';

/**
 * A model's class labels are the same text everywhere, over HTTP on a running platform: in every results format,
 * in the summary's class counts (the job page's chart) and in the real-time answers, whatever characters they hold.
 * A label with a line break was stored with a space instead ("multi line" in every download and in the counts,
 * "multi\nline" in the header and in real time); the empty class '' was left out of the counts, since '' also
 * stood for a failed row; a label with a NUL, which PostgreSQL's text cannot hold, is refused at registration.
 * The models are LogisticRegressions on the iris data (fixtures/models/make_odd_labels.py).
 */
let platform: Platform;
platformForFile({ workers: 1 }, (started) => {
  platform = started;
});

const FIXTURES = path.join(repoRoot, 'test/fixtures/models');
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

async function register(file: string, name: string): Promise<Response> {
  const form = new FormData();
  form.set('name', name);
  form.set('file', fileBlob(await readFile(path.join(FIXTURES, file))), file);
  return fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
}

const expected = async (name: string): Promise<string[]> =>
  JSON.parse(await readFile(path.join(FIXTURES, `${name}.expected.json`), 'utf8'));

/** Rows per label, in the model's class order (as the summary gives them). */
function counts(labels: string[], classes: string[]): { label: string; count: number }[] {
  return classes.map((label) => ({ label, count: labels.filter((l) => l === label).length }));
}

async function summary(job: AcceptedJob): Promise<{ classCounts: { label: string; count: number }[]; rows: Record<string, number> }> {
  const res = await fetch(platform.url(`/api/jobs/${job.id}/summary?token=${encodeURIComponent(job.token)}`));
  expect(res.status).toBe(200);
  return res.json();
}

async function predictRealTime(model: string, rows: Record<string, string>[]): Promise<string[]> {
  const res = await fetch(platform.url(`/api/models/${model}/predict`), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ rows: rows.map((r) => Object.fromEntries(FEATURES.map((f) => [f, Number(r[f])]))) }),
  });
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.predictions.map((p: { prediction: string }) => p.prediction);
}

describe('class labels with a line break, a formula sign, quotes and a comma', () => {
  const CLASSES = ['=cmd', 'multi\nline', 'yes, "quoted"'];

  it('are the same text in results.csv, .jsonl, .parquet and .xlsx, the class counts and the real-time answers', async () => {
    const registered = await register('odd-labels.pkl', 'odd-labels');
    const model = await registered.json();
    expect(registered.status, JSON.stringify(model)).toBe(201);
    expect(model.predictionColumns).toEqual(['prediction', ...CLASSES.map((c) => `probability_${c}`)]);

    const want = await expected('odd-labels');
    // Every class is predicted somewhere: a label changed on the way shows in the predictions.
    expect(new Set(want)).toEqual(new Set(CLASSES));
    const iris = await readFile(path.join(examples, 'data/iris.csv'));
    const { job, done } = await scored(platform, iris, { fields: { model: 'odd-labels' }, filename: 'iris.csv' });
    expect(done.rows).toMatchObject({ total: 150, failed: 0 });

    // CSV: quoted, line break and all; a cell a spreadsheet would run as a formula gets the guard's leading `'`.
    const csv = csvObjects((await results(platform, job, 'csv')).toString('utf8'));
    expect(csv.header.slice(5)).toEqual(['prediction', ...CLASSES.map((c) => `probability_${c}`), 'error']);
    expect(csv.rows.map((r) => r.prediction)).toEqual(want.map((l) => (l.startsWith('=') ? `'${l}` : l)));
    expect((await resultsJsonl(platform, job)).map((r) => r.prediction)).toEqual(want);
    expect((await duckdbParquet(await results(platform, job, 'parquet'))).rows.map((r) => r.prediction)).toEqual(want);
    // openpyxl read-only, as pandas reads a workbook: every row as long as the header (the sheet says its size).
    const book = await openpyxlWorkbook(await results(platform, job, 'xlsx'));
    expect(book.rows[0]!.slice(5)).toEqual(['prediction', ...CLASSES.map((c) => `probability_${c}`), 'error']);
    expect(new Set(book.rows.map((r) => r.length))).toEqual(new Set([book.rows[0]!.length]));
    expect(book.rows.slice(1).map((r) => r[5])).toEqual(want);

    expect((await summary(job)).classCounts).toEqual(counts(want, CLASSES));
    expect(await predictRealTime('odd-labels', csvObjects(iris.toString('utf8')).rows)).toEqual(want);
  });
});

describe('the empty class', () => {
  const CLASSES = ['', ' ', 'NA'];

  it("is counted in the summary as the results have it, and a failed row is not counted as ''", async () => {
    const registered = await register('empty-label.pkl', 'empty-label');
    expect(registered.status, await registered.clone().text()).toBe(201);
    const want = await expected('empty-label');
    expect(new Set(want)).toEqual(new Set(CLASSES));
    // The first row, which scikit-learn predicts '', made one that cannot be scored: 49 rows predicted '', one failed.
    expect(want[0]).toBe('');
    const [header, first, ...rest] = (await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).split('\n');
    const csv = [header, first!.replace(/^[^,]+/, 'abc'), ...rest].join('\n');
    const { job, done } = await scored(platform, Buffer.from(csv), { fields: { model: 'empty-label' }, filename: 'iris.csv' });
    expect(done.rows).toMatchObject({ total: 150, failed: 1 });

    const jsonl = await resultsJsonl(platform, job);
    expect(jsonl[0]).toMatchObject({ prediction: null, error: expect.stringMatching(/^column "sepal_length"/) });
    const scoredRows = jsonl.slice(1).map((r) => r.prediction);
    expect(scoredRows).toEqual(want.slice(1));
    const classCounts = (await summary(job)).classCounts;
    expect(classCounts).toEqual(counts(want.slice(1), CLASSES));
    expect(classCounts[0]).toEqual({ label: '', count: 49 });
    expect(classCounts.reduce((n, c) => n + c.count, 0)).toBe(149);
    // In real time, the rows that scored: '' as it is.
    expect(await predictRealTime('empty-label', csvObjects(csv).rows.slice(1, 6))).toEqual(want.slice(1, 6));
  });
});

describe('a class label with a NUL character', () => {
  it('is refused at registration, naming the class and what to do', async () => {
    const res = await register('nul-label.pkl', 'nul-label');
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(422);
    expect(body.error.code).toBe('unsupported_output');
    expect(body.error.message).toBe(
      'Class 2 of the model, "b\\u0000c", holds a NUL character (U+0000), which batchcast cannot store or give back as it is. ' +
        'Rename that class without the NUL character (in the training labels), fit or export the model again and upload it.',
    );
    expect((await fetch(platform.url('/api/models/nul-label'))).status).toBe(404);
  });
});
