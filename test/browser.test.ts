import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { formatBytes } from '@batchcast/bytes';
import { readOutbox } from '@batchcast/mail';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebContext } from '../apps/web/src/context.js';
import { devOutboxApp } from '../apps/web/src/routes/outbox.js';
import { csvObjects } from './support/csv.js';
import { fileBlob, submit } from './support/http.js';
import { inPlatformDb, runClean, submitOk } from './support/faults.js';
import { ADMIN_TOKEN, examples, Platform, repoRoot } from './support/platform.js';
import { CHROMIUM, hasChromium, launchChromium, openWatched, problemsOf } from './support/chromium.js';

/**
 * The pages as a person uses them, in headless Chromium: upload through the form, follow the job page to
 * the end, read the chart and the preview, download the results through the page's link; the header
 * check refusing a wrong file before anything is sent; cancelling; a `<script>` cell shown as text; and
 * the same pages on a phone-sized screen. Screenshots go to test-artifacts/screenshots/.
 */
const shots = path.join(repoRoot, 'test-artifacts', 'screenshots');

let platform: Platform;
let browser: Browser;
let desktop: BrowserContext;
let tmp: string;

if (!hasChromium) {
  it.skip(`browser tests skipped: ${CHROMIUM} is absent (install it with: apt-get install -y chromium)`, () => undefined);
}

describe.skipIf(!hasChromium)('the pages in a browser', () => {
  beforeAll(async () => {
    tmp = path.join(os.tmpdir(), `batchcast-browser-${process.pid}`);
    await Promise.all([mkdir(shots, { recursive: true }), mkdir(tmp, { recursive: true })]);
    [platform, browser] = await Promise.all([
      // Small chunks: progress moves in steps, and a 30,000-row file runs long enough to cancel.
      new Platform({ workers: 1, env: { CHUNK_ROWS: '50' } }).start(),
      launchChromium(),
    ]);
    desktop = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /** A page that records any script error (a CSP violation included): see problemsOf. */
  const open = (ctx: BrowserContext, url: string): Promise<Page> => openWatched(ctx, platform.url(url));

  let jobPageUrl = '';

  it('uploads iris.csv through the page, shows progress, the chart and the preview, and downloads the results', async () => {
    const page = await open(desktop, '/');
    await page.selectOption('select[name="model"]', 'iris-logreg@1');
    await page.setInputFiles('input[name="file"]', path.join(examples, 'data/iris.csv'));
    await expect.poll(() => page.textContent('#file-check')).toContain('all 4 columns iris-logreg needs are there');
    await page.fill('input[name="email"]', 'analyst@example.com');
    await page.screenshot({ path: path.join(shots, 'upload-desktop.png'), fullPage: true });

    const sent = page.waitForRequest((r) => r.url().endsWith('/api/jobs') && r.method() === 'POST');
    await page.click('button[type="submit"]');
    await sent;
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}\?token=/);
    jobPageUrl = page.url();
    await page.waitForSelector('#status[data-status="succeeded"]', { timeout: 60_000 });
    expect(await page.textContent('#counts')).toBe('150 rows: 150 scored, 0 failed');
    expect(await page.$eval('#progress', (p) => (p as HTMLProgressElement).value)).toBe(100);

    // Summary, chart (one bar per class) and the preview of the first rows.
    await page.waitForSelector('#preview-card:not([hidden])');
    expect(await page.textContent('#sum-rows')).toBe('150');
    expect(await page.textContent('#sum-failed')).toBe('0');
    expect(await page.textContent('#sum-model')).toBe('iris-logreg v1');
    expect(await page.$$eval('#chart svg rect.bar', (r) => r.length)).toBe(3);
    expect(await page.textContent('#chart')).toMatch(/setosa[\s\S]*versicolor[\s\S]*virginica/);
    expect(await page.$$eval('#preview tbody tr', (r) => r.length)).toBe(20);
    // The columns in the download's order: the file's own, then the predictions.
    const headers = await page.$$eval('#preview th', (th) => th.map((h) => h.textContent));
    expect(headers).toEqual([
      'sepal_length',
      'sepal_width',
      'petal_length',
      'petal_width',
      'species',
      'prediction',
      'probability_setosa',
      'probability_versicolor',
      'probability_virginica',
    ]);
    expect(await page.textContent('#preview tbody tr:first-child td:nth-child(6)')).toBe('setosa');
    expect(await page.isVisible('#errors-link')).toBe(false);
    expect(await page.isVisible('#cancel-button')).toBe(false);
    await page.screenshot({ path: path.join(shots, 'job-succeeded-desktop.png'), fullPage: true });

    // The download through the page's own link: the input rows and the predictions scikit-learn made.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#results-link')]);
    const file = path.join(tmp, download.suggestedFilename());
    await download.saveAs(file);
    expect(download.suggestedFilename()).toBe('iris-predictions.csv');
    const out = csvObjects(await readFile(file, 'utf8'));
    const want = csvObjects(await readFile(path.join(examples, 'data/iris.expected.csv'), 'utf8'));
    expect(out.rows).toHaveLength(150);
    out.rows.forEach((row, i) => {
      const exp = want.rows[i]!;
      expect(row.prediction, `row ${i + 1}`).toBe(exp.label);
      for (const k of ['setosa', 'versicolor', 'virginica']) {
        expect(Math.abs(Number(row[`probability_${k}`]) - Number(exp[`p_${k}`])), `row ${i + 1} ${k}`).toBeLessThanOrEqual(1e-4);
      }
    });
    // Back to the form: the browser puts the file back in its input, and the page checks it again (it showed
    // the file chosen and said nothing about it), ready to be sent anew under a new one-time key.
    await page.goBack();
    await page.waitForURL(/\/$/);
    await expect.poll(() => page.evaluate(() => (document.getElementById('file-input') as HTMLInputElement).files?.length)).toBe(1);
    await expect.poll(() => page.textContent('#file-check')).toContain('all 4 columns iris-logreg needs are there');
    expect(await page.isEnabled('#submit-button')).toBe(true);
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it("tells a screen reader the upload's progress in tenths, and asks before leaving a page that is sending", async () => {
    const page = await open(desktop, '/');
    // A slow connection (1 MB/s up) and a 3 MB file: about thirty progress events.
    const cdp = await desktop.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 20,
      downloadThroughput: -1,
      uploadThroughput: 1_000_000,
    });
    const iris = (await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).split('\n');
    const body = iris.slice(1).filter(Boolean).join('\n');
    const rows = [iris[0], ...Array.from({ length: Math.ceil(3_000_000 / body.length) }, () => body)].join('\n');
    await page.setInputFiles('input[name="file"]', { name: 'slow.csv', mimeType: 'text/csv', buffer: Buffer.from(`${rows}\n`) });
    await expect.poll(() => page.textContent('#file-check')).toContain('needs are there');
    // What a screen reader hears: every change of a live region of the upload's status; and what is shown.
    await page.evaluate(() => {
      const w = window as unknown as { heard: string[]; shown: string[] };
      w.heard = [];
      w.shown = [];
      for (const region of document.querySelectorAll('#upload-status [aria-live]')) {
        new MutationObserver(() => w.heard.push(region.textContent ?? '')).observe(region, {
          childList: true,
          characterData: true,
          subtree: true,
        });
      }
      const detail = document.getElementById('upload-detail')!;
      new MutationObserver(() => w.shown.push(detail.textContent ?? '')).observe(detail, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    await page.click('button[type="submit"]');
    // At 60 %: nothing is scored yet.
    await page.waitForFunction(() => Number((document.getElementById('upload-progress') as HTMLProgressElement).value) >= 60);
    // Leaving the page now would lose the upload: the browser asks first (and stays, when told to).
    const asked = page.waitForEvent('dialog');
    await page.close({ runBeforeUnload: true });
    const dialog = await asked;
    expect(dialog.type()).toBe('beforeunload');
    await dialog.dismiss();
    expect(page.isClosed()).toBe(false);
    await page.click('#abort-button');
    await expect.poll(() => page.textContent('#form-error')).toContain('The upload was stopped');
    const { heard, shown } = await page.evaluate(() => {
      const w = window as unknown as { heard: string[]; shown: string[] };
      return { heard: w.heard, shown: w.shown };
    });
    expect(shown.length).toBeGreaterThan(12); // the visible line followed the upload closely
    expect(heard[0]).toMatch(/^Uploaded \d% · .* of 2.9 MiB/); // the first tenth
    // A tenth at a time, each once, in order: 0 % to 60 % at least (the upload goes on until the abort is
    // clicked, after the question, so it may have passed 70 % by then).
    const tenths = heard.map((h) => Math.floor(Number(/^Uploaded (\d+)% · /.exec(h)?.[1] ?? Number.NaN) / 10));
    expect(tenths.length).toBeGreaterThanOrEqual(6);
    expect(tenths.every((t, i) => Number.isInteger(t) && (i === 0 || t > tenths[i - 1]!))).toBe(true);
    expect(heard.length).toBeLessThan(shown.length / 2);
    expect(await page.$eval('#upload-announce', (e) => e.className)).toBe('visually-hidden');
    await cdp.detach();
    const closed = page.waitForEvent('close'); // nothing is being sent any more: no question, the page closes
    await page.close({ runBeforeUnload: true });
    await closed;
  });

  it("refuses a file without the model's columns in the browser, before uploading anything", async () => {
    const page = await open(desktop, '/');
    const uploads = () => readdir(path.join(platform.dataDir, 'uploads')).catch(() => []);
    const before = await uploads();
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') posts.push(r.url());
    });
    await page.selectOption('select[name="model"]', 'iris-logreg@1');
    await page.setInputFiles('input[name="file"]', path.join(examples, 'data/diabetes.csv'));
    await expect.poll(() => page.textContent('#file-check')).toContain('missing 4 columns');
    const check = (await page.textContent('#file-check'))!;
    for (const c of ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']) expect(check).toContain(c);
    expect(await page.getAttribute('#file-check a', 'href')).toBe('/models/iris-logreg/sample.csv');

    await page.click('button[type="submit"]');
    await expect.poll(() => page.textContent('#file-check')).toMatch(/not sent.*missing 4 columns/s);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('file-check');
    await page.screenshot({ path: path.join(shots, 'upload-refused-desktop.png'), fullPage: true });
    expect(posts).toEqual([]);
    expect(await uploads()).toEqual(before);

    // The model the file is for is offered (its columns fit diabetes-gbr alone), and choosing it clears the complaint.
    expect(await page.locator('#file-check button.use-model').allTextContents()).toEqual(['Use diabetes-gbr']);
    // Its header is right for that model: no advice about lines above the header (was "if the column names are on a later line…").
    expect(check).not.toContain('None of them is in the header as read');
    await page.click('#file-check button.use-model');
    expect(await page.inputValue('select[name="model"]')).toBe('diabetes-gbr@1');
    await expect.poll(() => page.textContent('#file-check')).toContain('all 10 columns diabetes-gbr needs are there');
    // A refusal by the server is shown in words too: the rows cannot be read as numbers.
    await page.selectOption('select[name="model"]', 'iris-logreg@1');
    await page.setInputFiles('input[name="file"]', {
      name: 'words.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('sepal_length,sepal_width,petal_length,petal_width\nlong,wide,long,narrow\n'),
    });
    await expect.poll(() => page.textContent('#file-check')).toContain('needs are there');
    await page.click('button[type="submit"]');
    await page.waitForSelector('#form-error:not([hidden])');
    expect(await page.textContent('#form-error')).toContain('column "sepal_length": "long" is not a number');
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it("gives a missing column's hints in the browser as the server does: the close name, and the invisible character shown", async () => {
    const page = await open(desktop, '/');
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') posts.push(r.url());
    });
    await page.selectOption('select[name="model"]', 'iris-logreg@1');
    // `sepal length` for sepal_length, and petal_width behind a zero-width space: both look right, neither matches.
    const rows = (await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).split('\n').slice(1).join('\n');
    const bytes = Buffer.from(`sepal length,sepal_width,petal_length,\u200bpetal_width,species\n${rows}`);
    await page.setInputFiles('input[name="file"]', { name: 'spaced.csv', mimeType: 'text/csv', buffer: bytes });
    const hints = 'sepal_length (the file has "sepal length"), petal_width (the file has "\\u200bpetal_width")';
    const unseen = 'In the header, "\\u200bpetal_width" holds an invisible character (U+200B): delete that name and type it again.';
    await expect.poll(() => page.textContent('#file-check')).toContain('missing 2 columns');
    expect(await page.$$eval('#file-check p', (ps) => ps.map((p) => p.textContent))).toEqual([
      `✗ spaced.csv · ${formatBytes(bytes.length)}`,
      `The file is missing 2 columns that iris-logreg needs: ${hints}.`,
      "Rename the columns of close names to the model's, or add the missing ones to the header row (names are matched ignoring upper/lower case and surrounding spaces), choose another model, or start from a sample: Download a sample CSV for iris-logreg.",
      unseen,
    ]);
    // Before sending: nothing was posted, and pressing the button sends nothing either.
    await page.click('button[type="submit"]');
    await expect.poll(() => page.textContent('#file-check')).toMatch(/not sent.*missing 2 columns/s);
    expect(posts).toEqual([]);
    // The server, sent the same file, says the same of those names.
    const server = (await (await submit(platform, bytes, { model: 'iris-logreg', filename: 'spaced.csv' })).json()) as {
      error: { code: string; message: string };
    };
    expect(server.error.code).toBe('missing_columns');
    expect(server.error.message).toContain(`needs: ${hints}. Rename the columns of close names to the model's, or add the missing ones`);
    expect(server.error.message).toContain(`(names are matched ignoring upper/lower case and surrounding spaces). ${unseen}`);
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it('cancels a running job from its page', async () => {
    const [header, ...rows] = (await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd().split('\n');
    const big = path.join(tmp, 'big-iris.csv');
    await writeFile(big, `${[header, ...Array.from({ length: 200 }, () => rows).flat()].join('\n')}\n`); // 30,000 rows
    const page = await open(desktop, '/');
    await page.setInputFiles('input[name="file"]', big);
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/jobs\//);
    // Live progress: rows done and a rate, without reloading.
    await page.waitForFunction(() => document.getElementById('rate')?.textContent !== '–', null, { timeout: 30_000 });
    expect(await page.textContent('#eta')).toMatch(/left/);
    await page.screenshot({ path: path.join(shots, 'job-running-desktop.png'), fullPage: true });

    page.once('dialog', (d) => void d.accept());
    await page.click('#cancel-button');
    await page.waitForSelector('#status[data-status="cancelled"]');
    expect(await page.isVisible('#cancel-button')).toBe(false);
    expect(await page.isVisible('#results-link')).toBe(false);
    expect(await page.textContent('#advice')).toMatch(/cancelled/);
    const statusUrl = await page.getAttribute('#job', 'data-status-url');
    const job = await (await fetch(platform.url(statusUrl!))).json();
    expect(job.status).toBe('cancelled');
    expect(job.rows.processed).toBeLessThan(30_000);
    await page.screenshot({ path: path.join(shots, 'job-cancelled-desktop.png'), fullPage: true });
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it("offers no Cancel button on a running job's page opened through a link of an API key without jobs:write", async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const made = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: 'reader-link', scopes: ['jobs:write', 'jobs:read'] }),
    });
    expect(made.status).toBe(201);
    const key = (await made.json()) as { id: string; key: string };
    const [header, ...rows] = (await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd().split('\n');
    const form = new FormData();
    form.set('model', 'iris-logreg');
    // 30,000 rows in chunks of 50: still running while the page is looked at (and cancelled at the end).
    form.set(
      'file',
      fileBlob(Buffer.from(`${[header, ...Array.from({ length: 200 }, () => rows).flat()].join('\n')}\n`), 'text/csv'),
      'big.csv',
    );
    const submitted = await fetch(platform.url('/api/jobs'), {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${key.key}` },
    });
    expect(submitted.status).toBe(202);
    const job = (await submitted.json()) as { id: string; links: { page: string; self: string } };
    const scopes = async (list: string[]) => {
      const res = await fetch(platform.url(`/api/keys/${key.id}`), {
        method: 'PATCH',
        headers: admin,
        body: JSON.stringify({ scopes: list }),
      });
      expect(res.status).toBe(200);
    };
    await scopes(['jobs:read']);
    try {
      const page = await open(desktop, job.links.page);
      // Polled at least once (a rate is shown) while the job runs: the script, too, leaves the button hidden.
      await page.waitForFunction(() => document.getElementById('rate')?.textContent !== '–', null, { timeout: 30_000 });
      expect(await page.getAttribute('#status', 'data-status')).toBe('running');
      expect(await page.isVisible('#cancel-button')).toBe(false);
      expect(problemsOf(page)).toEqual([]);
      await page.close();
      // The same link with jobs:write given back: the button is there.
      await scopes(['jobs:read', 'jobs:write']);
      const again = await open(desktop, job.links.page);
      await again.waitForSelector('#cancel-button', { state: 'visible' });
      await again.close();
    } finally {
      // Not left running for the tests after this one (one worker).
      await fetch(platform.url(`/api/jobs/${job.id}/cancel${new URL(job.links.self, platform.baseUrl).search}`), { method: 'POST' });
    }
  });

  it('shows a <script> cell as text', async () => {
    const page = await open(desktop, '/');
    const csv =
      'sepal_length,sepal_width,petal_length,petal_width,note\n5.1,3.5,1.4,0.2,<script>window.__pwned=1</script>\n6.2,2.9,4.3,1.3,<img src=x onerror="window.__pwned=2">\n';
    await page.setInputFiles('input[name="file"]', { name: 'tricky.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await expect.poll(() => page.textContent('#file-check')).toContain('needs are there');
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/jobs\//);
    await page.waitForSelector('#preview-card:not([hidden])', { timeout: 60_000 });
    const cells = await page.$$eval('#preview tbody td', (td) => td.map((c) => c.textContent));
    expect(cells).toContain('<script>window.__pwned=1</script>');
    expect(cells).toContain('<img src=x onerror="window.__pwned=2">');
    expect(await page.$$eval('#preview script, #preview img', (n) => n.length)).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it('lists the first failed rows on the job page, each with its row, column, value and reason, as text', async () => {
    const page = await open(desktop, '/');
    const iris = (await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd();
    // Failures after the preview's first 20 rows: before, the page only counted them.
    const bad = ['1.0,2.0', '<img src=x onerror="window.__pwned=4">,3.0,1.4,0.2,setosa', ...Array(11).fill('na,3.0,1.4,0.2,setosa')];
    await page.setInputFiles('input[name="file"]', {
      name: 'failing.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`${[iris, ...bad].join('\n')}\n`),
    });
    await expect.poll(() => page.textContent('#file-check')).toContain('needs are there');
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/jobs\//);
    await page.waitForSelector('#failures-card:not([hidden])', { timeout: 60_000 });
    expect(await page.$$eval('#failures th', (th) => th.map((h) => h.textContent))).toEqual(['row', 'column', 'value', 'reason']);
    const rows = await page.$$eval('#failures tbody tr', (tr) => tr.map((r) => [...r.children].map((c) => c.textContent)));
    expect(rows).toHaveLength(10);
    expect(rows[0]).toEqual(['151 (line 152)', '(the whole row)', '', expect.stringContaining('row has 2 fields, the header has 5')]);
    expect(rows[1]).toEqual([
      '152 (line 153)',
      'sepal_length',
      '<img src=x onerror="window.__pwned=4">',
      'column "sepal_length": "<img src=x onerror=""window.__pwned=4"">" is not a number',
    ]);
    expect(rows[2]).toEqual([
      '153 (line 154)',
      'sepal_length',
      // `na` is no missing value for pandas (`NA` and `n/a` are: they would be read as such, and score as empty cells).
      'na',
      'column "sepal_length": "na" is not a number; if it marks a missing value, leave the cell empty or write one of the markers pandas reads, exactly (NA, NULL, N/A, #N/A, NaN…)',
    ]);
    expect(await page.textContent('#failures-note')).toContain('The first 10 of 13 failed rows.');
    // What the page says of the download is what it is: a list of failures, not rows to correct and send again.
    const download = (await page.textContent('#errors-link'))!;
    expect(download).toBe('Download the list of failed rows (CSV)');
    expect(await page.textContent('#advice')).toBe(
      '13 rows could not be scored: the "error" column of the results says why, and so does the list of failed rows (row number, column, value, reason). To score them, correct those cells in your file and upload just those rows again.',
    );
    expect(await page.textContent('#failures-note')).toContain(
      `"${download.replace(' (CSV)', '')}" lists every one, with its row number, column, value and reason.`,
    );
    const [errors] = await Promise.all([page.waitForEvent('download'), page.click('#errors-link')]);
    const listed = csvObjects(await readFile((await errors.path())!, 'utf8'));
    expect(listed.header).toEqual(['row', 'column', 'value', 'reason', 'line']);
    expect(listed.rows).toHaveLength(13);
    expect(await page.$$eval('#failures img', (n) => n.length)).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.screenshot({ path: path.join(shots, 'job-failed-rows-desktop.png'), fullPage: true });
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it('reads a CSV without a header row when told so: checked as the server reads it, and said on the job page', async () => {
    const page = await open(desktop, '/');
    await page.selectOption('select[name="model"]', 'iris-logreg@1');
    const iris = await readFile(path.join(examples, 'data/iris.csv'), 'utf8');
    const choose = (name: string, buffer: Buffer) => page.setInputFiles('input[name="file"]', { name, mimeType: 'text/csv', buffer });
    await page.click('#file-options summary');
    // The options side by side on a desktop, the box's label beside it: a grid on the <details> itself held them all in
    // its first cell, one above the other, in Chromium (its content is wrapped in ::details-content).
    const boxes = await page.$$eval('#file-options label', (labels) =>
      labels.map((l) => {
        const r = l.getBoundingClientRect();
        return { top: Math.round(r.top), left: Math.round(r.left) };
      }),
    );
    expect(new Set(boxes.slice(0, 4).map((b) => b.top)).size, JSON.stringify(boxes)).toBe(1);
    expect(new Set(boxes.slice(0, 4).map((b) => b.left)).size, JSON.stringify(boxes)).toBe(4);
    const box = await page.$eval('#header-input', (i) => i.getBoundingClientRect().top);
    const words = await page.$eval('#file-options label.no-header', (l) => l.getBoundingClientRect().top);
    expect(Math.abs(box - words)).toBeLessThan(12);
    await page.check('#header-input');
    await choose('iris.csv', Buffer.from(iris));
    await expect
      .poll(() => page.textContent('#file-check'))
      .toContain('The first line names the columns iris-logreg needs: the file has a header row. Uncheck "The file has no header row".');
    await choose('short.csv', Buffer.from('5.1,3.5,1.4\n4.9,3.0,1.4\n'));
    await expect.poll(() => page.textContent('#file-check')).toContain("but the file's first line has 3 fields.");
    // ';' with decimal commas: ',' splits each line as evenly, the cells that are numbers tell ';' (as on the server).
    await choose('iris-de.csv', Buffer.from('5,1;3,5;1,4;0,2\r\n6,7;3,0;5,2;2,3\r\n'));
    await expect
      .poll(() => page.textContent('#file-check'))
      .toContain("(semicolon-separated CSV, no header row): its first 4 columns read as iris-logreg's, in its order.");
    await choose('no-header.csv', Buffer.from(iris.split('\n').slice(1).join('\n')));
    await expect
      .poll(() => page.textContent('#file-check'))
      .toContain("no header row): its first 4 columns read as iris-logreg's, in its order.");
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/jobs\//);
    await page.waitForSelector('#status[data-status="succeeded"]', { timeout: 60_000 });
    expect(await page.textContent('#input-format')).toBe('Read as CSV (comma-separated, decimal point, no header row).');
    expect(await page.textContent('#input-notes')).toContain('The file was read without a header row, as chosen');
  });

  it('checks a `;` CSV and JSON Lines in the browser, refuses a header without rows, and leaves a workbook to the server', async () => {
    const page = await open(desktop, '/');
    await page.selectOption('select[name="model"]', 'iris-logreg@1');
    const iris = await readFile(path.join(examples, 'data/iris.csv'), 'utf8');
    const choose = (name: string, buffer: Buffer) =>
      page.setInputFiles('input[name="file"]', { name, mimeType: 'application/octet-stream', buffer });
    await choose('iris-de.csv', Buffer.from(iris.replaceAll(',', ';')));
    await expect
      .poll(() => page.textContent('#file-check'))
      .toContain('(semicolon-separated CSV): all 4 columns iris-logreg needs are there');
    await choose('header.csv', Buffer.from(`${iris.split('\n')[0]}\n`));
    await expect.poll(() => page.textContent('#file-check')).toContain('no data rows');
    // A title line above the header: the check says what it read as the header.
    await choose('report.csv', Buffer.from(`Iris report\n${iris}`));
    await expect
      .poll(() => page.textContent('#file-check'))
      .toContain(
        'None of them is in the header as read, "Iris report": if the column names are on a later line, delete the lines above them.',
      );
    // No header row at all (df.to_csv(header=False)): said so, with the model's columns to name, as the server says it.
    await choose('no-header.csv', Buffer.from(iris.split('\n').slice(1).join('\n')));
    await expect
      .poll(() => page.textContent('#file-check'))
      .toContain(
        'The first line is mostly numbers ("5.1", "3.5", "1.4", "0.2", "setosa"): the file seems to have no header row. If its columns are the model\'s, in the model\'s order (sepal_length, sepal_width, petal_length, petal_width), tick "The file has no header row" under "How to read the file" above;',
      );
    const [head, ...rows] = iris.trimEnd().split('\n');
    const keys = head!.split(',');
    const jsonl = rows.map((r) => JSON.stringify(Object.fromEntries(r.split(',').map((v, i) => [keys[i]!, v])))).join('\n');
    await choose('iris.jsonl', Buffer.from(jsonl));
    await expect.poll(() => page.textContent('#file-check')).toContain('(JSON Lines): all 4 columns iris-logreg needs are there');
    await page.setInputFiles('input[name="file"]', path.join(repoRoot, 'test/fixtures/formats/merged-header.xlsx'));
    await expect.poll(() => page.textContent('#file-check')).toContain('an Excel workbook. Its columns are checked by the server');
    await page.click('#file-options summary');
    await page.screenshot({ path: path.join(shots, 'upload-xlsx-desktop.png'), fullPage: true });

    // Sent: the job page says how the file was read and offers Excel results first.
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/jobs\//);
    await page.waitForSelector('#status[data-status="succeeded"]', { timeout: 60_000 });
    expect(await page.textContent('#input-format')).toBe('Read as Excel (sheet "iris").');
    expect(await page.textContent('#input-notes')).toMatch(/merged/i);
    expect(await page.textContent('#results-link')).toBe('Download the results (Excel)');
    await page.screenshot({ path: path.join(shots, 'job-xlsx-desktop.png'), fullPage: true });
    expect(await page.isVisible('#other-results')).toBe(true);
    expect(await page.$$eval('#other-results a', (a) => a.map((l) => l.textContent))).toEqual(['CSV', 'Parquet', 'JSON Lines']);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#results-link')]);
    expect(download.suggestedFilename()).toBe('merged-header-predictions.xlsx');
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it("reads Python's NaN in JSON Lines and in a JSON array as the server does: a missing value, the file checked and sent", async () => {
    // json.dump(df.to_dict('records')) writes a missing float as NaN, which JSON has not, and the server reads as null.
    // The page refused a first JSON Lines line holding it ("not valid JSON"), which the API and the CLI take.
    const page = await open(desktop, '/');
    await page.selectOption('select[name="model"]', 'iris-logreg@1');
    const record = (sepalLength: string) => `{"sepal_length": ${sepalLength}, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}`;
    const choose = (name: string, text: string) =>
      page.setInputFiles('input[name="file"]', { name, mimeType: 'application/octet-stream', buffer: Buffer.from(text) });
    await choose('first-nan.jsonl', `${record('NaN')}\n${record('5.1')}\n`);
    await expect.poll(() => page.textContent('#file-check')).toContain('(JSON Lines): all 4 columns iris-logreg needs are there');
    await choose('records.json', `[${record('5.1')}, ${record('NaN')}, ${record('6.3')}]`);
    await expect.poll(() => page.textContent('#file-check')).toContain('a JSON array');
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/jobs\//);
    await page.waitForSelector('#status[data-status="succeeded"]', { timeout: 60_000 });
    expect(await page.textContent('body')).toContain('3 rows: 2 scored, 1 failed');
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it('says in the browser what the server will refuse of a header, and shows nothing it cannot check as checked', async () => {
    const page = await open(desktop, '/');
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') posts.push(r.url());
    });
    await page.selectOption('select[name="model"]', 'iris-logreg@1');
    const choose = (name: string, buffer: Buffer) =>
      page.setInputFiles('input[name="file"]', { name, mimeType: 'application/octet-stream', buffer });
    const kind = () => page.getAttribute('#file-check', 'data-kind');
    const iris = await readFile(path.join(examples, 'data/iris.csv'), 'utf8');
    // Old Mac line endings: read as the server reads them (was refused, "Line 1 ends with a bare carriage return").
    await choose('mac.csv', Buffer.from(iris.replaceAll('\n', '\r')));
    await expect.poll(() => page.textContent('#file-check')).toContain('all 4 columns iris-logreg needs are there');
    expect(await kind()).toBe('ok');
    // A first line of 2 million columns: the limit, and what to do (was "too long to be a header row", and no more).
    await choose('one-line.csv', Buffer.from(`${iris.split('\n')[0]},${'x,'.repeat(2_000_000)}\n`));
    await expect.poll(() => page.textContent('#file-check')).toContain('has more than 20,000 columns, the most batchcast reads');
    expect(await page.textContent('#file-check')).toContain('save it again with one row per line');
    expect(await kind()).toBe('bad');
    // A workbook: only the server reads it, so nothing is shown as checked.
    await page.setInputFiles('input[name="file"]', path.join(repoRoot, 'test/fixtures/formats/merged-header.xlsx'));
    await expect.poll(() => page.textContent('#file-check')).toContain('an Excel workbook. Its columns are checked by the server');
    expect(await kind()).toBeNull();
    // A binary file, which the server refuses: not in a success's green beside the refusal, which is a sentence.
    await choose('garbage.bin', Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 7919) % 256)));
    await expect.poll(() => page.textContent('#file-check')).toContain('not plain text');
    expect(await kind()).toBeNull();
    expect(await page.textContent('#file-check')).not.toMatch(/✓/);
    expect(posts).toEqual([]);
    await page.click('button[type="submit"]');
    await page.waitForSelector('#form-error:not([hidden])');
    expect((await page.textContent('#form-error'))!.trim()).toMatch(/^This is a binary file, not text; /);
    expect(await kind()).toBeNull();
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it('deletes a job from its page after a confirm step, and this browser forgets it', async () => {
    const job = await submitOk(platform, path.join(examples, 'data/iris.csv'), { model: 'iris-logreg', filename: 'to-delete.csv' });
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await open(ctx, job.links.page);
      await page.waitForSelector('#status[data-status="succeeded"]');
      await page.waitForFunction((id) => (window.localStorage.getItem('batchcast.jobs') ?? '').includes(id), job.id);
      // The button is behind the <details> that says what goes: nothing is deleted by opening it.
      expect(await page.isVisible('#delete-button')).toBe(false);
      await page.click('#delete-heading');
      await Promise.all([page.waitForURL((u) => u.pathname === `/jobs/${job.id}`), page.click('#delete-button')]);
      expect(await page.textContent('h1')).toBe('This job has been deleted');
      expect(await page.evaluate(() => window.localStorage.getItem('batchcast.jobs'))).not.toContain(job.id);
      expect((await fetch(platform.url(job.links.self))).status).toBe(410);
      expect(problemsOf(page)).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('keeps the home page list of one tab true to what another tab does: a job opened there shows, one forgotten there goes', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const first = await open(ctx, '/');
      expect(await first.isVisible('#my-jobs')).toBe(false); // a new browser remembers nothing
      // Another tab opens a job (its page remembers it): the first tab's list shows it without a reload.
      const second = await open(ctx, jobPageUrl.slice(platform.baseUrl.length));
      await second.waitForSelector('#status[data-status="succeeded"]');
      await first.waitForSelector('#my-jobs:not([hidden])');
      await first.locator('#my-jobs-list li .badge[data-status="succeeded"]').waitFor();
      expect(await first.locator('#my-jobs-list li').count()).toBe(1);
      // Forgotten in the other tab: gone from the first tab's list too, and it stays gone.
      await second.goto(platform.url('/'));
      await second.locator('#my-jobs-list li .my-job-forget').click();
      await first.waitForSelector('#my-jobs', { state: 'hidden' });
      await first.reload();
      expect(await first.isVisible('#my-jobs')).toBe(false);
      expect(await second.evaluate(() => window.localStorage.getItem('batchcast.jobs'))).toBe('[]');
      expect([...problemsOf(first), ...problemsOf(second)]).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('lists a job submitted without an email on the home page and opens it from there; its page says when its results are deleted', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await open(ctx, '/');
      expect(await page.isVisible('#my-jobs')).toBe(false); // a new browser remembers nothing
      await page.setInputFiles('input[name="file"]', {
        name: 'no-email.csv',
        mimeType: 'text/csv',
        buffer: await readFile(path.join(examples, 'data/iris.csv')),
      });
      await expect.poll(() => page.textContent('#file-check')).toContain('needs are there');
      await page.click('button[type="submit"]');
      await page.waitForURL(/\/jobs\/[0-9a-f-]{36}\?token=/);
      const jobUrl = page.url();
      await page.waitForSelector('#status[data-status="succeeded"]', { timeout: 60_000 });
      const status = await (await fetch(platform.url((await page.getAttribute('#job', 'data-status-url'))!))).json();
      expect(Date.parse(status.expiresAt) - Date.parse(status.finishedAt)).toBe(7 * 24 * 3600_000);
      const expiry = (await page.textContent('#expiry'))!;
      expect(expiry).toMatch(
        /^Results are kept until \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} \S+, then deleted \(7 days after the job ended\)\.$/,
      );
      expect(problemsOf(page)).toEqual([]);
      await page.close();

      const home = await open(ctx, '/');
      await home.waitForSelector('#my-jobs:not([hidden])');
      const item = home.locator('#my-jobs-list li', { hasText: 'no-email.csv' });
      await item.locator('.badge[data-status="succeeded"]').waitFor();
      const facts = (await item.locator('.my-job-facts').textContent())!;
      expect(facts).toContain('iris-logreg v1');
      expect(facts).toContain('150 rows: 150 scored, 0 failed');
      expect(facts).toMatch(/kept until \d{1,2} [A-Z][a-z]{2} \d{4}/);
      await home.screenshot({ path: path.join(shots, 'home-my-jobs-desktop.png'), fullPage: true });
      await item.locator('a.my-job-link').click();
      await home.waitForURL(jobUrl);
      await home.waitForSelector('#status[data-status="succeeded"]');
      expect(problemsOf(home)).toEqual([]);

      // Forgotten on this browser only: the link still opens the job.
      await home.goto(platform.url('/'));
      await home.locator('#my-jobs-list li', { hasText: 'no-email.csv' }).locator('.my-job-forget').click();
      await home.waitForSelector('#my-jobs', { state: 'hidden' });
      await home.reload();
      expect(await home.isVisible('#my-jobs')).toBe(false);
      expect((await fetch(jobUrl)).status).toBe(200);
      await home.close();
    } finally {
      await ctx.close();
    }
  });

  /** The form's fields marked invalid, with what describes them. */
  const invalidFields = (page: Page) =>
    page.$$eval('#upload-form [aria-invalid="true"]', (els) =>
      els.map((e) => ({ id: e.id, describedBy: e.getAttribute('aria-describedby') })),
    );

  it('without JavaScript, uploads through the plain form, and ties each refusal to its field in words of the page', async () => {
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await ctx.newPage();
      const submitForm = async (file: string | null, email: string) => {
        await page.goto(platform.url('/'));
        if (file) await page.setInputFiles('#file-input', file);
        await page.fill('#email-input', email);
        await Promise.all([page.waitForNavigation(), page.click('#submit-button')]);
      };
      // No file: said as the page says it (not the API's multipart field), on the file input.
      await submitForm(null, '');
      expect((await page.textContent('#form-error'))?.trim()).toBe(
        'Choose a data file to score (2. Choose your data file), then press Start scoring.',
      );
      expect(await invalidFields(page)).toEqual([{ id: 'file-input', describedBy: 'file-help file-check form-error' }]);
      // An address the server refuses: on the address, which keeps what was typed.
      await submitForm(path.join(examples, 'data/iris.csv'), 'bob@example');
      expect((await page.textContent('#form-error'))?.trim()).toMatch(
        /^Your email address "bob@example" is not one we can send to: its domain "example"/,
      );
      expect(await invalidFields(page)).toEqual([{ id: 'email-input', describedBy: 'email-help form-error' }]);
      expect(await page.inputValue('#email-input')).toBe('bob@example');
      // A file that is no data file: on the file input.
      const png = path.join(tmp, 'picture.csv');
      await writeFile(png, Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex'));
      await submitForm(png, '');
      expect((await page.textContent('#form-error'))?.trim()).toMatch(/^This is a PNG image, not a data file/); // a sentence
      expect(await invalidFields(page)).toEqual([{ id: 'file-input', describedBy: 'file-help file-check form-error' }]);
      // A good file: the job page, which asks for a reload only while the job runs.
      await submitForm(path.join(examples, 'data/iris.csv'), '');
      expect(page.url()).toMatch(/\/jobs\/[0-9a-f-]{36}\?token=/);
      await expect
        .poll(async () => {
          await page.reload();
          return page.textContent('#status');
        })
        .toBe('succeeded');
      expect(await page.textContent('main')).not.toContain('Reload the page to see the progress');
    } finally {
      await ctx.close();
    }
  });

  it('without JavaScript, keeps how to read the file in a refused form, open, the field refused marked', async () => {
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await ctx.newPage();
      const options = () =>
        page.evaluate(() => ({
          open: (document.getElementById('file-options') as HTMLDetailsElement).open,
          delimiter: (document.getElementById('delimiter-input') as HTMLSelectElement).value,
          decimal: (document.getElementById('decimal-input') as HTMLSelectElement).value,
          sheet: (document.getElementById('sheet-input') as HTMLInputElement).value,
        }));
      const send = async (file: string, choices: { delimiter?: string; decimal?: string; sheet?: string }) => {
        await page.goto(platform.url('/'));
        expect((await options()).open).toBe(false); // folded away until needed
        await page.click('#file-options summary');
        if (choices.delimiter) await page.selectOption('#delimiter-input', choices.delimiter);
        if (choices.decimal) await page.selectOption('#decimal-input', choices.decimal);
        if (choices.sheet) await page.fill('#sheet-input', choices.sheet);
        await page.selectOption('#model-input', 'iris-logreg@1');
        await page.setInputFiles('#file-input', file);
        await page.fill('#email-input', 'ann@example.com');
        await Promise.all([page.waitForNavigation(), page.click('#submit-button')]);
        expect(await page.textContent('h1')).toBe('Score a data file'); // refused: the form again
        expect(await page.inputValue('#email-input')).toBe('ann@example.com');
        expect(await page.inputValue('#model-input')).toBe('iris-logreg@1');
      };
      // A sheet the workbook does not have (a name that is markup, shown as typed): the sheet is the field at fault.
      const sheet = 'Données "<b>2024</b>" & co';
      await send(path.join(repoRoot, 'test/fixtures/formats/merged-header.xlsx'), { delimiter: ';', decimal: ',', sheet });
      expect(await page.textContent('#form-error')).toContain('has no sheet named');
      expect(await options()).toEqual({ open: true, delimiter: ';', decimal: ',', sheet });
      expect(await invalidFields(page)).toEqual([{ id: 'sheet-input', describedBy: 'form-error' }]);
      expect(await page.$$eval('#file-options b', (b) => b.length)).toBe(0);
      // A decimal comma with commas between the columns: the decimal separator.
      await send(path.join(examples, 'data/iris.csv'), { delimiter: ',', decimal: ',' });
      expect(await page.textContent('#form-error')).toContain('A decimal comma cannot go with comma-separated columns');
      expect(await options()).toEqual({ open: true, delimiter: ',', decimal: ',', sheet: '' });
      expect(await invalidFields(page)).toEqual([{ id: 'decimal-input', describedBy: 'form-error' }]);
      // A delimiter the file does not use: the delimiter.
      await send(path.join(examples, 'data/iris.csv'), { delimiter: 'tab' });
      expect(await page.textContent('#form-error')).toMatch(/seems to use .* as delimiter/);
      expect(await options()).toEqual({ open: true, delimiter: 'tab', decimal: '', sheet: '' });
      expect(await invalidFields(page)).toEqual([{ id: 'delimiter-input', describedBy: 'form-error' }]);
      // Refused for its columns, the choices right: still shown chosen, open, the file at fault.
      await send(path.join(examples, 'data/diabetes.csv'), { delimiter: ',' });
      expect(await page.textContent('#form-error')).toContain('missing');
      expect(await options()).toEqual({ open: true, delimiter: ',', decimal: '', sheet: '' });
      expect(await invalidFields(page)).toEqual([{ id: 'file-input', describedBy: 'file-help file-check form-error' }]);
    } finally {
      await ctx.close();
    }

    // With JavaScript, the same refusal of a sheet opens the section, focuses the sheet and says why right after it.
    const page = await open(desktop, '/');
    await page.click('#file-options summary');
    await page.fill('#sheet-input', 'Nope');
    await page.click('#file-options summary'); // folded again before sending
    await page.setInputFiles('#file-input', path.join(repoRoot, 'test/fixtures/formats/merged-header.xlsx'));
    await expect.poll(() => page.textContent('#file-check')).toContain('an Excel workbook');
    await page.click('#submit-button');
    await expect.poll(() => page.textContent('#field-error')).toContain('has no sheet named "Nope"');
    expect(await page.$eval('#file-options', (d) => (d as HTMLDetailsElement).open)).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('sheet-input');
    expect(await page.$eval('#field-error', (e) => e.previousElementSibling?.contains(document.getElementById('sheet-input')))).toBe(true);
    expect(await page.isVisible('#form-error')).toBe(false);
    expect(await invalidFields(page)).toEqual([{ id: 'sheet-input', describedBy: 'field-error' }]);
    // A separator chosen that the file does not use: said before sending, as the server says it, the option marked
    // (was "missing 4 columns… if the column names are on a later line, delete the lines above them").
    await page.fill('#sheet-input', '');
    await page.selectOption('#model-input', 'iris-logreg@1');
    await page.selectOption('#delimiter-input', ';');
    await page.setInputFiles('#file-input', path.join(examples, 'data/iris.csv'));
    await expect
      .poll(() => page.textContent('#file-check'))
      .toContain("The file seems to use a comma (',') between its columns, not a semicolon (';') as chosen");
    expect(await page.getAttribute('#delimiter-input', 'aria-invalid')).toBe('true');
    expect(await page.textContent('#file-check')).not.toContain('later line');
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it('refuses an email address the server would refuse (a domain without a dot) before uploading anything', async () => {
    const page = await open(desktop, '/');
    const sent: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') sent.push(r.url());
    });
    await page.setInputFiles('input[name="file"]', path.join(examples, 'data/iris.csv'));
    await expect.poll(() => page.textContent('#file-check')).toContain('needs are there');
    // The size as the server writes sizes: the browser loads the same formatter (@batchcast/bytes, from /static).
    const size = formatBytes((await stat(path.join(examples, 'data/iris.csv'))).size);
    expect(size).toMatch(/^\d+(\.\d)? KiB$/);
    expect(await page.textContent('#file-check')).toContain(`✓ iris.csv · ${size} (`);
    await page.fill('input[name="email"]', 'bob@example');
    await page.click('button[type="submit"]');
    await expect
      .poll(() => page.textContent('#field-error'))
      .toContain('"bob@example" is not an email address we can send to: its domain needs a dot and a top-level domain');
    // Tied to the field, for a screen reader: the address is marked invalid, described by the message, and focused.
    expect(await invalidFields(page)).toEqual([{ id: 'email-input', describedBy: 'email-help field-error' }]);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('email-input');
    await page.fill('#links-email', 'bob@example');
    await page.click('#email-links-form button[type="submit"]');
    expect(await page.$eval('#links-email', (i) => (i as HTMLInputElement).validity.patternMismatch)).toBe(true);
    expect(sent).toEqual([]);
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it('answers an unknown job link with an HTML 404 page that says what to do', async () => {
    const page = await desktop.newPage();
    const res = await page.goto(platform.url('/jobs/00000000-0000-4000-8000-000000000000?token=mistyped'));
    expect(res?.status()).toBe(404);
    expect(res?.headers()['content-type']).toContain('text/html');
    expect(await page.textContent('h1')).toBe('No job at this link');
    expect(await page.textContent('.error-page')).toContain('copied whole');
    await page.screenshot({ path: path.join(shots, 'job-not-found-desktop.png'), fullPage: true });
    await page.click('a[href="/#email-links"]');
    await page.waitForURL(/\/#email-links$/);
    expect(await page.isVisible('#email-links form')).toBe(true);
    await page.close();
  });

  /** The job id of a job page's address. */
  const jobIdOf = (url: string) => /\/jobs\/([0-9a-f-]{36})\?token=/.exec(url)?.[1];

  it('makes a new job of a new submission after Back, with JavaScript and without, the same file again included', async () => {
    for (const javaScriptEnabled of [true, false]) {
      const ctx = await browser.newContext({ javaScriptEnabled });
      try {
        const page = await ctx.newPage();
        const send = async (model: string, file: string) => {
          await page.selectOption('#model-input', model);
          await page.setInputFiles('#file-input', path.join(examples, 'data', file));
          if (javaScriptEnabled) await expect.poll(() => page.textContent('#file-check')).toContain('needs are there');
          await Promise.all([page.waitForURL(/\/jobs\/[0-9a-f-]{36}\?token=/), page.click('#submit-button')]);
          return jobIdOf(page.url());
        };
        await page.goto(platform.url('/'));
        const first = await send('iris-logreg@1', 'iris.csv');
        // Back, another model and file: was refused, the key "used in the last 24 hours for a request with another file".
        await page.goBack();
        const second = await send('diabetes-gbr@1', 'diabetes.csv');
        // Back, the first file again: reopened the first job, saying nothing.
        await page.goBack();
        const third = await send('iris-logreg@1', 'iris.csv');
        expect(new Set([first, second, third]).size, `JavaScript ${javaScriptEnabled ? 'on' : 'off'}`).toBe(3);
      } finally {
        await ctx.close();
      }
    }
  });

  it('shows a page restored from the back-forward cache as a form to fill again, with a key of its own', async () => {
    // Playwright turns the back-forward cache off; people's browsers have it on, and restore the page as it was left.
    const cached = await launchChromium({ ignoreDefaultArgs: ['--disable-back-forward-cache'] });
    try {
      const page = await cached.newPage();
      await page.goto(platform.url('/'));
      await page.evaluate(() => {
        window.addEventListener('pageshow', (e) => {
          (window as unknown as { restored?: boolean }).restored = e.persisted;
        });
      });
      const key = await page.inputValue('#idempotency-key');
      await page.setInputFiles('#file-input', path.join(examples, 'data/iris.csv'));
      await expect.poll(() => page.textContent('#file-check')).toContain('needs are there');
      await Promise.all([page.waitForURL(/\/jobs\//), page.click('#submit-button')]);
      const first = jobIdOf(page.url());
      await page.goBack({ waitUntil: 'commit' }); // a page from the cache fires no load event
      await page.waitForFunction(() => (window as unknown as { restored?: boolean }).restored === true);
      // Not "Accepted. Opening the job page…" with every control disabled, as it was left.
      expect(await page.isEnabled('#submit-button')).toBe(true);
      expect(await page.isEnabled('#file-input')).toBe(true);
      expect(await page.isVisible('#upload-status')).toBe(false);
      expect(await page.inputValue('#idempotency-key')).not.toBe(key);
      await Promise.all([page.waitForURL(/\/jobs\//), page.click('#submit-button')]);
      expect(jobIdOf(page.url())).not.toBe(first);
    } finally {
      await cached.close();
    }
  });

  it('sends the same submission again under its key after a cut connection, anything else under a new one, and says a refused key in words', async () => {
    const page = await open(desktop, '/');
    const keys: string[] = [];
    let cut = true;
    await page.route('**/api/jobs', (route) => {
      keys.push(/name="idempotencyKey"\r\n\r\n([^\r]+)/.exec(route.request().postDataBuffer()!.toString('latin1'))![1]!);
      return cut ? route.abort('connectionreset') : route.continue();
    });
    const choose = async (file: string) => {
      await page.setInputFiles('#file-input', path.join(examples, 'data', file));
      await expect.poll(() => page.textContent('#file-check')).toContain('needs are there');
    };
    await page.selectOption('#model-input', 'iris-logreg@1');
    await choose('iris.csv');
    await page.click('#submit-button');
    await expect.poll(() => page.textContent('#form-error')).toContain('The upload was interrupted');
    // The same again: the same key (the server answers the job the first send made, if it made one).
    await page.click('#submit-button');
    await expect.poll(() => keys.length).toBe(2);
    expect(keys[1]).toBe(keys[0]);
    // Another file after the cut: another submission, another key.
    await page.selectOption('#model-input', 'diabetes-gbr@1');
    await choose('diabetes.csv');
    await page.click('#submit-button');
    await expect.poll(() => keys.length).toBe(3);
    expect(keys[2]).not.toBe(keys[1]);

    // A refusal of the key (another request took it meanwhile) is said in the words of the page, and the next
    // press sends the file as a new job.
    cut = false;
    await page.unroute('**/api/jobs');
    const taken = new FormData();
    taken.set('model', 'iris-logreg');
    taken.set('file', fileBlob(await readFile(path.join(examples, 'data/iris.csv')), 'text/csv'), 'other.csv');
    const headers = { 'idempotency-key': await page.inputValue('#idempotency-key') };
    expect((await fetch(platform.url('/api/jobs'), { method: 'POST', headers, body: taken })).status).toBe(202);
    await page.click('#submit-button');
    await page.waitForSelector('#form-error:not([hidden])');
    const said = (await page.textContent('#form-error'))!;
    expect(said).toBe(
      'This page had already sent another file (or other choices) as one submission, and that job goes on. Press Start scoring again to send this file as a new job.',
    );
    expect(said).not.toMatch(/idempotency|UUID/i);
    await Promise.all([page.waitForURL(/\/jobs\//), page.click('#submit-button')]);
    expect(problemsOf(page).filter((p) => !/ERR_CONNECTION_RESET/.test(p))).toEqual([]);
    await page.close();
  });

  it('refuses a CSV with a header and no rows in the browser, before uploading anything', async () => {
    const page = await open(desktop, '/');
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') posts.push(r.url());
    });
    await page.setInputFiles('input[name="file"]', {
      name: 'header-only.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('sepal_length,sepal_width,petal_length,petal_width\r\n\r\n'),
    });
    await expect.poll(() => page.textContent('#file-check')).toContain('has a header row but no data rows');
    await page.click('button[type="submit"]');
    await expect.poll(() => page.textContent('#file-check')).toMatch(/not sent.*no data rows/s);
    expect(posts).toEqual([]);
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it('reads a Windows-1252 file (Excel’s CSV on Windows) as the server does, and the job page says how it was read', async () => {
    const page = await open(desktop, '/');
    // "é" is the single byte 0xE9 and "€" 0x80, in the header row itself.
    const windows1252 = Buffer.concat([
      Buffer.from('sepal_length,sepal_width,petal_length,petal_width,not'),
      Buffer.from([0xe9, 0x20, 0x80]),
      Buffer.from('\n5.1,3.5,1.4,0.2,x\n'),
    ]);
    await page.setInputFiles('input[name="file"]', { name: 'windows.csv', mimeType: 'text/csv', buffer: windows1252 });
    await expect
      .poll(() => page.textContent('#file-check'))
      .toContain('(CSV, Windows-1252 text): all 4 columns iris-logreg needs are there');
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/jobs\//);
    await page.waitForSelector('#status[data-status="succeeded"]', { timeout: 60_000 });
    expect(await page.textContent('#input-notes')).toContain(
      'Read as Windows-1252 text (what Excel on Windows saves as "CSV"), not UTF-8.',
    );
    // The first rows shown come from the results: the header in its letters, not as the bytes read as UTF-8.
    // The preview of the rows comes after the status does (the page fetches the summary once the job ended).
    await expect.poll(() => page.textContent('body')).toContain('noté €');
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it('works when opened over plain http by a name other than localhost (a LAN address, a server without TLS)', async () => {
    // Browsers exempt localhost from `upgrade-insecure-requests`; any other http address obeys it, and fetched
    // the page's stylesheet and scripts (and posted the form) over https, which batchcast does not speak.
    const lan = await launchChromium({ args: ['--host-resolver-rules=MAP batchcast.test 127.0.0.1'] });
    try {
      const page = await lan.newPage();
      const failed: string[] = [];
      page.on('requestfailed', (r) => {
        // What this guards against is a request sent over https (upgraded), which fails to connect. A plain http
        // request "aborted" is the form's own POST when the page already moved on to the job page on its answer:
        // Chromium may report it so on a busy machine (once in CI), though the job page's opening shows it answered.
        const error = r.failure()?.errorText;
        if (error === 'net::ERR_ABORTED' && r.url().startsWith('http://')) return;
        failed.push(`${r.url()} ${error}`);
      });
      await page.goto(`http://batchcast.test:${platform.port}/`);
      expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe('rgba(0, 0, 0, 0)');
      await page.setInputFiles('input[name="file"]', path.join(examples, 'data/iris.csv'));
      await expect.poll(() => page.textContent('#file-check')).toContain('needs are there'); // the page's script runs
      await page.click('button[type="submit"]');
      await page.waitForURL(/^http:\/\/batchcast\.test:\d+\/jobs\//);
      await page.waitForSelector('#status[data-status="succeeded"]', { timeout: 60_000 });
      expect(failed).toEqual([]);
    } finally {
      await lan.close();
    }
  });

  it('says the results were deleted, and offers no download, when the page stays open past the deletion time', async () => {
    const { job } = await runClean(platform, 'iris.csv', { model: 'iris-logreg' });
    const downloads = '#results-link, #other-results, #errors-link';
    const visibleDownloads = (page: Page) =>
      page.$$eval(downloads, (nodes) => nodes.filter((n) => !(n as HTMLElement).hidden && (n as HTMLElement).offsetParent).length);

    // The browser's clock runs 7 days and a minute ahead (the server's stays): the page's own timer finds the time passed.
    const ahead = await desktop.newPage();
    await ahead.clock.install();
    await ahead.goto(platform.url(job.links.page));
    await ahead.waitForSelector('#preview-card:not([hidden])');
    await ahead.waitForSelector('#job[data-watching="deletion"]');
    expect(await ahead.textContent('#expiry')).toMatch(/^Results are kept until/);
    await ahead.clock.fastForward(7 * 24 * 3600_000 + 60_000);
    await ahead.waitForSelector('#job[data-gone="yes"]');
    expect(await ahead.textContent('#expiry')).toMatch(
      /^The results were deleted on \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} \S+, 7 days after the job ended\. Upload the file again to score it anew\.$/,
    );
    expect(await visibleDownloads(ahead)).toBe(0);
    await ahead.close();

    // The server deletes it earlier than the page was told (the job aged in its database): the page's next look, a
    // few minutes on, gets 410 and says so.
    const open = await desktop.newPage();
    await open.clock.install();
    await open.goto(platform.url(job.links.page));
    await open.waitForSelector('#job[data-watching="deletion"]');
    expect(await visibleDownloads(open)).toBeGreaterThan(0);
    await inPlatformDb(platform, (db) =>
      db.query(`UPDATE jobs SET finished_at = now() - interval '7 days 1 minute' WHERE id = $1`, [job.id]),
    );
    await open.clock.fastForward(6 * 60_000);
    await open.waitForSelector('#job[data-gone="yes"]');
    expect(await open.textContent('#expiry')).toMatch(
      /^This job's data was deleted on \d{1,2} [A-Z][a-z]{2} \d{4}: results are kept 7 days/,
    );
    expect(await visibleDownloads(open)).toBe(0);
    await open.close();

    // Without JavaScript: the page of an ended job reloads itself at the deletion time, and the reload says it is deleted.
    const noScript = await browser.newContext({ javaScriptEnabled: false });
    try {
      await inPlatformDb(platform, (db) => db.query(`UPDATE jobs SET finished_at = now() - interval '1 day' WHERE id = $1`, [job.id]));
      const page = await noScript.newPage();
      await page.goto(platform.url(job.links.page));
      expect(await page.isVisible('#results-link')).toBe(true);
      const refresh = Number(await page.getAttribute('noscript meta[http-equiv="refresh"]', 'content'));
      expect(Math.abs(refresh - 6 * 24 * 3600)).toBeLessThan(120);
      await inPlatformDb(platform, (db) => db.query(`UPDATE jobs SET finished_at = now() - interval '8 days' WHERE id = $1`, [job.id]));
      const again = await page.reload();
      expect(again!.status()).toBe(410);
      expect(await page.textContent('h1')).toBe('This job has been deleted');
      expect(await page.$$eval('a[download]', (a) => a.length)).toBe(0);
    } finally {
      await noScript.close();
    }
  });

  it('a download from a page left open after the job was deleted elsewhere says it was deleted, and downloads nothing', async () => {
    // Was: the download got the server's 410 as a file (or nothing), and the page went on offering the results.
    const { job } = await runClean(platform, 'iris.csv', { model: 'iris-logreg' });
    const page = await desktop.newPage();
    await page.goto(platform.url(job.links.page));
    await page.waitForSelector('#job[data-watching="deletion"]');
    expect((await fetch(platform.url(job.links.self), { method: 'DELETE' })).status).toBe(204);
    const downloads: string[] = [];
    page.on('download', (d) => downloads.push(d.suggestedFilename()));
    await page.click('#results-link');
    await page.waitForSelector('#job[data-gone="yes"]');
    expect(await page.textContent('#expiry')).toMatch(/deleted/);
    expect(await page.isVisible('#results-link')).toBe(false);
    expect(downloads).toEqual([]);
    await page.close();
  });

  it('styles the loopback development outbox, its long lines wrapped on a desktop and on a phone', async () => {
    // The outbox app as the server listens with it on DEV_OUTBOX_PORT, over this platform's emails.
    const ctx = { config: { env: 'test', storage: { dataDir: platform.dataDir } } } as unknown as WebContext;
    const server = devOutboxApp(ctx).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const { job } = await runClean(platform, 'iris.csv', { model: 'iris-logreg', email: 'outbox@example.com', filename: 'outbox.csv' });
      await expect
        .poll(async () => (await readOutbox(platform.dataDir)).some((m) => m.text.includes(job.id)), { timeout: 30_000 })
        .toBe(true);
      for (const width of [1280, 390]) {
        const view = await browser.newContext({ viewport: { width, height: 800 } });
        try {
          const page = await view.newPage();
          await page.goto(url);
          // The stylesheet every page links was a 404 on this listener.
          const stylesheet = await fetch(await page.$eval('link[rel="stylesheet"]', (l) => (l as HTMLLinkElement).href));
          expect(stylesheet.status).toBe(200);
          expect(stylesheet.headers.get('content-type')).toMatch(/^text\/css/);
          expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe('rgba(0, 0, 0, 0)');
          // The job's link, the longest line, wraps: nothing is wider than the screen.
          await page.locator('.mail pre a', { hasText: job.id }).first().waitFor();
          expect(await page.evaluate(() => document.documentElement.scrollWidth), `${width} px`).toBeLessThanOrEqual(width);
          await page.screenshot({ path: path.join(shots, `dev-outbox-${width}.png`), fullPage: true });
        } finally {
          await view.close();
        }
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('fits a phone screen', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    for (const [name, url] of [
      ['upload', '/'],
      ['job-succeeded', jobPageUrl],
    ] as const) {
      const page = await open(phone, url);
      if (name === 'job-succeeded') await page.waitForSelector('#preview-card:not([hidden])');
      else await page.setInputFiles('input[name="file"]', path.join(examples, 'data/diabetes.csv'));
      if (name === 'upload') await expect.poll(() => page.textContent('#file-check')).toContain('missing');
      // Nothing wider than the screen: wide tables scroll inside their own box.
      expect(await page.evaluate(() => document.documentElement.scrollWidth), name).toBeLessThanOrEqual(390);
      await page.screenshot({ path: path.join(shots, `${name}-phone.png`), fullPage: true });
      expect(problemsOf(page)).toEqual([]);
      await page.close();
    }
    await phone.close();
  });

  it('says on the page, not in a tooltip, why results too wide for a sheet are not offered as Excel, and what to take instead', async () => {
    // 16,400 columns the model does not use, then iris' four: the results are wider than Excel's 16,384 columns.
    const extra = Array.from({ length: 16_400 }, (_, i) => `c${i}`);
    const head = [...extra, 'sepal_length', 'sepal_width', 'petal_length', 'petal_width'].join(',');
    const row = [...extra.map(() => '1'), '5.1', '3.5', '1.4', '0.2'].join(',');
    const { job } = await runClean(platform, Buffer.from(`${head}\n${row}\n`), { model: 'iris-logreg', filename: 'wide.csv' });
    // A phone: touch screens show no tooltips, so what the page says must be on it.
    const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
    try {
      const page = await open(phone, job.links.page);
      const note = page.locator('#why-no-xlsx');
      await page.waitForSelector('#other-results:not([hidden])');
      expect(await page.locator('#other-results a').allTextContents()).toEqual(['Parquet', 'JSON Lines']);
      expect(await page.textContent('#other-results [data-format="xlsx"]:not(.format-note)')).toBe('Excel (too many columns)');
      expect(await note.isVisible()).toBe(true);
      expect(await note.textContent()).toBe(
        'No Excel file: the results have 16,409 columns, more than the 16,384 an Excel sheet holds. Download them as CSV, Parquet or JSON Lines instead.',
      );
      const box = (await note.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(375);
      // Read by a screen reader with the list (in the accessibility tree), and nothing left only in a tooltip.
      expect(await page.locator('#other-results').ariaSnapshot()).toContain('more than the 16,384 an Excel sheet holds');
      expect(await page.locator('#other-results [title]').count()).toBe(0);
      expect(problemsOf(page)).toEqual([]);
    } finally {
      await phone.close();
    }
  });

  it('shows the failed rows on a phone without sideways scrolling, every reason whole, no word split', async () => {
    const iris = (await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd();
    const bad = [
      '1.0,2.0',
      'not-a-number-at-all-but-a-rather-long-word-without-spaces,3.0,1.4,0.2,setosa',
      // A token with no place to break at all: it must break somewhere rather than widen the page.
      `${'Z'.repeat(70)},3.0,1.4,0.2,setosa`,
      ...Array(3).fill('na,3.0,1.4,0.2,setosa'),
    ];
    const { job } = await runClean(platform, Buffer.from(`${[iris, ...bad].join('\n')}\n`), {
      model: 'iris-logreg',
      filename: 'failing.csv',
    });
    const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
    try {
      const page = await open(phone, job.links.page);
      await page.waitForSelector('#failures-card:not([hidden])');
      // The page's script has drawn the summary (it redraws the failed rows the server sent): its table is measured.
      await page.waitForSelector('#preview-card:not([hidden])');
      expect(await page.$$eval('#failures tbody tr', (tr) => tr.length)).toBe(6);
      const box = await page.$eval('#failures-card .table-wrap', (w) => ({ scroll: w.scrollWidth, client: w.clientWidth }));
      expect(box.scroll, 'the table scrolls sideways').toBeLessThanOrEqual(box.client);
      // No cell is cut short (an ellipsis would hide the end of a reason).
      const cut = await page.$$eval('#failures td, #failures th', (cells) =>
        cells.filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.textContent),
      );
      expect(cut).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      // No word, number or column name is split across two lines ("sepal_le|ngth"): each token's text lies on one
      // line (its Range's boxes share a top). Only a token wider than half the table (a long value) may break.
      const split = await page.$$eval('#failures td', (cells) =>
        cells.flatMap((cell) => {
          const width = cell.closest('table')!.getBoundingClientRect().width;
          const found: string[] = [];
          const texts = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
          for (let node = texts.nextNode() as Text | null; node; node = texts.nextNode() as Text | null) {
            for (const m of node.data.matchAll(/[^\s"(),:;]+/g)) {
              const range = document.createRange();
              range.setStart(node, m.index);
              range.setEnd(node, m.index + m[0].length);
              const boxes = [...range.getClientRects()].filter((r) => r.width > 0);
              const wide = boxes.reduce((sum, r) => sum + r.width, 0) > width / 2;
              if (!wide && new Set(boxes.map((r) => Math.round(r.top))).size > 1) found.push(m[0]);
            }
          }
          return found;
        }),
      );
      expect(split, 'words split across lines').toEqual([]);
      // Each cell still says which column it is, now that the rows are stacked.
      const labels = await page.$$eval('#failures tbody tr:nth-child(2) td', (tds) =>
        tds.map((td) => [td.dataset.label, getComputedStyle(td, '::before').content]),
      );
      expect(labels.map(([label]) => label)).toEqual(['row', 'column', 'value', 'reason']);
      for (const [label, shown] of labels) expect(shown).toContain(label);
      await page.screenshot({ path: path.join(shots, 'job-failed-rows-phone.png'), fullPage: true });
      expect(problemsOf(page)).toEqual([]);
    } finally {
      await phone.close();
    }
  });

  it('is usable with the keyboard: every control of the form is reached with Tab and shows its focus', async () => {
    const page = await open(desktop, '/');
    const reached: string[] = [];
    for (let i = 0; i < 8 && !reached.includes('submit-button'); i++) {
      await page.keyboard.press('Tab');
      reached.push(
        await page.evaluate(
          () => document.activeElement?.id || (document.activeElement as HTMLInputElement)?.name || document.activeElement?.tagName || '',
        ),
      );
    }
    for (const id of ['model-input', 'file-input', 'email-input', 'submit-button']) expect(reached).toContain(id);
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe('none');
    // The focus ring stands out from the page and the card it is on (WCAG 1.4.11, 3:1; it was #9db7f5, 2:1 on white).
    const colors = await page.evaluate(() => {
      const focused = document.activeElement!;
      const card = focused.closest('.card') ?? document.body;
      return [
        getComputedStyle(focused).outlineColor,
        getComputedStyle(card).backgroundColor,
        getComputedStyle(document.body).backgroundColor,
      ];
    });
    const luminance = (css: string) => {
      const [r, g, b] = (css.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => {
        const c = Number(v) / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const contrast = (a: string, b: string) => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
      return (hi! + 0.05) / (lo! + 0.05);
    };
    for (const background of colors.slice(1).filter((c) => c !== 'rgba(0, 0, 0, 0)')) {
      expect(contrast(colors[0]!, background), `${colors[0]} on ${background}`).toBeGreaterThanOrEqual(3);
    }
    await page.close();
  });

  it("labels a regressor's histogram so that bins read apart, however narrow its range beside its values", async () => {
    // house-prices.pkl predicts prices around 123 million in a range of 0.6 million: every bin edge was "1.23e+8" or
    // "1.24e+8", the axis said 1.23e+8 twice and the table listed 20 bins "from 1.23e+8 to 1.23e+8".
    const form = new FormData();
    form.set('name', 'house-prices');
    form.set('file', fileBlob(await readFile(path.join(repoRoot, 'test/fixtures/models/house-prices.pkl'))), 'house-prices.pkl');
    const registered = await fetch(platform.url('/api/models'), {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(registered.status, await registered.clone().text()).toBe(201);
    const job = await submitOk(platform, path.join(repoRoot, 'test/fixtures/models/house-prices.csv'), { model: 'house-prices' });
    const page = await open(desktop, job.links.page);
    await page.waitForSelector('#status[data-status="succeeded"]', { timeout: 60_000 });
    await page.click('#chart-table-wrap summary');
    const rows = await page.$$eval('#chart-table tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    );
    expect(rows.length).toBeGreaterThan(5);
    for (const [from, to] of rows) expect(from).not.toBe(to);
    // Each bin starts where the one before it ended, and no two bins read alike.
    for (let i = 1; i < rows.length; i++) expect(rows[i]![0]).toBe(rows[i - 1]![1]);
    expect(new Set(rows.map((r) => r[0])).size).toBe(rows.length);
    const ticks = await page.$$eval('#chart svg text.tick', (t) => t.map((e) => e.textContent ?? ''));
    const valueTicks = ticks.slice(2); // after the counts' two
    expect(valueTicks).toHaveLength(3);
    expect(new Set(valueTicks).size).toBe(3);
    expect(valueTicks[0]).toMatch(/^1\.23\d*e\+8$/);
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it('runs the model version the form shows, even when a newer one is registered while the page is open, with JavaScript and without', async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const onnx = await readFile(path.join(examples, 'models', 'iris-logreg.onnx'));
    const register = async (): Promise<number> => {
      const form = new FormData();
      form.set('name', 'shown-version');
      form.set('file', fileBlob(onnx), 'iris-logreg.onnx');
      const res = await fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: admin });
      expect(res.status, await res.clone().text()).toBe(201);
      return ((await res.json()) as { version: number }).version;
    };
    let shown = await register();
    for (const javaScriptEnabled of [true, false]) {
      const ctx = await browser.newContext({ javaScriptEnabled });
      try {
        const page = await ctx.newPage();
        await page.goto(platform.url('/'));
        await page.selectOption('#model-input', { label: `shown-version (v${shown})` });
        await page.setInputFiles('#file-input', path.join(examples, 'data', 'iris.csv'));
        if (javaScriptEnabled) await expect.poll(() => page.textContent('#file-check')).toContain('needs are there');
        const newer = await register(); // while the page is open
        await Promise.all([page.waitForURL(/\/jobs\/[0-9a-f-]{36}\?token=/), page.click('#submit-button')]);
        const url = new URL(page.url());
        const job = (await (
          await fetch(platform.url(`/api/jobs/${jobIdOf(page.url())}?token=${url.searchParams.get('token')}`))
        ).json()) as {
          model: unknown;
        };
        expect(JSON.stringify(job.model), `JavaScript ${javaScriptEnabled ? 'on' : 'off'}`).toContain(`"version":${shown}`);
        shown = newer;
      } finally {
        await ctx.close();
      }
    }
  });

  it('offers the earlier version of the chosen model that takes the file, first, as the server names it', async () => {
    // A new version reading other columns (v2 a diabetes model over v1 an iris one): the check offered only other
    // models ("Use iris-logreg"), never versioned@1, which the API's refusal names.
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    for (const file of ['iris-logreg.onnx', 'diabetes-gbr.onnx']) {
      const form = new FormData();
      form.set('name', 'versioned');
      form.set('file', fileBlob(await readFile(path.join(examples, 'models', file))), file);
      const res = await fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: admin });
      expect(res.status, await res.clone().text()).toBe(201);
    }
    const page = await open(desktop, '/');
    await page.selectOption('#model-input', 'versioned@2');
    await page.setInputFiles('#file-input', path.join(examples, 'data', 'iris.csv'));
    await expect.poll(() => page.textContent('#file-check')).toContain('missing');
    const offered = await page.locator('#file-check button.use-model').allTextContents();
    expect(offered[0]).toBe('Use versioned@1');
    expect(offered).toContain('Use iris-logreg');
    await page.click('#file-check button.use-model >> nth=0');
    expect(await page.inputValue('#model-input')).toBe('versioned@1');
    await expect.poll(() => page.textContent('#file-check')).toContain('needs are there');
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });
});
