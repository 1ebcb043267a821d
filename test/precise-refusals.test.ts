import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookiesOf, cookieValue } from './support/admin.js';
import { fileBlob } from './support/http.js';
import { ADMIN_TOKEN, examples, Platform } from './support/platform.js';
import { startWebApp } from './support/web-app.js';

/**
 * Requests that were answered with the wrong words: a cut-short model registration (500), a body of another type
 * sent to the real-time endpoint ("JSON but not an object"), a job link's token sent twice (404 "copied whole"),
 * and the development outbox's sign-in (back to /admin, not the outbox). The web app of this checkout (its
 * TypeScript sources) in this process, on a platform's PostgreSQL and Redis.
 */
let platform: Platform;
let web: Awaited<ReturnType<typeof startWebApp>>;

beforeAll(async () => {
  platform = await new Platform({ workers: 1 }).start();
  web = await startWebApp(platform, { ADMIN_TOKEN, PUBLIC_URL: platform.baseUrl });
}, 120_000);
afterAll(async () => {
  await web?.close();
  await platform?.stop();
});

const url = (p: string) => new URL(p, web.url).toString();
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
/** What a browser sends when it opens a page or posts a form. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  return ((await res.json()) as { error: { code: string; message: string } }).error;
}

async function createKey(scopes: string[]): Promise<string> {
  const res = await fetch(url('/api/keys'), {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `refusals-${scopes.join('-').replace(':', '-')}`, scopes }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

/** The sign-in form at `path` (its CSRF cookie and field), then the form posted with `next`. */
async function signInVia(formPath: string, next: string): Promise<Response> {
  const form = await fetch(url(formPath), { headers: { accept: BROWSER_ACCEPT } });
  const loginCsrf = cookieValue(cookiesOf(form), 'bc_login_csrf')!;
  const field = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  return fetch(url('/admin/login'), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: `bc_login_csrf=${loginCsrf}`, 'content-type': 'application/x-www-form-urlencoded', accept: BROWSER_ACCEPT },
    body: new URLSearchParams({ _csrf: field, token: ADMIN_TOKEN, next }),
  });
}

/** The admin session cookie a sign-in set (`bc_admin=...`). */
const sessionCookie = (signedIn: Response): string =>
  cookiesOf(signedIn)
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('bc_admin='))!;

describe('a model registration whose multipart body is broken', () => {
  /**
   * curl's body cut in the middle of the file (busboy: "Unexpected end of form"), a field before it (a data upload's
   * `model`, a registration's `name`); and one without a boundary.
   */
  const cut = (field: string, value: string) =>
    `--XYZ\r\nContent-Disposition: form-data; name="${field}"\r\n\r\n${value}\r\n` +
    '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="m.onnx"\r\n\r\nabc';
  const broken = [
    {
      contentType: 'multipart/form-data; boundary=XYZ',
      upload: cut('model', 'iris-logreg'),
      body: cut('name', 'broken-upload'),
      says: 'Unexpected end of form',
    },
    { contentType: 'multipart/form-data', upload: 'x', body: 'x', says: 'Boundary not found' },
  ];
  const post = (p: string, contentType: string, body: string, headers: Record<string, string> = {}) =>
    fetch(url(p), { method: 'POST', headers: { ...headers, 'content-type': contentType }, body });

  it('is 400 malformed_upload as a data upload is, by the admin token, a models:write key and the admin page; its place is released', async () => {
    const key = await createKey(['models:write']);
    // The admin page's form, posted by a signed-in browser: the refusal is the page, its message in the form's box.
    const cookie = sessionCookie(await signInVia('/admin/login', '/admin'));
    for (const { contentType, upload: uploadBody, body, says } of broken) {
      // The words a data upload is answered with for the same body.
      const upload = await post('/api/jobs', contentType, uploadBody);
      expect(upload.status, says).toBe(400);
      const expected = await errorOf(upload);
      expect(expected).toMatchObject({ code: 'malformed_upload', message: expect.stringContaining(says) });

      for (const headers of [admin, { authorization: `Bearer ${key}` }]) {
        const res = await post('/api/models', contentType, body, headers);
        expect(res.status, says).toBe(400);
        expect(await errorOf(res), says).toEqual(expected);
      }
      const page = await post('/admin/models', contentType, body, { cookie, origin: web.url, accept: BROWSER_ACCEPT });
      expect(page.status, says).toBe(400);
      expect(await page.text(), says).toContain(expected.message);
    }
    // Six refusals, more than the registrations at once (2): each let its place go, so a registration goes through.
    const form = new FormData();
    form.set('name', 'after-broken-uploads');
    form.set('file', fileBlob(await readFile(path.join(examples, 'models', 'iris-logreg.onnx'))), 'iris-logreg.onnx');
    const registered = await fetch(url('/api/models'), { method: 'POST', headers: admin, body: form });
    expect(registered.status, await registered.clone().text()).toBe(201);
    expect((await fetch(url('/api/models/broken-upload'))).status).toBe(404);
  });
});

describe('a real-time body that is not JSON', () => {
  const predict = (contentType: string | null, body: BodyInit) =>
    fetch(url('/api/models/iris-logreg/predict'), {
      method: 'POST',
      ...(contentType ? { headers: { 'content-type': contentType } } : {}),
      body,
    });

  it('sent as another type, is told to be JSON or a batch job (415) wherever the reader stopped', async () => {
    const multipart = new FormData();
    multipart.set('rows', '[]');
    for (const [contentType, body] of [
      ['text/csv', '5.1,3.5,1.4,0.2\n'],
      ['application/x-www-form-urlencoded', '5 junk'],
      [null, multipart],
      ['text/csv', 'sepal_length,sepal_width\n5.1,3.5\n'],
    ] as const) {
      const res = await predict(contentType, body);
      const what = contentType ?? 'multipart';
      expect(res.status, what).toBe(415);
      const e = await errorOf(res);
      expect(e.code, what).toBe('unsupported_content_type');
      expect(e.message, what).toMatch(/^The body is not JSON \(it came as ".+"\): send \{ "rows".*POST \/api\/jobs/);
    }
  });

  it('sent as JSON with bytes after a value, says so rather than "not an object"', async () => {
    const res = await predict('application/json', '5 junk');
    expect(res.status).toBe(400);
    const e = await errorOf(res);
    expect(e).toMatchObject({ code: 'malformed_json', offset: 2 });
    expect(e.message).toBe('The body is not valid JSON: expected the end of the body after the JSON value at byte 2 (found "j").');
  });
});

describe("a job link's token sent twice", () => {
  it('is told to send "token" once, as "limit" twice is, on the API and the job page', async () => {
    const form = new FormData();
    form.set('model', 'iris-logreg');
    form.set('file', fileBlob(await readFile(path.join(examples, 'data', 'iris.csv')), 'text/csv'), 'iris.csv');
    const submitted = await fetch(url('/api/jobs'), { method: 'POST', body: form });
    expect(submitted.status, await submitted.clone().text()).toBe(202);
    const job = (await submitted.json()) as { id: string; links: { self: string } };
    const token = new URL(job.links.self, web.url).searchParams.get('token')!;
    const twice = `token=${encodeURIComponent(token)}&token=${encodeURIComponent(token)}`;

    const key = await createKey(['jobs:read']);
    const limit = await fetch(url('/api/jobs?limit=1&limit=1'), { headers: { authorization: `Bearer ${key}` } });
    const limitError = await errorOf(limit);
    expect([limit.status, limitError.message]).toEqual([422, 'Send "limit" once: this query has it 2 times.']);

    const api = await fetch(url(`/api/jobs/${job.id}?${twice}`));
    expect(api.status).toBe(limit.status);
    expect(await errorOf(api)).toEqual({ code: 'invalid_token', message: 'Send "token" once: this query has it 2 times.' });
    const page = await fetch(url(`/jobs/${job.id}?${twice}`), { headers: { accept: BROWSER_ACCEPT } });
    expect(page.status).toBe(limit.status);
    const html = await page.text();
    expect(html).toMatch(/Send (&quot;|&#34;|")token(&quot;|&#34;|") once/);
    expect(html).not.toContain('copied whole');
    // With an API key as the bearer, the link's token can only be in the query: told the same (was a 404).
    const withKey = await fetch(url(`/api/jobs/${job.id}?${twice}`), { headers: { authorization: `Bearer ${key}` } });
    expect([withKey.status, await errorOf(withKey)]).toEqual([
      limit.status,
      { code: 'invalid_token', message: 'Send "token" once: this query has it 2 times.' },
    ]);
    // Once, the link opens the job as ever.
    expect((await fetch(url(`/api/jobs/${job.id}?token=${encodeURIComponent(token)}`))).status).toBe(200);
  });
});

describe('the development outbox opened signed out', () => {
  it('comes back to the outbox after signing in', async () => {
    const outbox = await fetch(url('/dev/outbox'), { redirect: 'manual', headers: { accept: BROWSER_ACCEPT } });
    expect(outbox.status).toBe(303);
    const location = outbox.headers.get('location')!;
    expect(location).toBe('/admin/login?next=%2Fdev%2Foutbox');
    expect(await (await fetch(url(location))).text()).toContain('name="next" value="/dev/outbox"');
    const signedIn = await signInVia(location, '/dev/outbox');
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/dev/outbox');
    const cookie = sessionCookie(signedIn);
    expect((await fetch(url('/dev/outbox'), { headers: { cookie, accept: BROWSER_ACCEPT } })).status).toBe(200);
  });

  it('never goes to another site or another path from there: those are /admin', async () => {
    for (const next of [
      '//evil.example/dev/outbox',
      'https://evil.example/dev/outbox',
      '/\\evil.example/dev/outbox',
      '/dev/outbox//evil.example',
      '/dev/outbox/\\evil.example',
      '/dev/outbox\tx',
      '/dev/outboxx',
      '/dev/',
      '/dev/outbox/../../evil',
      'javascript:alert(1)//dev/outbox',
    ]) {
      const res = await signInVia('/admin/login', next);
      expect(res.status, next).toBe(303);
      expect(res.headers.get('location'), next).toBe('/admin');
    }
    expect((await signInVia('/admin/login', '/dev/outbox?x=1')).headers.get('location')).toBe('/dev/outbox?x=1');
  });
});
