import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium } from './support/chromium.js';
import { formatFixtures } from './support/formats.js';
import { Platform } from './support/platform.js';

/**
 * The upload page's check of pandas' to_json(orient='values') JSON (a list of lists, no column names), in headless
 * Chromium: read as JSON, never as a CSV whose one line is a header (pandas writes the whole array on one line, and
 * the page refused it as "a header row but no data rows" before it was sent); without "The file has no header row"
 * it says to tick it, as the server would; with it, the first list is checked against the model's columns as a
 * header-less CSV's first line is; the job page then says the file was read as JSON.
 */
let platform: Platform;
let browser: Browser;

describe.skipIf(!hasChromium)("pandas' orient='values' JSON on the upload page", () => {
  beforeAll(async () => {
    [platform, browser] = await Promise.all([new Platform({ workers: 1 }).start(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('is checked as a list of lists, read with "The file has no header row", and said as JSON on the job page', async () => {
    const page: Page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(platform.url('/'));
    await page.selectOption('select[name="model"]', 'iris-logreg@1');
    const values = await readFile(path.join(formatFixtures, 'iris-values.json'));
    const choose = (name: string, buffer: Buffer) =>
      page.setInputFiles('input[name="file"]', { name, mimeType: 'application/json', buffer });

    // Without the option: said as the server says it (json_layout), the box to tick shown and marked.
    await choose('iris-values.json', values);
    await expect
      .poll(() => page.textContent('#file-check'))
      .toContain(
        "The file is a JSON list of lists, as pandas' to_json(orient='values') writes the rows: its values have no column names. " +
          "If each list is a row whose values are iris-logreg's columns in its order (sepal_length, sepal_width, petal_length, petal_width), " +
          'tick "The file has no header row" under "How to read the file" above',
      );
    expect(await page.$eval('#file-options', (d) => (d as HTMLDetailsElement).open)).toBe(true);
    expect(await page.getAttribute('#header-input', 'aria-invalid')).toBe('true');

    // With it: the first list's values are the model's columns, in its order.
    await page.check('#header-input');
    await expect
      .poll(() => page.textContent('#file-check'))
      .toContain(
        "(pandas' to_json(orient='values') JSON, no header row): its first 4 values of each list read as iris-logreg's columns, in its order.",
      );
    expect(await page.getAttribute('#header-input', 'aria-invalid')).toBeNull();
    // Fewer values than the model reads, or a first list naming its columns: refused before sending, as the server would.
    await choose('short.json', Buffer.from('[[5.1,3.5,1.4],[4.9,3.0,1.4]]'));
    await expect
      .poll(() => page.textContent('#file-check'))
      .toContain("it reads 4 columns (sepal_length, sepal_width, petal_length, petal_width), but the file's first list has 3 values.");
    await choose('named.json', Buffer.from('[["sepal_length","sepal_width","petal_length","petal_width"],[5.1,3.5,1.4,0.2]]'));
    await expect
      .poll(() => page.textContent('#file-check'))
      .toContain('The first list names the columns iris-logreg needs: it is a header, not a row.');

    await choose('iris-values.json', values);
    await expect.poll(() => page.textContent('#file-check')).toContain('✓ iris-values.json');
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/jobs\//);
    await page.waitForSelector('#status[data-status="succeeded"]', { timeout: 60_000 });
    expect(await page.textContent('#input-format')).toBe('Read as JSON (no header row).');
    expect(await page.textContent('#input-notes')).toContain(
      "Read as pandas' to_json(orient='values') output, a list of lists without column names",
    );
    expect(problems).toEqual([]);
  });
});
