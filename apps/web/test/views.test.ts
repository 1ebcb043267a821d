import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { deletedText, expiryShort, expiryText } from '../src/shared/expiry.js';
import { adviceFor, durationText, previewHeading, progressPercent, rowCountText, runSeconds } from '../src/shared/job-progress.js';
import { modelSummary, taskText } from '../src/shared/model-summary.js';
import { formatBytes } from '@batchcast/bytes';
import { countOf, formatCount } from '../src/shared/numbers.js';
import { adminJobPage } from '../src/views/admin-job-page.js';
import { adminLoginPage, adminPage } from '../src/views/admin-page.js';
import { errorPage } from '../src/views/error-page.js';
import { jobPage } from '../src/views/job-page.js';
import { linksSentPage } from '../src/views/links-sent-page.js';
import { outboxPage } from '../src/views/outbox-page.js';
import { uploadPage } from '../src/views/upload-page.js';

const HOSTILE = `<script>alert("x")</script>' onmouseover='1`;

const AT = new Date('2026-01-01T00:00:00Z');

/** A job as the admin pages list it, every text field hostile. */
function hostileAdminJob(rows: { rowsProcessed: number; rowsFailed: number; status: 'succeeded' | 'failed' }) {
  return {
    id: HOSTILE,
    email: HOSTILE,
    model: HOSTILE,
    modelVersion: 1,
    rowsTotal: 2,
    startedAt: AT,
    finishedAt: AT,
    createdAt: AT,
    filename: HOSTILE,
    schedule: HOSTILE,
    error: HOSTILE,
    ...rows,
  };
}

/** A job as the job page is given it: an ended two-row job, with what a test wants changed. */
function jobView(over: Partial<Parameters<typeof jobPage>[0]> = {}): Parameters<typeof jobPage>[0] {
  return {
    id: '1',
    status: 'succeeded',
    filename: 'f',
    model: { name: 'm', version: 1 },
    rows: { total: 2, processed: 2, failed: 0 },
    error: null,
    mayCancel: true,
    links: { self: '/api/jobs/1?token=t', results: '/api/jobs/1/results.csv?token=t' },
    ...over,
  };
}

/** The page's <script> tags are its own module scripts, and nothing hostile got in as markup. */
function expectOnlyOwnScripts(page: string, scripts: string[]): void {
  const tags = page.match(/<script\b[^>]*>/g) ?? [];
  expect(tags).toEqual(scripts.map((src) => `<script type="module" src="${src}">`));
  expect(page).not.toContain(HOSTILE);
  // With the (double-quoted) attribute values emptied, no tag has an attribute the hostile text added.
  expect(page.replace(/="[^"]*"/g, '=""')).not.toMatch(/<[^>]*\sonmouseover=/);
}

describe('the shared texts', () => {
  it('formats counts, sizes and durations the same for the server and the browser', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(countOf(1, 'row')).toBe('1 row');
    expect(countOf(1200, 'row')).toBe('1,200 rows');
    expect(formatBytes(512)).toBe('512 bytes');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(20 * 1024 * 1024)).toBe('20 MiB');
    // The limit in the units the server refuses with and the README gives (MAX_UPLOAD_BYTES: 1 GiB).
    expect(formatBytes(1024 ** 3)).toBe('1 GiB');
    expect(durationText(0.43)).toBe('0.4 s');
    expect(durationText(61)).toBe('1 min 1 s');
    expect(durationText(7260)).toBe('2 h 1 min');
    expect(runSeconds({ startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:02.5Z' })).toBe(2.5);
    expect(runSeconds({ startedAt: '2026-01-01T00:00:00Z', finishedAt: null })).toBeNull();
    expect(progressPercent({ total: 3, processed: 2, failed: 0 })).toBe(66);
    expect(progressPercent({ total: 0, processed: 0, failed: 0 })).toBe(0);
  });

  it('counts rows one way: scored and failed add up to the rows done', () => {
    expect(rowCountText({ total: 150, processed: 150, failed: 1 }, true)).toBe('150 rows: 149 scored, 1 failed');
    expect(rowCountText({ total: 1, processed: 1, failed: 0 }, true)).toBe('1 row: 1 scored, 0 failed');
    // The preview's heading: "First 1 rows" was plural.
    expect(previewHeading(1)).toBe('First row of the results');
    expect(previewHeading(20)).toBe('First 20 rows of the results');
    expect(rowCountText({ total: 30_000, processed: 1_200, failed: 10 }, false)).toBe('1,200 of 30,000 rows done: 1,190 scored, 10 failed');
    expect(rowCountText({ total: 30_000, processed: 1_200, failed: 10 }, true)).toBe(
      '30,000 rows: 1,190 scored, 10 failed, 28,800 not scored',
    );
  });

  it('says when results are deleted', () => {
    expect(expiryText(null, 7)).toBe('Results are kept for 7 days after the job ends, then deleted.');
    expect(expiryText('2026-12-07T14:03:00Z', 1, 'UTC')).toBe(
      'Results are kept until 7 Dec 2026, 14:03 UTC, then deleted (1 day after the job ended).',
    );
    expect(expiryText('2026-12-07T14:03:00Z', 7, 'Europe/Paris')).toContain('7 Dec 2026, 15:03 CET');
    expect(expiryShort('2026-12-07T14:03:00Z', 7, 'UTC')).toBe('kept until 7 Dec 2026, 14:03 UTC');
    expect(expiryShort(null, 7)).toBe('kept 7 days after it ends');
    // Cancelled or failed: no results to keep, only the record and the file.
    expect(expiryText('2026-12-07T14:03:00Z', 7, 'UTC', false)).toBe(
      'What is left of this job (its record and the uploaded file) is kept until 7 Dec 2026, 14:03 UTC, then deleted (7 days after the job ended).',
    );
    // Past that time, on a page left open.
    expect(deletedText('2026-12-07T14:03:00Z', 7, 'UTC')).toBe(
      'The results were deleted on 7 Dec 2026, 14:03 UTC, 7 days after the job ended. Upload the file again to score it anew.',
    );
    expect(deletedText('2026-12-07T14:03:00Z', 1, 'UTC', false)).toMatch(
      /^What was left of this job was deleted on 7 Dec 2026, 14:03 UTC, 1 day after/,
    );
  });

  it("offers a running job's Cancel button only to whoever may cancel it (not a link of a key without jobs:write)", () => {
    const links = {
      summary: '',
      errors: '',
      cancel: '/api/jobs/1/cancel?token=t',
      cancelForm: '/jobs/1/cancel?token=t',
      deleteForm: '/jobs/1/delete?token=t',
    };
    const form = (page: string) => /<form id="cancel-form"[^>]*>/.exec(page)?.[0];
    expect(form(jobPage(jobView({ status: 'running', expiresAt: null, mayCancel: true }), links))).not.toContain('hidden');
    expect(form(jobPage(jobView({ status: 'running', expiresAt: null, mayCancel: false }), links))).toContain('hidden');
    expect(form(jobPage(jobView({ status: 'succeeded', mayCancel: true }), links))).toContain('hidden');
  });

  it('makes the page of an ended job reload itself, without JavaScript, when its data is deleted; not while it runs', () => {
    const links = { summary: '', errors: '', cancel: '', cancelForm: '', deleteForm: '' };
    const page = jobPage(jobView({ expiresAt: new Date(Date.now() + 3600_000).toISOString() }), links);
    const seconds = Number(/<noscript><meta http-equiv="refresh" content="(\d+)"><\/noscript>/.exec(page)?.[1]);
    expect(seconds).toBeGreaterThan(3500);
    expect(seconds).toBeLessThanOrEqual(3602);
    expect(jobPage(jobView({ status: 'running', expiresAt: null }), links)).not.toContain('http-equiv="refresh"');
  });

  it('says what to do about an outcome', () => {
    expect(adviceFor({ status: 'failed', rows: { total: 5, processed: 5, failed: 5 } })).toMatch(/^No row could be scored/);
    expect(adviceFor({ status: 'failed', rows: { total: 5, processed: 2, failed: 0 } })).toMatch(/problem on our side/);
    // A file damaged past its first rows: its error says to write the file again; no "not in your file" under it.
    const damaged =
      'Rows 1 to 6000 cannot be read from the file: …; write the file again (e.g. with snappy or zstd compression) and upload it.';
    expect(adviceFor({ status: 'failed', rows: { total: 6000, processed: 0, failed: 0 }, error: damaged })).toBe('');
    expect(adviceFor({ status: 'succeeded', rows: { total: 5000, processed: 5000, failed: 1200 } })).toMatch(
      /^1,200 rows could not be scored: .*the list of failed rows \(row number, column, value, reason\)\. To score them, correct those cells in your file/,
    );
    expect(adviceFor({ status: 'succeeded', rows: { total: 5, processed: 5, failed: 0 } })).toBe('');
    expect(adviceFor({ status: 'running', rows: { total: 5, processed: 1, failed: 1 } })).toBe('');
  });

  it('sums a model up', () => {
    const labels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    expect(taskText({ name: 'm', columns: null, task: 'classifier', classLabels: labels })).toBe(
      'Predicts one of 8 classes: a, b, c, d, e, f and 2 more.',
    );
    expect(modelSummary({ name: 'm', columns: ['x'], task: 'regressor' })).toBe('Predicts a number. Needs 1 column: x.');
    expect(modelSummary({ name: 'm', columns: null })).toBe('');
  });
});

describe('the views escape what they are given', () => {
  const links = { self: `/api/jobs/1?token=${HOSTILE}`, results: `/r?${HOSTILE}` };

  it('the job page', () => {
    const page = jobPage(
      {
        id: '1',
        status: 'failed',
        filename: HOSTILE,
        model: { name: HOSTILE, version: 2 },
        rows: { total: 10, processed: 10, failed: 10 },
        startedAt: '2026-01-01T00:00:00Z',
        finishedAt: '2026-01-01T00:01:05Z',
        error: HOSTILE,
        mayCancel: true,
        links,
      },
      { summary: HOSTILE, errors: HOSTILE, cancel: HOSTILE, cancelForm: HOSTILE, deleteForm: HOSTILE },
    );
    expectOnlyOwnScripts(page, ['/static/browser/job.js']);
    expect(page).toContain('<span class="filename">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;1</span>');
    expect(page).toContain('<dd id="sum-duration">1 min 5 s</dd>');
    expect(page).toContain('<p id="speed" class="muted" hidden>');
    expect(page).toMatch(/<p id="advice">No row could be scored/);
    expect(page).toContain('<p id="counts">10 rows: 0 scored, 10 failed</p>');
    expect(page).toContain('Results are kept for 7 days after the job ends, then deleted.');
    // Its failed rows in the page as sent (so without JavaScript too), every cell as text.
    const failing = jobPage(
      jobView({
        links,
        rows: { total: 30, processed: 30, failed: 12 },
        failures: [
          { row: 1200, column: HOSTILE, value: HOSTILE, reason: HOSTILE },
          { row: 7, column: null, value: null, reason: 'row has 2 fields, the header has 5' },
          { row: 8, column: 'a', value: '\u202e5.1\u200b', reason: 'x' },
        ],
      }),
      { summary: '', errors: '', cancel: '', cancelForm: '', deleteForm: '' },
    );
    expectOnlyOwnScripts(failing, ['/static/browser/job.js']);
    expect(failing).toContain('<section class="card" id="failures-card" aria-labelledby="failures-heading">');
    expect(failing).toContain('The first 3 of 12 failed rows.');
    // Each cell named by its column (data-label): on a phone the stylesheet stacks each row, a cell a line.
    expect(failing).toContain('<td role="cell" data-label="row">1,200</td><td role="cell" data-label="column">&lt;script&gt;');
    expect(failing).toContain(
      '<tr role="row"><td role="cell" data-label="row">7</td><td role="cell" data-label="column">(the whole row)</td><td role="cell" data-label="value"></td><td role="cell" data-label="reason">row has 2 fields, the header has 5</td></tr>',
    );
    // A value's invisible and reordering characters shown as escapes: a right-to-left override displayed 5.1 as "1.5".
    expect(failing).toContain('<td role="cell" data-label="value">\\u202e5.1\\u200b</td>');
    expect(page).toMatch(/<section class="card" id="failures-card" hidden/); // none given: hidden
    const ended = jobPage(
      jobView({ links, expiresAt: '2026-12-07T14:03:00Z' }),
      { summary: '', errors: '', cancel: '', cancelForm: '', deleteForm: '' },
      { retentionDays: 7, remember: false },
    );
    expect(ended).toContain('Results are kept until 7 Dec 2026, 14:03 UTC, then deleted');
    expect(ended).toContain('data-remember="no"');
    // Cancelled: "its results are not kept", and nothing says they are.
    const cancelled = jobPage(jobView({ links, status: 'cancelled', expiresAt: '2026-12-07T14:03:00Z' }), {
      summary: '',
      errors: '',
      cancel: '',
      cancelForm: '',
      deleteForm: '',
    });
    expect(cancelled).toContain('its results are not kept');
    expect(cancelled).not.toContain('Results are kept');
    expect(cancelled).toContain('What is left of this job (its record and the uploaded file) is kept until 7 Dec 2026, 14:03 UTC');
  });

  it('the error, links-sent and admin job pages', () => {
    const error = errorPage({ status: 404, code: HOSTILE, message: HOSTILE, path: '/jobs/1' });
    expectOnlyOwnScripts(error, []);
    expect(error).toContain('<h1>No job at this link</h1>');
    expect(errorPage({ status: 410, code: 'expired', message: 'deleted', path: '/jobs/1' })).toContain(
      '<h1>This job has been deleted</h1>',
    );
    expect(errorPage({ status: 404, code: 'not_found', message: 'x', path: '/nope' })).toContain('<h1>Page not found</h1>');
    expect(errorPage({ status: 503, code: 'unavailable', message: 'x', path: '/' })).toContain('Try again in a minute');
    expectOnlyOwnScripts(linksSentPage(HOSTILE, HOSTILE), []);
    const admin = adminJobPage(hostileAdminJob({ status: 'succeeded', rowsProcessed: 2, rowsFailed: 0 }), {
      csrf: HOSTILE,
      expiresAt: new Date('2026-01-08T00:00:00Z'),
      retentionDays: 7,
      notice: HOSTILE,
      error: HOSTILE,
    });
    expectOnlyOwnScripts(admin, []);
    expect(admin).toContain('2026-01-08 00:00:00 UTC');
    expect(admin).toContain('2 rows: 2 scored, 0 failed');
  });

  it('the job page of an uploaded workbook: how it was read (sheet names and notes come from the file) and its downloads', () => {
    const page = jobPage(
      jobView({ filename: 'book.xlsx', input: { format: 'xlsx', compression: 'gzip', sheet: HOSTILE, notes: [HOSTILE] } }),
      {
        summary: 's',
        errors: 'e',
        cancel: 'c',
        cancelForm: 'f',
        deleteForm: 'f',
        downloads: [
          { format: 'xlsx', href: `/x.xlsx?${HOSTILE}`, unavailable: null },
          { format: 'csv', href: '/x.csv', unavailable: null },
          { format: 'parquet', href: '/x.parquet', unavailable: { tooMany: 'columns', why: HOSTILE } },
        ],
      },
    );
    expectOnlyOwnScripts(page, ['/static/browser/job.js']);
    expect(page).toContain('Read as Excel (sheet &quot;&lt;script&gt;');
    expect(page).toContain(', gzip-compressed.');
    expect(page).toMatch(
      /<a id="results-link" class="button" href="\/x\.xlsx\?[^"]*" download data-format="xlsx">Download the results \(Excel\)<\/a>/,
    );
    expect(page).toMatch(/Also as <a href="\/x\.csv" download data-format="csv">CSV<\/a> · <span class="muted" data-format="parquet"/);
    expect(page).toContain('Parquet (too many columns)</span>');
    // Why it is not offered is text on the page (escaped), not a tooltip: touch screens show none.
    expect(page).toContain('<span class="format-note" id="why-no-parquet" data-format="parquet">&lt;script&gt;');
    expect(page).not.toMatch(/<[^>]*data-format="parquet"[^>]*title=/);
  });

  it('the upload page', () => {
    const page = uploadPage(
      [{ name: HOSTILE, version: 1, description: HOSTILE, columns: [HOSTILE, 'b'], task: 'classifier', classLabels: [HOSTILE] }],
      {
        error: HOSTILE,
        errorField: 'sheet',
        email: HOSTILE,
        maxUploadBytes: 1536,
        choices: { delimiter: '\t', decimal: ',', encoding: 'macintosh', sheet: HOSTILE },
      },
    );
    expectOnlyOwnScripts(page, ['/static/browser/upload.js', '/static/browser/my-jobs.js']);
    expect(page).toContain('data-max-bytes="1536"');
    // The refused form's choices, as chosen: the section open, the sheet (escaped) marked as the field at fault.
    expect(page).toContain('<details class="file-options" id="file-options" open>');
    expect(page).toContain('<option value="tab" selected>Tab</option>');
    expect(page).toContain('<option value="," selected>Comma 1,5</option>');
    expect(page).toContain('<option value="macintosh" selected>Mac Roman (Excel for Mac before 2016)</option>');
    expect(page.match(/ selected>/g)).toHaveLength(3); // no other choice
    expect(page).toMatch(/id="sheet-input" [^>]* value="&lt;script&gt;[^"]*" aria-invalid="true" aria-describedby="form-error">/);
    expect(page).toContain('Up to 1.5 KiB.');
    expect(page).toContain(`data-columns="[&quot;&lt;script&gt;`);
    expect(page).toMatch(/<input type="checkbox" name="header" value="none" id="header-input">/);
    // A refused header-less upload: the box checked again, marked as the field at fault.
    const headerless = uploadPage([], { error: HOSTILE, errorField: 'header', choices: { header: 'none' } });
    expect(headerless).toContain('<details class="file-options" id="file-options" open>');
    expect(headerless).toMatch(/id="header-input" checked aria-invalid="true" aria-describedby="form-error">/);
  });

  it("the upload page's file chooser, which offers every format the README says an upload may be", async () => {
    // Was: no .zip, so a data.zip was greyed out in the file dialog although the page says "zipped if you like".
    const accept = /<input type="file" name="file" id="file-input" accept="([^"]*)"/.exec(uploadPage([]))?.[1]?.split(',') ?? [];
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Bring your own data'));
    // The extensions its table of uploads names (`.xlsx`, `.gz`, `.zst`, `.zip`)...
    const table = section
      .slice(0, section.indexOf('\n\n', section.indexOf('\n|')))
      .split('\n')
      .filter((l) => l.startsWith('|'));
    const named = [...table.join('\n').matchAll(/`(\.[a-z0-9]+)`/g)].map((m) => m[1]!);
    expect(named).toEqual(expect.arrayContaining(['.xlsx', '.gz', '.zst', '.zip']));
    // ...and those of the formats it names in words: CSV (tab-separated too), Parquet, JSON Lines, JSON.
    for (const ext of [...named, '.csv', '.tsv', '.txt', '.parquet', '.jsonl', '.ndjson', '.json']) expect(accept, ext).toContain(ext);
    expect(accept).toContain('application/zip');
  });

  it('the admin pages and the outbox', () => {
    const page = adminPage(
      {
        jobs: [hostileAdminJob({ status: 'failed', rowsProcessed: 1, rowsFailed: 1 })],
        models: [
          {
            name: HOSTILE,
            versions: [
              {
                version: 1,
                sha256: HOSTILE,
                task: HOSTILE,
                createdAt: AT.toISOString(),
                description: HOSTILE,
                format: HOSTILE,
                library: HOSTILE,
                libraryVersion: HOSTILE,
                original: HOSTILE,
                registeredBy: { keyId: HOSTILE, name: HOSTILE, prefix: HOSTILE },
                converted: [HOSTILE],
              },
            ],
          },
        ],
        queues: [{ name: HOSTILE, counts: { waiting: 1 } }],
        schedules: [],
      },
      {
        csrf: HOSTILE,
        error: HOSTILE,
        form: { name: HOSTILE },
        modelError: HOSTILE,
        modelForm: { name: HOSTILE, features: HOSTILE, description: HOSTILE },
        registered: HOSTILE,
        registeredNotes: [HOSTILE],
      },
    );
    expectOnlyOwnScripts(page, []);
    expect(page).toContain('<details class="converted"><summary>converted</summary><ul><li>&lt;script&gt;');
    expectOnlyOwnScripts(adminLoginPage({ csrf: HOSTILE, next: HOSTILE, error: HOSTILE }), []);
    const outbox = outboxPage([
      {
        id: '1',
        from: 'batchcast',
        html: '',
        date: HOSTILE,
        to: HOSTILE,
        subject: HOSTILE,
        text: `See https://x.example/j?t=a"b<c> ${HOSTILE}`,
      },
    ]);
    expectOnlyOwnScripts(outbox, []);
    expect(outbox).toContain('<a href="https://x.example/j?t=a&quot;b&lt;c&gt;">https://x.example/j?t=a&quot;b&lt;c&gt;</a>');
  });
});

describe("the admin page's name fields", () => {
  it('have patterns browsers compile (the v flag: a "-" ending a class must be escaped) that refuse a name the server refuses', () => {
    const page = adminPage({ jobs: [], models: [], queues: [], schedules: [] }, { csrf: 'c' });
    const patterns = [...page.matchAll(/<input type="text" name="name" required pattern="([^"]*)"/g)].map((m) => m[1]!);
    expect(patterns).toHaveLength(2); // the model's and the schedule's
    for (const p of patterns) {
      // Chromium ignores a pattern that does not compile with the v flag, and the form posts whatever was typed.
      const field = new RegExp(`^(?:${p})$`, 'v');
      expect(field.test('churn-v2.1_a'), p).toBe(true);
      expect(field.test('Churn Model'), p).toBe(false);
      expect(field.test('-churn'), p).toBe(false);
    }
  });
});
