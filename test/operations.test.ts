import { createReadStream } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { morePasses, platformDb, until } from './support/faults.js';
import { submit, waitForEnd } from './support/http.js';
import { ADMIN_TOKEN, examples, Platform, REDIS_BASE, repoRoot, sleep } from './support/platform.js';
import { TestSmtp } from './support/smtp.js';
import { startWebApp } from './support/web-app.js';
import { cookiesOf, cookieValue, scheduleJobs, signIn as signInAs } from './support/admin.js';
import { hasChromium, launchChromium } from './support/chromium.js';

/**
 * What the people who run batchcast use: /admin (bearer or signed session cookie, CSRF), bull-board under
 * /admin/queues, /metrics, scheduled batch runs, and the structured logs. One platform with LOG_LEVEL=info
 * and a real SMTP server; schedule sources are restricted to examples/data and a temporary directory.
 */
let smtp: TestSmtp;
let platform: Platform;
let sources: string;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const iris = path.join(examples, 'data', 'iris.csv');

beforeAll(async () => {
  smtp = new TestSmtp();
  sources = await mkdtemp(path.join(os.tmpdir(), 'batchcast-sources-'));
  platform = await new Platform({
    workers: 1,
    smtpPort: await smtp.start(),
    env: { LOG_LEVEL: 'info', SCHEDULE_SOURCE_DIRS: `${path.join(examples, 'data')},${sources}`, SCHEDULE_SOURCE_HOSTS: '127.0.0.1:*' },
  }).start();
});
afterAll(async () => {
  await platform?.stop();
  await smtp?.stop();
  await rm(sources, { recursive: true, force: true });
});

/** Submits a job and waits for its end; returns its id and token. */
async function runJob(file: string | Buffer, opts: { email?: string; filename?: string } = {}): Promise<{ id: string; token: string }> {
  const res = await submit(platform, file, { model: 'iris-logreg', ...opts });
  expect(res.status).toBe(202);
  const body = await res.json();
  await waitForEnd(platform, body.links.self);
  return { id: body.id, token: new URL(body.links.self, platform.baseUrl).searchParams.get('token')! };
}

const signIn = (headers: Record<string, string> = {}) => signInAs(platform, headers);

describe('/admin', () => {
  let job: { id: string; token: string };
  beforeAll(async () => {
    job = await runJob('iris.csv', { email: 'owner-admin@example.com', filename: '<flowers & "co">.csv' });
  });

  it('answers API clients 401 without credentials and 403 with a wrong token, as JSON', async () => {
    const none = await fetch(platform.url('/admin'), { headers: { accept: 'application/json' } });
    expect(none.status).toBe(401);
    expect((await none.json()).error.code).toBe('unauthorized');
    const wrong = await fetch(platform.url('/admin'), {
      headers: { authorization: 'Bearer not-the-admin-token-000', accept: 'application/json' },
    });
    expect(wrong.status).toBe(403);
    expect((await wrong.json()).error.code).toBe('forbidden');
  });

  it('answers 401 to a client that accepts anything (curl)', async () => {
    const res = await fetch(platform.url('/admin'), { headers: { accept: '*/*' }, redirect: 'manual' });
    expect(res.status).toBe(401);
  });

  it('sends a browser without a session to the sign-in form', async () => {
    const res = await fetch(platform.url('/admin'), { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/login?next=%2Fadmin');
  });

  it('lists recent jobs with status, rows, duration and owner for the bearer token, escaped', async () => {
    const overview = await (await fetch(platform.url('/admin'), { headers: { ...admin, accept: 'application/json' } })).json();
    const row = overview.jobs.find((j: { id: string }) => j.id === job.id);
    expect(row).toMatchObject({
      status: 'succeeded',
      email: 'owner-admin@example.com',
      rowsTotal: 150,
      rowsProcessed: 150,
      rowsFailed: 0,
      model: 'iris-logreg',
      modelVersion: 1,
    });
    expect(row.durationSeconds).toBeGreaterThanOrEqual(0);
    expect(overview.models.map((m: { name: string }) => m.name)).toContain('iris-logreg');
    expect(overview.queues.map((q: { name: string }) => q.name).sort()).toEqual(['email', 'finalize', 'schedule', 'score', 'webhook']);

    const html = await (await fetch(platform.url('/admin'), { headers: admin })).text();
    expect(html).toContain('owner-admin@example.com');
    expect(html).toContain('&lt;flowers &amp; &quot;co&quot;&gt;.csv');
    expect(html).not.toContain('<flowers');
    expect(html).toContain('href="/static/style.css"');
    expect(html).toContain('href="/admin/queues"');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/); // no inline script (the CSP forbids them)
  });

  it('signs a browser in with an HttpOnly, SameSite=Strict session cookie (Secure over https)', async () => {
    const { setCookie, cookie } = await signIn();
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/i);
    expect(cookie).not.toContain(ADMIN_TOKEN);
    const page = await fetch(platform.url('/admin'), { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('owner-admin@example.com');

    // Behind a TLS-terminating proxy on this host (X-Forwarded-Proto from loopback is trusted): Secure.
    expect((await signIn({ 'x-forwarded-proto': 'https' })).setCookie).toMatch(/; Secure/i);

    // A forged or altered cookie is no session.
    const forged = cookie.slice(0, -3) + (cookie.endsWith('AAA') ? 'BBB' : 'AAA');
    expect((await fetch(platform.url('/admin'), { headers: { cookie: forged, accept: 'application/json' } })).status).toBe(401);
  });

  it('refuses a wrong token and a sign-in form without its CSRF cookie', async () => {
    const form = await fetch(platform.url('/admin/login'));
    const loginCsrf = cookieValue(cookiesOf(form), 'bc_login_csrf')!;
    const field = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const post = (cookie: string, token: string) =>
      fetch(platform.url('/admin/login'), {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: field, token }),
      });
    const wrong = await post(`bc_login_csrf=${loginCsrf}`, 'not-the-admin-token-000');
    expect(wrong.status).toBe(401);
    expect(cookieValue(cookiesOf(wrong), 'bc_admin')).toBeUndefined();
    // Said on the form, tied to the token field for a screen reader, with what to do.
    const again = await wrong.text();
    expect(again).toContain(
      '<div class="error-box" id="login-error" role="alert"><p>That is not the admin token. Paste the ADMIN_TOKEN batchcast was started with, whole',
    );
    expect(again).toMatch(/<input type="password" name="token"[^>]* aria-invalid="true" aria-describedby="login-error">/);
    const noCsrf = await post('', ADMIN_TOKEN);
    expect(noCsrf.status).toBe(403);
    expect(cookieValue(cookiesOf(noCsrf), 'bc_admin')).toBeUndefined();
    // `next` never leads off the site.
    const offsite = await fetch(platform.url('/admin/login'), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: `bc_login_csrf=${loginCsrf}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: field, token: ADMIN_TOKEN, next: '//evil.example/admin' }),
    });
    expect(offsite.headers.get('location')).toBe('/admin');
  });

  it('needs the CSRF token for changes made with the session cookie', async () => {
    const { cookie, csrf } = await signIn();
    const body = JSON.stringify({ name: 'csrf-check', source: iris, model: 'iris-logreg', cron: '0 0 1 1 *', email: 'ops@example.com' });
    const without = await fetch(platform.url('/api/schedules'), {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body,
    });
    expect(without.status).toBe(403);
    expect((await without.json()).error.code).toBe('csrf');
    const crossSite = await fetch(platform.url('/api/schedules'), {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf, origin: 'https://evil.example' },
      body,
    });
    expect(crossSite.status).toBe(403);
    const ok = await fetch(platform.url('/api/schedules'), {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf },
      body,
    });
    expect(ok.status).toBe(201);
    // The admin page's own delete form.
    const del = await fetch(platform.url('/admin/schedules/csrf-check/delete'), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf }),
    });
    expect(del.status).toBe(303);
    expect((await (await fetch(platform.url('/api/schedules'), { headers: admin })).json()).schedules).toEqual([]);

    const out = await fetch(platform.url('/admin/logout'), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf }),
    });
    expect(out.status).toBe(303);
    expect(cookiesOf(out).find((c) => c.startsWith('bc_admin='))).toMatch(/Expires=Thu, 01 Jan 1970/);
  });

  it('serves bull-board for every queue under /admin/queues, behind the same guard', async () => {
    expect((await fetch(platform.url('/admin/queues/api/queues'), { headers: { accept: 'application/json' } })).status).toBe(401);
    const { cookie } = await signIn();
    const ui = await fetch(platform.url('/admin/queues'), { headers: { cookie } });
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('__UI_CONFIG__');
    const csp = ui.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-eval/);
    const api = await (await fetch(platform.url('/admin/queues/api/queues'), { headers: { cookie } })).json();
    expect(api.queues.map((q: { name: string }) => q.name).sort()).toEqual(['email', 'finalize', 'schedule', 'score', 'webhook']);
    // Its actions need our Origin (its UI cannot send the CSRF token).
    const resume = (origin: string) =>
      fetch(platform.url('/admin/queues/api/queues/schedule/resume'), { method: 'PUT', headers: { cookie, origin } });
    expect((await resume('https://evil.example')).status).toBe(403);
    expect((await resume(platform.baseUrl)).status).toBe(200);
  });
});

describe.skipIf(!hasChromium)('/admin in a browser', () => {
  it('signs in through the form; the admin page and bull-board run under the CSP, with no script error', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      const elsewhere: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error' && !/favicon|Failed to load resource/.test(m.text())) problems.push(m.text());
      });
      // Nothing is asked of a third party (bull-board's page would ask Google for web fonts).
      page.on('request', (r) => {
        if (!r.url().startsWith(platform.baseUrl) && !r.url().startsWith('data:')) elsewhere.push(r.url());
      });
      await page.goto(platform.url('/admin/queues'));
      expect(new URL(page.url()).pathname).toBe('/admin/login');
      await page.fill('input[name="token"]', ADMIN_TOKEN);
      await page.click('button[type="submit"]');
      await page.waitForURL(/\/admin\/queues$/);
      for (const q of ['score', 'finalize', 'email', 'schedule']) await page.getByText(q, { exact: true }).first().waitFor();
      await page.waitForLoadState('networkidle');
      await page.getByText('Loading').waitFor({ state: 'hidden' });
      const shots = path.join(repoRoot, 'test-artifacts', 'screenshots');
      await page.screenshot({ path: path.join(shots, 'admin-queues-desktop.png') });
      // The way back to /admin, in the menu of bull-board's own header.
      await page.locator('header button[aria-haspopup="menu"]').click();
      await page.getByRole('menuitem', { name: /batchcast admin/ }).click();
      await page.waitForURL(/\/admin$/);
      await page.waitForSelector('#jobs table');
      await page.screenshot({ path: path.join(shots, 'admin-desktop.png'), fullPage: true });
      expect(problems).toEqual([]);
      expect(elsewhere).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it("posts the admin page's forms as a browser does (Origin: null under no-referrer): registers a model, opens a job, resends its email, signs out", async () => {
    const { id } = await runJob('iris.csv', { email: 'browser-admin@example.com' });
    const browser = await launchChromium();
    try {
      // One context, so that a second tab shares the session cookie.
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const origins: string[] = [];
      page.on('request', (r) => {
        if (r.method() === 'POST') origins.push(r.headers().origin ?? '(none)');
      });
      await page.goto(platform.url('/admin'));
      await page.fill('input[name="token"]', ADMIN_TOKEN);
      await Promise.all([page.waitForURL(/\/admin$/), page.click('button[type="submit"]')]);

      await page.click('details.new-model summary');
      await page.setInputFiles('details.new-model input[name="file"]', path.join(examples, 'models', 'iris-logreg.onnx'));
      await page.fill('details.new-model input[name="name"]', 'browser-registered');
      await Promise.all([page.waitForLoadState('load'), page.click('details.new-model button[type="submit"]')]);
      await expect(page.locator('#registered').textContent()).resolves.toMatch(/Registered browser-registered@1\./);

      // Removing a version takes two presses: the first only says what removing means.
      const remove = page.locator('tr[data-model="browser-registered"] details.confirm-remove');
      await expect(remove.locator('button').isVisible()).resolves.toBe(false);
      await remove.locator('summary').click();
      await expect(remove.locator('p').textContent()).resolves.toContain('browser-registered v1 leaves the upload form');
      await Promise.all([page.waitForLoadState('load'), remove.locator('button').click()]);
      await expect(page.locator('tr[data-model="browser-registered"]').count()).resolves.toBe(0);
      expect((await fetch(platform.url('/api/models/browser-registered'))).status).toBe(410); // model_removed

      await page.goto(platform.url(`/admin/jobs/${id}`));
      await Promise.all([page.waitForURL(/\/jobs\/[^/]+\?token=/), page.click('#open-job')]);
      await page.goto(platform.url(`/admin/jobs/${id}`));
      await Promise.all([page.waitForLoadState('load'), page.click('#resend-email')]);
      expect(await page.title()).not.toMatch(/Not allowed/);

      // The API keys page in a second tab of this browser: a key made with its form, shown once.
      const keysTab = await context.newPage();
      await keysTab.goto(platform.url('/admin/keys'));
      await keysTab.fill('#create-key input[name="name"]', 'browser-key');
      await keysTab.check('#create-key input[value="jobs:read"]');
      await Promise.all([keysTab.waitForLoadState('load'), keysTab.click('#create-key button[type="submit"]')]);
      const secret = await keysTab.inputValue('#new-key-value');
      expect(secret).toMatch(/^bck_/);
      const asKey = () => fetch(platform.url('/api/jobs'), { headers: { authorization: `Bearer ${secret}` } });
      expect((await asKey()).status).toBe(200);

      await page.goto(platform.url('/admin'));
      await Promise.all([page.waitForLoadState('load'), page.click('form[action="/admin/logout"] button')]);
      await page.goto(platform.url('/admin'));
      expect(new URL(page.url()).pathname).toBe('/admin/login');

      // Signed out in the other tab, the keys tab's Revoke button leads to signing in again, then back to the keys
      // page; the key was not revoked by that post.
      const revoke = keysTab.locator('tr[data-state="active"]', { hasText: 'browser-key' }).locator('details.confirm-remove');
      await revoke.locator('summary').click();
      await Promise.all([keysTab.waitForURL(/\/admin\/login\?/), revoke.locator('button').click()]);
      await expect(keysTab.locator('#session-ended').textContent()).resolves.toContain('Your session ended; sign in again.');
      await keysTab.fill('input[name="token"]', ADMIN_TOKEN);
      await Promise.all([keysTab.waitForURL(/\/admin\/keys$/), keysTab.click('button[type="submit"]')]);
      expect((await asKey()).status).toBe(200);
      const again = keysTab.locator('tr[data-state="active"]', { hasText: 'browser-key' }).locator('details.confirm-remove');
      await again.locator('summary').click();
      await Promise.all([keysTab.waitForURL(/\/admin\/keys\?revoked=/), again.locator('button').click()]);
      await expect(keysTab.locator('#key-revoked').textContent()).resolves.toContain('Revoked browser-key');
      expect((await asKey()).status).toBe(401);
      // What made every one of them a 403 before: Chromium sends no origin with a form of a no-referrer page.
      expect(origins).toContain('null');
    } finally {
      await browser.close();
    }
  });

  it('still refuses a form posted from another site, whose Origin is null too', async () => {
    const { cookie, csrf } = await signIn();
    const post = (headers: Record<string, string>) =>
      fetch(platform.url('/admin/logout'), {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: 'null', ...headers },
        body: new URLSearchParams({ _csrf: csrf }),
      });
    for (const site of ['cross-site', 'same-site', 'none']) expect((await post({ 'sec-fetch-site': site })).status, site).toBe(403);
    // A browser too old to say where the request came from: refused rather than guessed.
    expect((await post({})).status).toBe(403);
    expect((await post({ 'sec-fetch-site': 'same-origin' })).status).toBe(303);
  });
});

/** The metrics exposition as a map of series to values. */
async function scrape(headers: Record<string, string> = admin, url = platform.url('/metrics')): Promise<Map<string, number>> {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const series = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

describe('/metrics', () => {
  it('needs the admin token', async () => {
    const res = await fetch(platform.url('/metrics'));
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe('unauthorized');
  });

  it('counts jobs, rows, inference and job durations from PostgreSQL, and queue depths', async () => {
    const before = await scrape();
    const bad = Buffer.from('sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\nx,3.0,1.4,0.2\n6.2,2.9,4.3,1.3\n');
    await runJob(bad);
    const after = await scrape();
    const delta = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
    expect(delta('batchcast_rows_scored_total')).toBe(2);
    expect(delta('batchcast_rows_failed_total')).toBe(1);
    expect(delta('batchcast_jobs{status="succeeded"}')).toBe(1);
    expect(delta('batchcast_inference_duration_seconds_count{model="iris-logreg"}')).toBe(1);
    expect(delta('batchcast_inference_duration_seconds_bucket{model="iris-logreg",le="+Inf"}')).toBe(1);
    expect(delta('batchcast_job_duration_seconds_count{status="succeeded"}')).toBe(1);
    expect(after.get('batchcast_job_duration_seconds_sum{status="succeeded"}')).toBeGreaterThan(0);
    // Buckets are cumulative.
    const buckets = [...after].filter(([k]) => k.startsWith('batchcast_job_duration_seconds_bucket{status="succeeded"'));
    expect(buckets.length).toBeGreaterThan(5);
    buckets.reduce((prev, [, v]) => {
      expect(v).toBeGreaterThanOrEqual(prev);
      return v;
    }, 0);
    for (const q of ['score', 'finalize', 'email', 'schedule'])
      expect(after.has(`batchcast_queue_jobs{queue="${q}",state="waiting"}`), q).toBe(true);
    expect(after.has('process_cpu_user_seconds_total')).toBe(true);
    expect(after.has('nodejs_eventloop_lag_seconds')).toBe(true);
  });

  it('is open with METRICS_PUBLIC=true, and disabled without ADMIN_TOKEN', async () => {
    const serve = async (env: Record<string, string>) => {
      const app = await startWebApp(platform, env);
      return { app, url: `${app.url}/metrics` };
    };
    const open = await serve({ METRICS_PUBLIC: 'true', ADMIN_TOKEN });
    try {
      expect((await scrape({}, open.url)).get('batchcast_rows_scored_total')).toBeGreaterThan(0);
    } finally {
      await open.app.close();
    }
    const disabled = await serve({});
    try {
      const res = await fetch(disabled.url);
      expect(res.status).toBe(403);
      expect((await res.json()).error.code).toBe('admin_disabled');
    } finally {
      await disabled.app.close();
    }
  });
});

describe('scheduled batch runs', () => {
  const post = (body: Record<string, unknown>, headers: Record<string, string> = admin) =>
    fetch(platform.url('/api/schedules'), {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const list = async () =>
    (await (await fetch(platform.url('/api/schedules'), { headers: admin })).json()).schedules as {
      name: string;
      runs: number;
      lastRun: { jobId: string; status: string } | null;
    }[];
  const jobsOf = (name: string) => scheduleJobs(platform, name);
  const base = { name: 'nightly', source: iris, model: 'iris-logreg', cron: '0 2 * * *', email: 'ops@example.com' };

  it('refuses what cannot run, saying what to fix', async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ...base, name: 'Bad Name' }, 422, 'invalid_name'],
      [{ ...base, cron: '61 * * * *' }, 422, 'invalid_cron'],
      [{ ...base, cron: '' }, 422, 'invalid_cron'],
      [{ ...base, timezone: 'Mars/Olympus' }, 422, 'invalid_timezone'],
      [{ ...base, source: 'data/iris.csv' }, 422, 'invalid_source'],
      [{ ...base, source: '/etc/hostname' }, 422, 'source_not_allowed'],
      [{ ...base, source: path.join(sources, 'missing.csv') }, 422, 'source_unreadable'],
      [{ ...base, source: 'ftp://127.0.0.1/iris.csv' }, 422, 'invalid_source'],
      [{ ...base, source: 'http://user:secret@127.0.0.1/iris.csv' }, 422, 'invalid_source'],
      [{ ...base, model: 'no-such-model' }, 422, 'unknown_model'],
      [{ ...base, email: 'not an address' }, 400, 'invalid_email'],
      [{ ...base, email: undefined }, 400, 'invalid_email'],
      [{ ...base, email: '' }, 400, 'invalid_email'],
      [{ ...base, email: ['ops@example.com'] }, 400, 'invalid_email'],
      [{ ...base, attempts: 0 }, 422, 'invalid_attempts'],
    ];
    for (const [body, status, code] of cases) {
      const res = await post(body);
      const e = (await res.json()).error;
      expect([res.status, e.code], JSON.stringify(body)).toEqual([status, code]);
      expect(e.message.length).toBeGreaterThan(20);
    }
    expect((await post(base, {})).status).toBe(401);
    expect(await list()).toEqual([]);
  });

  it('keeps the reading options it is given, from the API and the admin form, and shows them', async () => {
    // A CSV without a header row, ';' and decimal commas: the first line is not the header, and ',' splits it too.
    const file = path.join(sources, 'iris-no-header.csv');
    await writeFile(file, '5,1;3,5;1,4;0,2\n6,3;3,3;6,0;2,5\n');
    const refused = await post({ ...base, name: 'bare', source: file });
    expect([refused.status, (await refused.json()).error.code]).toEqual([422, 'missing_columns']);
    const res = await post({ ...base, name: 'bare', source: file, reading: { delimiter: 'semicolon', decimal: 'comma', header: 'none' } });
    expect(res.status).toBe(201);
    expect((await res.json()).reading).toEqual({ delimiter: ';', decimal: ',', header: 'none' });
    // Refused as an upload's fields are: a value it does not take, a field it does not know.
    const bad = await post({ ...base, name: 'bad-reading', reading: { header: 'no' } });
    const badError = (await bad.json()).error;
    expect([bad.status, badError.code]).toEqual([422, 'invalid_reading']);
    expect(badError.message).toContain('"header" must be "none" (the file has no header row)');
    const misspelt = await post({ ...base, name: 'bad-reading', reading: { delimeter: ';' } });
    expect(misspelt.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(await misspelt.json())).toContain('delimeter');

    // The admin page's form: its empty fields are "detect".
    const { cookie, csrf } = await signIn();
    const fields = { _csrf: csrf, name: 'bare-form', source: file, model: 'iris-logreg', cron: '0 2 * * *', email: 'ops@example.com' };
    const form = await fetch(platform.url('/admin/schedules'), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fields, delimiter: 'semicolon', decimal: '', encoding: '', sheet: '', header: 'none' }),
    });
    expect(form.status, await form.text()).toBe(303);
    const listed = (await (await fetch(platform.url('/api/schedules'), { headers: admin })).json()).schedules as {
      name: string;
      reading: Record<string, string>;
    }[];
    expect(listed.find((s) => s.name === 'bare-form')?.reading).toEqual({ delimiter: ';', header: 'none' });
    const page = await (await fetch(platform.url('/admin'), { headers: { cookie } })).text();
    expect(page).toContain('semicolon-separated, decimal comma, no header row');
    expect(page).toContain('semicolon-separated, no header row');
    for (const name of ['bare', 'bare-form']) {
      expect((await fetch(platform.url(`/api/schedules/${name}`), { method: 'DELETE', headers: admin })).status).toBe(204);
    }
  });

  it('runs every second, emails each run, and stops when deleted', async () => {
    const res = await post({ ...base, name: 'every-second', cron: '* * * * * *', email: 'scheduled@example.com' });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ name: 'every-second', attempts: 3, runs: 0, lastRun: null });

    const mail = await smtp.waitFor('scheduled@example.com', 60_000);
    expect(mail.subject).toContain('predictions ready (150 rows)');
    const link = new URL(/https?:\/\/\S+\/jobs\/\S+/.exec(mail.text)![0]);
    const status = await (await fetch(platform.url(`/api/jobs${link.pathname.slice('/jobs'.length)}${link.search}`))).json();
    expect(status).toMatchObject({ status: 'succeeded', filename: 'iris.csv', rows: { total: 150, processed: 150, failed: 0 } });
    const [schedule] = await list();
    expect(schedule!.runs).toBeGreaterThanOrEqual(1);

    expect((await fetch(platform.url('/api/schedules/every-second'), { method: 'DELETE', headers: admin })).status).toBe(204);
    expect((await fetch(platform.url('/api/schedules/every-second'), { method: 'DELETE', headers: admin })).status).toBe(404);
    // A run already taken when it was deleted may still finish; after that, nothing more: the schedule queue
    // empties, and two reconciler passes later (4 s of a timer that fired every second, had it survived, and
    // two chances for the reconciler to wrongly re-create it) no run has been added.
    const scheduleQueue = async () =>
      (await (await fetch(platform.url('/admin'), { headers: { ...admin, accept: 'application/json' } })).json()).queues.find(
        (q: { name: string }) => q.name === 'schedule',
      ).counts as Record<string, number>;
    await until('the schedule queue empty', async () => {
      const c = await scheduleQueue();
      return c.delayed === 0 && c.waiting === 0 && c.active === 0;
    });
    const settled = (await jobsOf('every-second')).length;
    expect(settled).toBeGreaterThanOrEqual(1);
    const db = await platformDb(platform);
    try {
      await morePasses(db, 'reconcile', 2);
    } finally {
      await db.end();
    }
    expect((await jobsOf('every-second')).length).toBe(settled);
    expect(await scheduleQueue()).toMatchObject({ delayed: 0, waiting: 0, active: 0 });
  });

  it('records a run that cannot read its source as a failed job, and emails its owner why', async () => {
    const file = path.join(sources, 'vanishing.csv');
    await copyFile(iris, file);
    expect(
      (await post({ ...base, name: 'vanishing', source: file, cron: '* * * * * *', email: 'vanishing@example.com', attempts: 1 })).status,
    ).toBe(201);
    await rm(file);
    const mail = await smtp.waitFor('vanishing@example.com', 60_000);
    await fetch(platform.url('/api/schedules/vanishing'), { method: 'DELETE', headers: admin });
    expect(mail.subject).toContain('failed');
    const [failed] = await jobsOf('vanishing');
    expect(failed).toMatchObject({ status: 'failed' });
    const overview = await (await fetch(platform.url('/admin'), { headers: { ...admin, accept: 'application/json' } })).json();
    expect(overview.jobs.find((j: { id: string }) => j.id === failed!.id).error).toMatch(/could not read .*vanishing\.csv.*is no file/);
  });

  it('records a run whose model was removed since as a failed job saying so, instead of failing silently', async () => {
    const form = new FormData();
    form.set('name', 'short-lived');
    form.set('file', new Blob([await readFile(path.join(examples, 'models', 'iris-logreg.onnx'))]), 'short-lived.onnx');
    expect((await fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: admin })).status).toBe(201);
    const name = 'model-gone';
    const created = await post({ ...base, name, model: 'short-lived', email: 'model-gone@example.com', attempts: 1 });
    expect(created.status).toBe(201);
    // The model leaves the registry (an operator's cleanup in SQL) before any run, then the schedule comes
    // due every second (its timer follows PostgreSQL at the reconciler's next pass): no run can use the model.
    const db = await platformDb(platform);
    try {
      await db.query(`DELETE FROM models WHERE name = 'short-lived'`);
      await db.query(`UPDATE schedules SET cron = '* * * * * *' WHERE name = $1`, [name]);
    } finally {
      await db.end();
    }
    const mail = await smtp.waitFor('model-gone@example.com', 60_000);
    await fetch(platform.url(`/api/schedules/${name}`), { method: 'DELETE', headers: admin });
    expect(mail.subject).toContain('failed');
    const failed = (await jobsOf(name)).find((j) => j.status === 'failed');
    const overview = await (await fetch(platform.url('/admin'), { headers: { ...admin, accept: 'application/json' } })).json();
    expect(overview.jobs.find((j: { id: string }) => j.id === failed!.id).error).toMatch(
      /"model-gone" has no model to score with: There is no model "short-lived".*Register "short-lived" again, or delete the schedule/,
    );
  });

  it('reads an http(s) source (a loopback server here)', async () => {
    const server = http.createServer((req, res) => {
      if (req.url !== '/exports/iris.csv') return void res.writeHead(404).end('not here');
      res.writeHead(200, { 'content-type': 'text/csv' });
      createReadStream(iris).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const source = `http://127.0.0.1:${(server.address() as AddressInfo).port}/exports/iris.csv`;
      expect((await post({ ...base, name: 'from-url', source, cron: '* * * * * *', email: 'url-source@example.com' })).status).toBe(201);
      const mail = await smtp.waitFor('url-source@example.com', 60_000);
      expect((await fetch(platform.url('/api/schedules/from-url'), { method: 'DELETE', headers: admin })).status).toBe(204);
      expect(mail.subject).toContain('predictions ready (150 rows)');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('gets its timer back from PostgreSQL after Redis lost it', async () => {
    expect((await post({ ...base, name: 'survivor' })).status).toBe(201);
    const connection = new Redis(REDIS_BASE, { maxRetriesPerRequest: null });
    const queue = new Queue('schedule', { connection, prefix: platform.prefix });
    try {
      expect(await queue.getJobScheduler('survivor')).toMatchObject({ pattern: '0 2 * * *' });
      // Redis loses the queue's data (a flush, a failover without persistence).
      const keys = await connection.keys(`${platform.prefix}:schedule:*`);
      if (keys.length) await connection.del(...keys);
      expect(await queue.getJobScheduler('survivor')).toBeUndefined();
      const deadline = Date.now() + 30_000;
      while (!(await queue.getJobScheduler('survivor'))) {
        if (Date.now() > deadline) throw new Error(`timer not re-created:\n${platform.output.slice(-3000)}`);
        await sleep(250);
      }
      expect((await fetch(platform.url('/api/schedules/survivor'), { method: 'DELETE', headers: admin })).status).toBe(204);
      expect(await queue.getJobScheduler('survivor')).toBeUndefined();
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });
});

describe('logs', () => {
  it('are JSON lines that carry job ids and never a token or an address', async () => {
    const job = await runJob('iris.csv', { email: 'private-person@example.com' });
    await smtp.waitFor('private-person@example.com');
    await until('the email job logged', () => platform.output.split('\n').some((l) => l.includes(job.id) && l.includes('owner notified')));
    // Plain lines for people at start ("batchcast: ..."), then only JSON.
    const lines = platform.output.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('batchcast: '));
    expect(lines.length).toBeGreaterThan(10);
    const records = lines.map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON log line: ${l.slice(0, 300)}`);
      }
    });
    for (const r of records)
      expect(typeof r.msg === 'string' && typeof r.level === 'number' && typeof r.service === 'string', JSON.stringify(r)).toBe(true);
    const ofJob = records.filter((r) => r.jobId === job.id);
    expect(ofJob.map((r) => r.msg)).toEqual(expect.arrayContaining(['job submitted', 'chunk scored', 'job finished', 'owner notified']));
    expect(platform.output).not.toContain(job.token);
    expect(platform.output).not.toContain('private-person@example.com');
    // Nor any other address or secret this file used.
    for (const secret of [
      ADMIN_TOKEN,
      'owner-admin@example.com',
      'scheduled@example.com',
      'vanishing@example.com',
      'url-source@example.com',
    ])
      expect(platform.output).not.toContain(secret);
  });
});
