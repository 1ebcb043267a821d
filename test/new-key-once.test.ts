import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from './support/admin.js';
import { hasChromium, launchChromium } from './support/chromium.js';
import { inPlatformDb } from './support/faults.js';
import { ADMIN_TOKEN, Platform } from './support/platform.js';
import { startWebApp } from './support/web-app.js';

/**
 * The admin keys page's create form answers with a redirect (Post/Redirect/Get): the page it leads to shows the
 * new key once, to the session that made it only, from any web process (the key waits in PostgreSQL, sealed);
 * reloading it makes no other key and shows the key no more; the key is never in a URL nor in the logs.
 */
let platform: Platform;

beforeAll(async () => {
  // Every log line the platform writes, requests included: none may hold the key.
  platform = await new Platform({ workers: 1, env: { LOG_LEVEL: 'trace' } }).start();
}, 120_000);
afterAll(async () => {
  await platform?.stop();
});

/** What a browser sends when it opens a page or posts a form. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

const keyIds = async (): Promise<string[]> =>
  ((await (await fetch(platform.url('/api/keys'), { headers: admin })).json()) as { keys: { id: string }[] }).keys.map((k) => k.id);

const createKey = (base: string, cookie: string, csrf: string, name: string) =>
  fetch(new URL('/admin/keys', base), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, accept: BROWSER_ACCEPT, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams([
      ['_csrf', csrf],
      ['name', name],
      ['scopes', 'jobs:read'],
    ]),
  });

const openPage = async (base: string, path: string, cookie: string): Promise<string> => {
  const res = await fetch(new URL(path, base), { headers: { cookie, accept: BROWSER_ACCEPT } });
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return res.text();
};

/** A whole key (the list shows only its first characters, `bck_` and eight more). */
const WHOLE_KEY = /bck_[A-Za-z0-9]{43}/;
const shownKey = (page: string): string | undefined => /id="new-key"[\s\S]*?value="(bck_[A-Za-z0-9]+)"/.exec(page)?.[1];

describe('a key made on the admin keys page', () => {
  it('is shown once, on the page the form redirects to, to its session only, by any web process; a reload makes no other', async () => {
    const mine = await signIn(platform);
    const other = await signIn(platform);
    const before = await keyIds();

    const posted = await createKey(platform.baseUrl, mine.cookie, mine.csrf, 'made-once');
    expect(posted.status).toBe(303);
    const location = posted.headers.get('location')!;
    const keyId = /^\/admin\/keys\?created=([0-9a-f-]{36})$/.exec(location)?.[1];
    expect(keyId, location).toBeDefined();
    expect(await posted.text()).not.toMatch(WHOLE_KEY);
    const after = await keyIds();
    expect(after).toContain(keyId);
    expect(after).toHaveLength(before.length + 1);

    // Held in PostgreSQL for that session, sealed: what the database holds is not the key.
    const held = await inPlatformDb(platform, (db) =>
      db.query<{ sealed: Buffer }>('SELECT sealed FROM new_key_handovers WHERE key_id = $1', [keyId]),
    );
    expect(held.rows).toHaveLength(1);

    // Another session with the same address sees no key, and does not use it up.
    const stranger = await openPage(platform.baseUrl, location, other.cookie);
    expect(stranger).not.toMatch(WHOLE_KEY);
    expect(stranger).not.toContain('id="new-key"');

    // The session that made it, on another web process sharing the database: the key, once.
    const second = await startWebApp(platform, { ADMIN_TOKEN, PUBLIC_URL: platform.baseUrl });
    let secret: string;
    try {
      const page = await openPage(second.url, location, mine.cookie);
      secret = shownKey(page)!;
      expect(secret).toMatch(/^bck_[A-Za-z0-9]{43}$/);
      expect(page).toContain('Created the key <strong>made-once</strong>');
    } finally {
      await second.close();
    }
    expect(held.rows[0]!.sealed.includes(Buffer.from(secret))).toBe(false);
    expect((await fetch(platform.url('/api/jobs'), { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);

    // Reloaded: no key shown, a notice that it was; no other key made; nothing left held.
    const reloaded = await openPage(platform.baseUrl, location, mine.cookie);
    expect(reloaded).not.toMatch(WHOLE_KEY);
    expect(reloaded).not.toContain('id="new-key"');
    expect(reloaded).toContain('id="key-shown-before"');
    expect(reloaded).toContain('is not shown again');
    expect((await keyIds()).length).toBe(before.length + 1);
    const left = await inPlatformDb(platform, (db) => db.query('SELECT 1 FROM new_key_handovers WHERE key_id = $1', [keyId]));
    expect(left.rowCount).toBe(0);
    expect(platform.output).not.toContain(secret);
  });

  it('a HEAD of the page does not use the key up unseen', async () => {
    const { cookie, csrf } = await signIn(platform);
    const location = (await createKey(platform.baseUrl, cookie, csrf, 'head-first')).headers.get('location')!;
    const head = await fetch(platform.url(location), { method: 'HEAD', headers: { cookie, accept: BROWSER_ACCEPT } });
    expect(head.status).toBe(200);
    expect(shownKey(await openPage(platform.baseUrl, location, cookie))).toMatch(/^bck_/);
  });

  it.skipIf(!hasChromium)('in a browser: the key shows after the form, a reload shows it no more and makes no other key', async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(platform.url('/admin/login?next=/admin/keys'));
      await page.fill('input[name="token"]', ADMIN_TOKEN);
      await Promise.all([page.waitForURL(/\/admin\/keys$/), page.click('button[type="submit"]')]);
      const before = (await keyIds()).length;
      await page.fill('#create-key input[name="name"]', 'browser-once');
      await page.check('#create-key input[value="jobs:read"]');
      // The form's answer, then the page it led to (itself, or the page redirected to) loaded.
      const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/admin/keys');
      await page.click('#create-key button[type="submit"]');
      await answered;
      await page.waitForSelector('#new-key-value');
      expect(new URL(page.url()).search).toMatch(/^\?created=/);
      const secret = await page.inputValue('#new-key-value');
      expect(secret).toMatch(/^bck_/);
      expect(page.url()).not.toContain(secret);

      // (Headless Chromium does not post a form again on reload, as a person confirming the browser's prompt does:
      // the first test checks that the redirect's page is a GET, which makes nothing.)
      await page.reload();
      expect((await keyIds()).length, 'keys made').toBe(before + 1);
      expect(await page.locator('#key-shown-before').count()).toBe(1);
      expect(await page.locator('#new-key-value').count()).toBe(0);
      expect(await page.textContent('#key-shown-before')).toContain('browser-once');
      await context.close();
    } finally {
      await browser?.close();
    }
  });
});
