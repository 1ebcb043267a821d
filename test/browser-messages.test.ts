import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, hasChromium, launchChromium, openWatched, problemsOf } from './support/chromium.js';
import { runClean, submitOk } from './support/faults.js';
import { examples, Platform, repoRoot } from './support/platform.js';

/**
 * What the pages say, and where, in headless Chromium: a refusal about a field next to that field on a phone;
 * text that displays otherwise than it reads (a right-to-left override, a zero-width space) escaped in the results
 * preview and in a refusal; a job page that loses the server, or whose job is deleted elsewhere, saying so; links
 * a screen reader tells apart; a title's file name broken where it breaks well. Screenshots go to
 * test-artifacts/screenshots/.
 */
const shots = path.join(repoRoot, 'test-artifacts', 'screenshots');

const RLO = '\u202e';
const PDF = '\u202c';
const ZWSP = '\u200b';

let platform: Platform;
let browser: Browser;
let desktop: BrowserContext;
let phone: BrowserContext;

if (!hasChromium) {
  it.skip(`browser tests skipped: ${CHROMIUM} is absent (install it with: apt-get install -y chromium)`, () => undefined);
}

describe.skipIf(!hasChromium)('what the pages say, and where', () => {
  beforeAll(async () => {
    await mkdir(shots, { recursive: true });
    [platform, browser] = await Promise.all([
      // Small chunks: a 30,000-row file runs long enough to look at its page while it runs.
      new Platform({ workers: 1, env: { CHUNK_ROWS: '50' } }).start(),
      launchChromium(),
    ]);
    desktop = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    phone = await browser.newContext({ viewport: { width: 360, height: 640 }, isMobile: true, hasTouch: true });
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  /** A page that records any script error (a CSP violation included): see problemsOf. */
  const open = (ctx: BrowserContext, url: string): Promise<Page> => openWatched(ctx, platform.url(url));

  /** iris.csv repeated to 30,000 rows: in chunks of 50, it runs long enough to watch (and is deleted at the end). */
  async function bigIris(): Promise<Buffer> {
    const [header, ...rows] = (await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd().split('\n');
    return Buffer.from(`${[header, ...Array.from({ length: 200 }, () => rows).flat()].join('\n')}\n`);
  }

  it('says what is wrong with an email address next to the field, in view on a phone, the field described by it', async () => {
    // Was: the message at the top of the form, some 600 px above the focused field, out of sight.
    const page = await open(phone, '/');
    await page.setInputFiles('#file-input', path.join(examples, 'data/iris.csv'));
    await expect.poll(() => page.textContent('#file-check')).toContain('needs are there');
    await page.fill('#email-input', 'me@localhost');
    await page.click('#submit-button');
    await expect.poll(() => page.textContent('#field-error')).toContain('"me@localhost" is not an email address we can send to');
    expect(await page.isVisible('#form-error')).toBe(false);
    // Right after the field, the field focused and described by it, and both on the screen.
    expect(await page.$eval('#email-input', (i) => i.nextElementSibling?.id)).toBe('field-error');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('email-input');
    expect(await page.getAttribute('#email-input', 'aria-describedby')).toBe('email-help field-error');
    expect(await page.getAttribute('#email-input', 'aria-invalid')).toBe('true');
    const inView = (selector: string) =>
      page.$eval(selector, (e) => {
        const r = e.getBoundingClientRect();
        return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
      });
    expect(await inView('#field-error')).toBe(true);
    expect(await inView('#email-input')).toBe(true);
    await page.screenshot({ path: path.join(shots, 'email-refused-phone.png') });
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it('quotes an email address holding a right-to-left override with it escaped, with JavaScript and without', async () => {
    // Was: the override reversed the rest of the message ("...moc.elpmaxe@li").
    const typed = `ev${RLO}il@example.com`;
    for (const javaScriptEnabled of [true, false]) {
      const ctx = await browser.newContext({ javaScriptEnabled });
      try {
        const page = await ctx.newPage();
        await page.goto(platform.url('/'));
        await page.setInputFiles('#file-input', path.join(examples, 'data/iris.csv'));
        await page.fill('#email-input', typed);
        const box = javaScriptEnabled ? '#field-error' : '#form-error';
        if (javaScriptEnabled) await page.click('#submit-button');
        else await Promise.all([page.waitForNavigation(), page.click('#submit-button')]);
        await page.waitForSelector(`${box}:not([hidden])`);
        const said = (await page.textContent(box))!;
        expect(said, `JavaScript ${javaScriptEnabled ? 'on' : 'off'}`).toContain('"ev\\u202eil@example.com"');
        expect(said).not.toContain(RLO);
        // The field keeps what was typed (without JavaScript, the server sent it back).
        expect(await page.inputValue('#email-input')).toBe(typed);
      } finally {
        await ctx.close();
      }
    }
  });

  it("shows the results preview's column names and cells with their invisible characters escaped", async () => {
    // Was: the column "\u202eevil\u202c" read "live", "zw\u200bcol" read "zwcol", and the cell "\u202eexe.txt" read "txt.exe".
    const [header, ...rows] = (await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd().split('\n');
    const csv = [
      `${header},${RLO}evil${PDF},zw${ZWSP}col`,
      ...rows.slice(0, 3).map((r, i) => `${r},${i === 0 ? `${RLO}exe.txt` : 'plain'},${RLO}3.5 cm`),
    ].join('\n');
    const { job } = await runClean(platform, Buffer.from(`${csv}\n`), { model: 'iris-logreg', filename: 'direction.csv' });
    const page = await open(desktop, job.links.page);
    await page.waitForSelector('#preview-card:not([hidden])');
    const headers = await page.$$eval('#preview th', (th) => th.map((h) => h.textContent));
    expect(headers).toContain('\\u202eevil\\u202c');
    expect(headers).toContain('zw\\u200bcol');
    const first = await page.$$eval('#preview tbody tr:first-child td', (td) => td.map((c) => c.textContent));
    expect(first).toContain('\\u202eexe.txt');
    expect(first).toContain('\\u202e3.5 cm');
    // Nothing in the preview is left to reorder or hide what is around it.
    expect(await page.textContent('#preview')).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u200b]/);
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it('says quietly when the server cannot be reached, shows no stale time left meanwhile, and stops saying it once reached', async () => {
    // Was: nothing said through an outage, and the last "about N s left" stayed on the screen.
    const job = await submitOk(platform, await bigIris(), { model: 'iris-logreg', filename: 'outage.csv' });
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const workers = platform.workerPids();
    try {
      const page = await open(ctx, job.links.page);
      await page.waitForFunction(() => /left/.test(document.getElementById('eta')?.textContent ?? ''), null, { timeout: 30_000 });
      // The job stays running whatever the page is told (its worker stopped): it cannot end during the outage.
      for (const pid of workers) process.kill(pid, 'SIGSTOP');
      expect(await page.textContent('#connection')).toBe('');
      await ctx.setOffline(true);
      await expect.poll(() => page.textContent('#connection')).toBe("Can't reach the server; trying again…");
      expect(await page.getAttribute('#connection', 'aria-live')).toBe('polite');
      expect(await page.isVisible('#speed')).toBe(false);
      expect(await page.isVisible('#eta')).toBe(false); // no "about N s left" from before the outage
      await page.screenshot({ path: path.join(shots, 'job-server-unreachable-desktop.png'), fullPage: true });
      await ctx.setOffline(false);
      await expect.poll(() => page.textContent('#connection')).toBe('');
      await expect.poll(() => page.isVisible('#speed')).toBe(true);
      expect(await page.getAttribute('#status', 'data-status')).toBe('running');
      expect(problemsOf(page)).toEqual([]);
    } finally {
      for (const pid of workers) process.kill(pid, 'SIGCONT');
      await ctx.close();
      // Not left running for the tests after this one (one worker).
      await fetch(platform.url(job.links.self), { method: 'DELETE' });
    }
  });

  it('turns a page left open on a job deleted elsewhere into the deleted state: no rows, no downloads, no Delete', async () => {
    // Was: "succeeded · Done", the summary, the chart, the rows and "Delete this job" stayed, with only a red line added.
    const { job } = await runClean(platform, path.join(examples, 'data/iris.csv'), { model: 'iris-logreg', filename: 'two-tabs.csv' });
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    /** The parts of the page that show the job's data or act on it, visible. */
    const shownParts = (page: Page) =>
      page.$$eval('#summary, #chart-card, #preview-card, #failures-card, #delete-card, #progress, a[download], #cancel-form', (nodes) =>
        nodes.filter((n) => (n as HTMLElement).offsetParent !== null).map((n) => n.id || n.getAttribute('href')),
      );
    try {
      const first = await open(ctx, job.links.page);
      const second = await ctx.newPage();
      await second.clock.install();
      await second.goto(platform.url(job.links.page));
      await second.waitForSelector('#preview-card:not([hidden])');
      await second.waitForSelector('#job[data-watching="deletion"]');
      expect(await shownParts(second)).toContain('preview-card');
      // Deleted in the first tab.
      await first.waitForSelector('#status[data-status="succeeded"]');
      await first.click('#delete-heading');
      await Promise.all([first.waitForURL((u) => u.pathname === `/jobs/${job.id}`), first.click('#delete-button')]);
      expect(await first.textContent('h1')).toBe('This job has been deleted');
      // The second tab's next look (every few minutes) learns it is gone, and says so as a reload would.
      await second.clock.fastForward(6 * 60_000);
      await second.waitForSelector('#job[data-gone="yes"]');
      expect(await second.textContent('#status')).toBe('deleted');
      expect(await second.textContent('#status-text')).toBe('This job has been deleted');
      expect(await second.textContent('#expiry')).toMatch(/^This job and its data .* were deleted on /);
      expect(await shownParts(second)).toEqual([]);
      await second.screenshot({ path: path.join(shots, 'job-deleted-elsewhere-desktop.png'), fullPage: true });
      expect([...problemsOf(first)]).toEqual([]);
    } finally {
      await ctx.close();
    }

    // A running job deleted elsewhere (deleting cancels it first): its page too, instead of a running job and an error.
    const running = await submitOk(platform, await bigIris(), { model: 'iris-logreg', filename: 'running.csv' });
    const page = await open(desktop, running.links.page);
    try {
      await page.waitForSelector('#status[data-status="running"]', { timeout: 30_000 });
      expect((await fetch(platform.url(running.links.self), { method: 'DELETE' })).status).toBe(204);
      await page.waitForSelector('#job[data-gone="yes"]');
      expect(await page.textContent('#status')).toBe('deleted');
      expect(await page.isVisible('#error')).toBe(false);
      expect(await shownParts(page)).toEqual([]);
      expect(problemsOf(page)).toEqual([]);
    } finally {
      await page.close();
      await fetch(platform.url(running.links.self), { method: 'DELETE' });
    }
  });

  it("names each model's other sample links by their model, so that a screen reader's list of links tells them apart", async () => {
    // Was: five links named "Excel" and five "JSON Lines".
    const page = await open(desktop, '/');
    const names = [...(await page.locator('.models').ariaSnapshot()).matchAll(/- link "([^"]*)"/g)].map((m) => m[1]!);
    expect(names).toContain('iris-logreg sample as Excel');
    expect(names).toContain('iris-logreg sample as JSON Lines');
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    // One of each a card, each ending with its visible words (WCAG's "label in name": saying "click Excel" still finds it).
    const cards = await page.locator('.model.card').count();
    expect(names.filter((n) => / sample as (Excel|JSON Lines)$/.test(n))).toHaveLength(2 * cards);
    await page.close();
  });

  it("wraps a title's file name on a phone whole when it fits a line, and at its separators when it does not", async () => {
    // Was: "Predictions for somebad.cs" with the "v" alone on the next line.
    /** The title's file name as the lines it is laid out on, read character by character from where each is drawn. */
    const titleLines = (page: Page) =>
      page.$eval('h1 .filename', (span) => {
        const lines: { top: number; text: string }[] = [];
        const walker = document.createTreeWalker(span, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const text = node.textContent ?? '';
          for (let i = 0; i < text.length; i++) {
            const range = document.createRange();
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const top = Math.round(range.getBoundingClientRect().top);
            const line = lines.find((l) => Math.abs(l.top - top) < 4);
            if (line) line.text += text[i];
            else lines.push({ top, text: text[i]! });
          }
        }
        return lines.map((l) => l.text);
      });
    const short = await submitOk(platform, path.join(examples, 'data/iris.csv'), { model: 'iris-logreg', filename: 'somebad.csv' });
    const page = await open(phone, short.links.page);
    expect(await titleLines(page)).toEqual(['somebad.csv']);
    await page.screenshot({ path: path.join(shots, 'job-title-phone.png') });
    const name = 'quarterly_sales_export_for_the_northern_region-2024-final.csv';
    const long = await submitOk(platform, path.join(examples, 'data/iris.csv'), { model: 'iris-logreg', filename: name });
    await page.goto(platform.url(long.links.page));
    const lines = await titleLines(page);
    expect(lines.join('')).toBe(name);
    expect(lines.length).toBeGreaterThan(1);
    // Every line but the last ends at a separator, or the next begins with the extension's dot.
    const breaks = lines.slice(0, -1).map((line, i) => /[_-]$/.test(line) || lines[i + 1]!.startsWith('.'));
    expect(breaks, lines.join(' | ')).not.toContain(false);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });
});
