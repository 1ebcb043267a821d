import { describe, expect, it } from 'vitest';
import { adviceFor, durationText, progressPercent, runSeconds } from '../src/shared/job-progress.js';
import { modelSummary, taskText } from '../src/shared/model-summary.js';
import { countOf, formatBytes, formatCount } from '../src/shared/numbers.js';
import { adminLoginPage, adminPage } from '../src/views/admin-page.js';
import { jobPage } from '../src/views/job-page.js';
import { outboxPage } from '../src/views/outbox-page.js';
import { uploadPage } from '../src/views/upload-page.js';

const HOSTILE = `<script>alert("x")</script>' onmouseover='1`;

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
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(20 * 1024 * 1024)).toBe('20 MB');
    expect(durationText(0.43)).toBe('0.4 s');
    expect(durationText(61)).toBe('1 min 1 s');
    expect(durationText(7260)).toBe('2 h 1 min');
    expect(runSeconds({ startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:02.5Z' })).toBe(2.5);
    expect(runSeconds({ startedAt: '2026-01-01T00:00:00Z', finishedAt: null })).toBeNull();
    expect(progressPercent({ total: 3, processed: 2, failed: 0 })).toBe(66);
    expect(progressPercent({ total: 0, processed: 0, failed: 0 })).toBe(0);
  });

  it('says what to do about an outcome', () => {
    expect(adviceFor({ status: 'failed', rows: { total: 5, processed: 5, failed: 5 } })).toMatch(/^No row could be scored/);
    expect(adviceFor({ status: 'failed', rows: { total: 5, processed: 2, failed: 0 } })).toMatch(/problem on our side/);
    expect(adviceFor({ status: 'succeeded', rows: { total: 5000, processed: 5000, failed: 1200 } })).toMatch(
      /^1,200 rows could not be scored/,
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
        links,
      },
      { summary: HOSTILE, errors: HOSTILE, cancel: HOSTILE, cancelForm: HOSTILE },
    );
    expectOnlyOwnScripts(page, ['/static/browser/job.js']);
    expect(page).toContain('<span class="filename">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;1</span>');
    expect(page).toContain('<dd id="sum-duration">1 min 5 s</dd>');
    expect(page).toContain('<p id="speed" class="muted" hidden>');
    expect(page).toMatch(/<p id="advice">No row could be scored/);
  });

  it('the job page of an uploaded workbook: how it was read (sheet names and notes come from the file) and its downloads', () => {
    const page = jobPage(
      {
        id: '1',
        status: 'succeeded',
        filename: 'book.xlsx',
        model: { name: 'm', version: 1 },
        rows: { total: 2, processed: 2, failed: 0 },
        error: null,
        links: { self: '/api/jobs/1?token=t', results: '/api/jobs/1/results.csv?token=t' },
        input: { format: 'xlsx', compression: 'gzip', sheet: HOSTILE, notes: [HOSTILE] },
      },
      {
        summary: 's',
        errors: 'e',
        cancel: 'c',
        cancelForm: 'f',
        downloads: [
          { format: 'xlsx', href: `/x.xlsx?${HOSTILE}`, unavailable: null },
          { format: 'csv', href: '/x.csv', unavailable: null },
          { format: 'parquet', href: '/x.parquet', unavailable: HOSTILE },
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
  });

  it('the upload page', () => {
    const page = uploadPage(
      [{ name: HOSTILE, version: 1, description: HOSTILE, columns: [HOSTILE, 'b'], task: 'classifier', classLabels: [HOSTILE] }],
      { error: HOSTILE, email: HOSTILE, maxUploadBytes: 1536 },
    );
    expectOnlyOwnScripts(page, ['/static/browser/upload.js']);
    expect(page).toContain('data-max-bytes="1536"');
    expect(page).toContain('Up to 1.5 KB.');
    expect(page).toContain(`data-columns="[&quot;&lt;script&gt;`);
  });

  it('the admin pages and the outbox', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    const page = adminPage(
      {
        jobs: [
          {
            id: HOSTILE,
            status: 'failed',
            email: HOSTILE,
            model: HOSTILE,
            modelVersion: 1,
            rowsProcessed: 1,
            rowsTotal: 2,
            rowsFailed: 1,
            startedAt: at,
            finishedAt: at,
            createdAt: at,
            filename: HOSTILE,
            schedule: HOSTILE,
            error: HOSTILE,
          },
        ],
        models: [
          {
            name: HOSTILE,
            versions: [
              {
                version: 1,
                sha256: HOSTILE,
                task: HOSTILE,
                createdAt: at.toISOString(),
                description: HOSTILE,
                format: HOSTILE,
                library: HOSTILE,
                libraryVersion: HOSTILE,
                original: HOSTILE,
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
      },
    );
    expectOnlyOwnScripts(page, []);
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
