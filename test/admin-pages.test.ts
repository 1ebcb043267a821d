import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookiesOf, cookieValue, signIn } from './support/admin.js';
import { ADMIN_TOKEN, Platform } from './support/platform.js';

/**
 * The admin pages in a browser whose session ended (signed out in another tab, expired): sent to the sign-in
 * form with a notice and back to the page after signing in (a path under /admin only), a form posted without a
 * session not performed; API clients still get 401; through the real platform (PostgreSQL, Redis).
 */
let platform: Platform;

beforeAll(async () => {
  platform = await new Platform({ workers: 1 }).start();
}, 120_000);
afterAll(async () => {
  await platform?.stop();
});

/** What a browser sends when it opens a page or posts a form. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** A session signed in, then signed out (as another tab would): its cookie and CSRF token are stale. */
async function endedSession(): Promise<{ cookie: string; csrf: string }> {
  const s = await signIn(platform);
  const out = await fetch(platform.url('/admin/logout'), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: s.csrf }),
  });
  expect(out.status).toBe(303);
  return s;
}

/** The sign-in form at `path` (its CSRF cookie and field), then the form posted with `next`. */
async function signInVia(path: string, next: string): Promise<Response> {
  const form = await fetch(platform.url(path), { headers: { accept: BROWSER_ACCEPT } });
  const loginCsrf = cookieValue(cookiesOf(form), 'bc_login_csrf')!;
  const field = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  return fetch(platform.url('/admin/login'), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: `bc_login_csrf=${loginCsrf}`, 'content-type': 'application/x-www-form-urlencoded', accept: BROWSER_ACCEPT },
    body: new URLSearchParams({ _csrf: field, token: ADMIN_TOKEN, next }),
  });
}

const postForm = (path: string, cookie: string, fields: [string, string][], accept = BROWSER_ACCEPT) =>
  fetch(platform.url(path), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, accept, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });

describe('a browser whose admin session ended', () => {
  it('is sent (303) to the sign-in form with a notice, and back to its page after signing in', async () => {
    const { cookie } = await endedSession();
    const page = await fetch(platform.url('/admin/jobs/abc?x=1'), { redirect: 'manual', headers: { cookie, accept: BROWSER_ACCEPT } });
    expect(page.status).toBe(303);
    const location = page.headers.get('location')!;
    expect(location).toBe(`/admin/login?next=${encodeURIComponent('/admin/jobs/abc?x=1')}&ended=1`);
    const login = await (await fetch(platform.url(location), { headers: { accept: BROWSER_ACCEPT } })).text();
    expect(login).toContain('Your session ended; sign in again.');
    expect(login).toContain('name="next" value="/admin/jobs/abc?x=1"');
    const signedIn = await signInVia(location, '/admin/jobs/abc?x=1');
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/admin/jobs/abc?x=1');
  });

  it('is told its session ended when the browser dropped the expired cookie, but not on a first visit', async () => {
    const signedIn = await signInVia('/admin/login', '/admin');
    const before = cookiesOf(signedIn).find((c) => c.startsWith('bc_admin_before='))!;
    expect(before).toMatch(/Path=\/admin/);
    // No session cookie any more (expired: the browser forgot it), the marker of an earlier sign-in kept.
    const expired = await fetch(platform.url('/admin'), {
      redirect: 'manual',
      headers: { cookie: 'bc_admin_before=1', accept: BROWSER_ACCEPT },
    });
    expect(expired.headers.get('location')).toBe('/admin/login?next=%2Fadmin&ended=1');
    const first = await fetch(platform.url('/admin'), { redirect: 'manual', headers: { accept: BROWSER_ACCEPT } });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/admin/login?next=%2Fadmin');
    expect(await (await fetch(platform.url('/admin/login'))).text()).not.toContain('Your session ended');
  });

  it('posting a form: the action is not performed, and the browser is sent to sign in and back to the form’s page', async () => {
    const { cookie, csrf } = await endedSession();
    const schedule = await postForm('/admin/schedules', cookie, [
      ['_csrf', csrf],
      ['name', 'after-sign-out'],
      ['source', '/tmp/none.csv'],
      ['model', 'iris-logreg'],
      ['cron', '0 2 * * *'],
      ['email', 'ops@example.com'],
    ]);
    expect(schedule.status).toBe(303);
    expect(schedule.headers.get('location')).toBe('/admin/login?next=%2Fadmin&ended=1');
    expect((await fetch(platform.url('/api/schedules/after-sign-out'), { headers: admin })).status).toBe(404);

    const job = await postForm('/admin/jobs/00000000-0000-0000-0000-000000000000/resend', cookie, [['_csrf', csrf]]);
    expect(job.headers.get('location')).toBe(
      `/admin/login?next=${encodeURIComponent('/admin/jobs/00000000-0000-0000-0000-000000000000')}&ended=1`,
    );
  });

  it('API clients still get 401 JSON: Accept: application/json, any Accept without text/html, an Authorization header, /api paths', async () => {
    const { cookie, csrf } = await endedSession();
    const cases: [string, RequestInit][] = [
      ['/admin', { headers: { cookie, accept: 'application/json' } }],
      ['/admin', { headers: { cookie } }],
      ['/admin', { headers: { cookie, accept: 'application/json, text/html;q=0.5' } }],
      ['/admin', { headers: { cookie, accept: BROWSER_ACCEPT, authorization: 'Basic Zm9vOmJhcg==' } }],
      ['/api/keys', { headers: { cookie, accept: BROWSER_ACCEPT } }],
      [
        '/admin/schedules',
        {
          method: 'POST',
          headers: { cookie, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ _csrf: csrf, name: 'api-client' }),
        },
      ],
    ];
    for (const [path, init] of cases) {
      const res = await fetch(platform.url(path), { ...init, redirect: 'manual' });
      expect(res.status, `${path} ${JSON.stringify(init.headers)}`).toBe(401);
      expect(res.headers.get('location')).toBeNull();
      // Asked for HTML (a browser opening /api/keys, or sending its own Authorization): the 401 as the error page.
      if ((init.headers as Record<string, string>).accept === BROWSER_ACCEPT) continue;
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
  });

  it('comes back only to a path under /admin of this site: another site, //host, a backslash or a scheme is /admin', async () => {
    for (const next of [
      '//evil.example/admin',
      'https://evil.example/admin',
      '/\\evil.example',
      '/admin//evil.example',
      '/admin/\\evil.example',
      '/admin\tx',
      'javascript:alert(1)',
      '/adminx',
      '/',
      '',
    ]) {
      const res = await signInVia('/admin/login', next);
      expect(res.status, next).toBe(303);
      expect(res.headers.get('location'), next).toBe('/admin');
    }
    // The form itself never carries such a path either.
    const form = await (await fetch(platform.url(`/admin/login?next=${encodeURIComponent('//evil.example')}`))).text();
    expect(form).toContain('name="next" value="/admin"');
    // A redirect from the guard carries the page's own path, whatever the request looked like.
    const odd = await fetch(platform.url('/admin//evil.example'), { redirect: 'manual', headers: { accept: BROWSER_ACCEPT } });
    if (odd.status === 303) expect(odd.headers.get('location')).toMatch(/^\/admin\/login(\?|$)/);
    expect((await signInVia('/admin/login', '/admin/jobs/abc?x=1#top')).headers.get('location')).toBe('/admin/jobs/abc?x=1#top');
  });
});
