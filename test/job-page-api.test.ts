import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { csvObjects, parseCsv } from './support/csv.js';
import type { SubmittedJob } from './support/faults.js';
import { IRIS_RESULT_COLUMNS } from './support/examples.js';
import type { JobStatus } from '@batchcast/contract';
import { submit, waitForEnd } from './support/http.js';
import { examples, type Platform, sleep } from './support/platform.js';
import { platformWithSmtp, type TestSmtp } from './support/smtp.js';

/**
 * What the job page and the upload page read over HTTP: the summary (class counts, histogram, preview),
 * the failed rows as CSV, cancelling, the model sample files, and the emails that bring people back.
 */

// Small chunks: a 30,000-row file takes long enough to cancel while it runs.
let platform: Platform;
let smtp: TestSmtp;
platformWithSmtp({ workers: 1, env: { CHUNK_ROWS: '50' } }, (p, s) => {
  platform = p;
  smtp = s;
});
type Submitted = SubmittedJob;

async function start(file: string | Buffer, opts: { model?: string; email?: string; filename?: string } = {}): Promise<Submitted> {
  const res = await submit(platform, file, opts);
  expect(res.status, await res.clone().text()).toBe(202);
  const body = await res.json();
  return { id: body.id, token: new URL(body.links.self, platform.baseUrl).searchParams.get('token')!, links: body.links };
}

const api = (s: Submitted, what: string) => platform.url(`/api/jobs/${s.id}/${what}?token=${encodeURIComponent(s.token)}`);

/** iris.csv with a note column and a few rows that cannot be scored. */
async function irisWithBadRows(): Promise<Buffer> {
  const [header, ...rows] = parseCsv((await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd());
  const lines = [[...header!, 'note'].join(',')];
  rows.forEach((r, i) => {
    const cells = [...r];
    if (i === 3) cells[1] = 'abc';
    if (i === 9) cells[0] = '=HYPERLINK("http://x")';
    lines.push(
      [...cells, i === 0 ? '<script>alert(1)</script>' : 'ok'].map((c) => (/[",]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join(','),
    );
  });
  lines.push('1,2,3'); // a ragged row: no single column at fault
  return Buffer.from(`${lines.join('\n')}\n`);
}

describe('a classifier job with failed rows', () => {
  let job: Submitted;
  let done: JobStatus;
  beforeAll(async () => {
    job = await start(await irisWithBadRows(), { model: 'iris-logreg', email: 'owner@example.com', filename: 'flowers.csv' });
    done = await waitForEnd(platform, job.links.self);
  });

  it('ends succeeded with the failed rows counted', () => {
    expect(done.status).toBe('succeeded');
    expect(done.rows).toEqual({ total: 151, processed: 151, failed: 3 });
  });

  it('summarises the predicted classes and previews the first rows, escaped by nobody but the page', async () => {
    const res = await fetch(api(job, 'summary'));
    expect(res.status).toBe(200);
    const s = await res.json();
    expect(s).toMatchObject({ task: 'classifier', status: 'succeeded', model: { name: 'iris-logreg', version: 1 }, rows: done.rows });
    expect(s.classCounts.map((c: { label: string }) => c.label)).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(s.classCounts.reduce((n: number, c: { count: number }) => n + c.count, 0)).toBe(148);
    expect(s.histogram).toBeUndefined();

    // The counts agree with the results download.
    const results = csvObjects(await (await fetch(platform.url(job.links.results))).text());
    for (const c of s.classCounts) expect(c.count, c.label).toBe(results.rows.filter((r) => r.prediction === c.label).length);

    expect(s.preview.header).toEqual([
      'sepal_length',
      'sepal_width',
      'petal_length',
      'petal_width',
      'species',
      'note',
      ...IRIS_RESULT_COLUMNS,
    ]);
    expect(s.preview.inputColumns).toBe(6);
    expect(s.preview.rows).toHaveLength(20);
    expect(s.preview.rows[0].slice(0, 7)).toEqual(['5.1', '3.5', '1.4', '0.2', 'setosa', '<script>alert(1)</script>', 'setosa']);
    expect(s.preview.rows[3][1]).toBe('abc');
    expect(s.preview.rows[3][6]).toBe('');
    expect(s.preview.rows[3][10]).toBe('column "sepal_width": "abc" is not a number');
    results.rows.slice(0, 20).forEach((r, i) => {
      expect(s.preview.rows[i][6], `row ${i + 1}`).toBe(r.prediction);
    });
  });

  it('lists the failed rows as CSV: row number, column, value, reason, and the line where the row starts', async () => {
    const res = await fetch(api(job, 'errors.csv'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="flowers-errors.csv"');
    const rows = parseCsv((await res.text()).trimEnd());
    expect(rows[0]).toEqual(['row', 'column', 'value', 'reason', 'line']);
    expect(rows.slice(1)).toEqual([
      ['4', 'sepal_width', 'abc', 'column "sepal_width": "abc" is not a number', '5'],
      // A formula from the upload is neutralised, as in the results download.
      [
        '10',
        'sepal_length',
        `'=HYPERLINK("http://x")`,
        expect.stringMatching(
          /^column "sepal_length": "=HYPERLINK\(""http:\/\/x""\)" is a spreadsheet formula with no saved value, not a number/,
        ),
        '11',
      ],
      ['151', '', '', expect.stringMatching(/3 fields.*6/), '152'],
    ]);
  });

  it('emails the owner the outcome, the numbers and the link', async () => {
    const mail = await smtp.waitFor('owner@example.com');
    expect(mail.subject).toBe('batchcast: predictions ready (151 rows, 3 failed)');
    expect(mail.text).toContain('Model: iris-logreg v1');
    expect(mail.text).toContain('Outcome: 151 rows: 148 scored, 3 failed');
    expect(mail.text).toMatch(/3 rows could not be scored/);
    const link = mail.text.match(/https?:\/\/\S+/)?.[0];
    expect(link?.startsWith(`${platform.baseUrl}/jobs/${job.id}?token=`)).toBe(true);
    expect(mail.html).toContain(`href="${link}"`);
    // The email's own token opens the summary too.
    const token = new URL(link!).searchParams.get('token')!;
    expect((await fetch(api({ ...job, token }, 'summary'))).status).toBe(200);
  });

  it('cannot be cancelled once finished: 409', async () => {
    const res = await fetch(api(job, 'cancel'), { method: 'POST' });
    expect(res.status).toBe(409);
    const body = await res.json();
    expect(body.error.code).toBe('already_finished');
    expect(body.error.message).toMatch(/succeeded/);
    // The plain form (no JavaScript) goes back to the page.
    const form = await fetch(platform.url(`/jobs/${job.id}/cancel?token=${encodeURIComponent(job.token)}`), {
      method: 'POST',
      redirect: 'manual',
    });
    expect(form.status).toBe(303);
    expect(form.headers.get('location')).toBe(job.links.page);
  });

  it('answers 404 on the new endpoints without the right token', async () => {
    const wrong = job.token.slice(0, -2) + (job.token.endsWith('AA') ? 'BB' : 'AA');
    for (const [method, what] of [
      ['GET', 'summary'],
      ['GET', 'errors.csv'],
      ['POST', 'cancel'],
    ] as const) {
      expect((await fetch(platform.url(`/api/jobs/${job.id}/${what}`), { method })).status, `${what} without token`).toBe(404);
      expect((await fetch(api({ ...job, token: wrong }, what), { method })).status, `${what} wrong token`).toBe(404);
    }
    expect((await fetch(platform.url(`/jobs/${job.id}/cancel?token=${wrong}`), { method: 'POST', redirect: 'manual' })).status).toBe(404);
  });

  it('the job page links to the failed rows', async () => {
    const html = await (await fetch(platform.url(job.links.page))).text();
    expect(html).toContain(`/api/jobs/${job.id}/errors.csv?token=`);
    expect(html).not.toContain('<script>alert(1)');
  });
});

describe('a regressor job', () => {
  it('summarises the predictions as a histogram', async () => {
    const job = await start('diabetes.csv', { model: 'diabetes-gbr' });
    expect((await waitForEnd(platform, job.links.self)).status).toBe('succeeded');
    const s = await (await fetch(api(job, 'summary'))).json();
    expect(s.task).toBe('regressor');
    expect(s.classCounts).toBeUndefined();
    const values = csvObjects(await (await fetch(platform.url(job.links.results))).text()).rows.map((r) => Number(r.prediction));
    const { bins, min, max } = s.histogram;
    expect(bins).toHaveLength(20);
    expect(bins.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(442);
    // The model's float32 predictions as results.csv writes them (48.139248), not widened to a double's digits.
    expect(min).toBe(Math.min(...values));
    expect(max).toBe(Math.max(...values));
    expect(bins[0].from).toBe(min);
    expect(bins[19].to).toBe(max);
    for (let i = 1; i < bins.length; i++) expect(bins[i].from).toBeCloseTo(bins[i - 1].to, 9);
    // Each value falls in its bucket.
    const width = (max - min) / 20;
    const expected = new Array(20).fill(0);
    for (const v of values) expected[Math.min(19, Math.floor((Math.fround(v) - min) / width))]++;
    const got = bins.map((b: { count: number }) => b.count);
    expect(got.reduce((d: number, c: number, i: number) => d + Math.abs(c - expected[i]), 0)).toBeLessThanOrEqual(2); // float edges
    expect(s.preview.header.slice(-2)).toEqual(['prediction', 'error']);
    expect(s.preview.rows).toHaveLength(20);
    expect(Number(s.preview.rows[0][10])).toBeCloseTo(values[0]!, 2);
  });
});

describe('sample CSVs', () => {
  it('exist for every model, name its columns, and upload successfully', async () => {
    const { models } = await (await fetch(platform.url('/api/models'))).json();
    expect(models.length).toBeGreaterThanOrEqual(5);
    const jobs = [];
    for (const m of models as { name: string; columns: string[] | null }[]) {
      const res = await fetch(platform.url(`/models/${m.name}/sample.csv`));
      expect(res.status, m.name).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${m.name}-sample.csv"`);
      const text = await res.text();
      const [header, ...rows] = parseCsv(text.trimEnd());
      if (m.columns) expect(header, m.name).toEqual(m.columns);
      expect(rows.length).toBeGreaterThanOrEqual(3);
      jobs.push({
        name: m.name,
        job: await start(Buffer.from(text), { model: m.name, filename: `${m.name}-sample.csv` }),
        rows: rows.length,
      });
    }
    for (const { name, job, rows } of jobs) {
      const done = await waitForEnd(platform, job.links.self);
      expect(done.status, name).toBe('succeeded');
      expect(done.rows, name).toEqual({ total: rows, processed: rows, failed: 0 });
    }
    const missing = await fetch(platform.url('/models/no-such-model/sample.csv'));
    expect(missing.status).toBe(404);
    // A sample link has no token: the message does not ask for one.
    expect((await missing.json()).error.message).toBe(
      'No such model: check the name in the address (the home page and GET /api/models list the models).',
    );
    expect((await fetch(platform.url('/models/iris-logreg/sample.csv?version=99'))).status).toBe(404);
  });
});

describe('cancelling', () => {
  it('stops a running job: status cancelled, remaining chunks skipped, no results, an email that says so', async () => {
    const [header, ...rows] = (await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd().split('\n');
    const big = Buffer.from(`${[header, ...Array.from({ length: 200 }, () => rows).flat()].join('\n')}\n`); // 30,000 rows, 600 chunks
    const job = await start(big, { model: 'iris-logreg', email: 'canceller@example.com', filename: 'big.csv' });
    let status: JobStatus;
    do {
      await sleep(50);
      status = await (await fetch(platform.url(job.links.self))).json();
    } while (status.status === 'queued' || (status.status === 'running' && status.rows.processed === 0));
    expect(status.status).toBe('running');
    // Its failed rows are not all known yet: not an empty list (which reads as "no errors"), but 409 as the results.
    const early = await fetch(api(job, 'errors.csv'));
    expect(early.status).toBe(409);
    expect(early.headers.get('retry-after')).toBe('5');
    expect(((await early.json()) as { error: { code: string } }).error.code).toBe('not_ready');

    const res = await fetch(api(job, 'cancel'), { method: 'POST' });
    expect(res.status).toBe(200);
    const cancelled = await res.json();
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.finishedAt).not.toBeNull();

    const mail = await smtp.waitFor('canceller@example.com'); // sent by the finaliser, once every chunk was skipped
    expect(mail.subject).toBe('batchcast: prediction job cancelled');
    const after = await (await fetch(platform.url(job.links.self))).json();
    expect(after.status).toBe('cancelled');
    expect(after.rows.processed).toBeLessThan(30_000);
    expect(after.rows.processed - cancelled.rows.processed).toBeLessThanOrEqual(50); // at most the chunk being scored
    expect(mail.text).toContain(`${after.rows.processed.toLocaleString('en-US')} of 30,000 rows had been scored`);

    expect((await fetch(platform.url(job.links.results))).status).toBe(409);
    const errors = await fetch(api(job, 'errors.csv'));
    expect(errors.status).toBe(409);
    expect(((await errors.json()) as { error: { code: string } }).error.code).toBe('job_cancelled');
    expect((await fetch(api(job, 'errors.csv'), { method: 'HEAD' })).status).toBe(409);
    expect((await fetch(api(job, 'cancel'), { method: 'POST' })).status).toBe(409);
  });
});
