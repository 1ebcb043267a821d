import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookiesOf, cookieValue, signIn } from './support/admin.js';
import { ADMIN_TOKEN, Platform } from './support/platform.js';

/**
 * The admin pages in a browser whose session ended (signed out in another tab, expired): sent to the sign-in
 * form with a notice and back to the page after signing in (a path under /admin only), a form posted without a
 * session not performed; API clients still get 401. And the API keys page: create (the key shown once), list,
 * revoke, with the API's checks and messages, through the real platform (PostgreSQL, Redis).
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

const keyNames = async (): Promise<string[]> =>
  ((await (await fetch(platform.url('/api/keys'), { headers: admin })).json()) as { keys: { name: string }[] }).keys.map((k) => k.name);

describe('a browser whose admin session ended', () => {
  it('is sent (303) to the sign-in form with a notice, and back to its page after signing in', async () => {
    const { cookie } = await endedSession();
    const page = await fetch(platform.url('/admin/keys?revoked=x'), { redirect: 'manual', headers: { cookie, accept: BROWSER_ACCEPT } });
    expect(page.status).toBe(303);
    const location = page.headers.get('location')!;
    expect(location).toBe(`/admin/login?next=${encodeURIComponent('/admin/keys?revoked=x')}&ended=1`);
    const login = await (await fetch(platform.url(location), { headers: { accept: BROWSER_ACCEPT } })).text();
    expect(login).toContain('Your session ended; sign in again.');
    expect(login).toContain('name="next" value="/admin/keys?revoked=x"');
    const signedIn = await signInVia(location, '/admin/keys?revoked=x');
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/admin/keys?revoked=x');
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

    const key = await postForm('/admin/keys', cookie, [
      ['_csrf', csrf],
      ['name', 'after-sign-out'],
      ['scopes', 'jobs:read'],
    ]);
    expect(key.status).toBe(303);
    expect(key.headers.get('location')).toBe(`/admin/login?next=${encodeURIComponent('/admin/keys')}&ended=1`);
    expect(await keyNames()).not.toContain('after-sign-out');

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
      ['/admin/keys', { headers: { cookie, accept: 'application/json, text/html;q=0.5' } }],
      ['/admin', { headers: { cookie, accept: BROWSER_ACCEPT, authorization: 'Basic Zm9vOmJhcg==' } }],
      ['/api/keys', { headers: { cookie, accept: BROWSER_ACCEPT } }],
      [
        '/admin/keys',
        {
          method: 'POST',
          headers: { cookie, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ _csrf: csrf, name: 'api-client', scopes: 'jobs:read' }),
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
    expect(await keyNames()).not.toContain('api-client');
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

describe('the API keys page', () => {
  it('creates a key (shown once), lists it, refuses bad input on the form with the input kept, revokes it', async () => {
    const { cookie, csrf } = await signIn(platform);
    const page = await fetch(platform.url('/admin/keys'), { headers: { cookie, accept: BROWSER_ACCEPT } });
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const empty = await page.text();
    expect(empty).toContain('action="/admin/keys"');
    expect(empty).toContain('value="models:write"');

    const created = await postForm('/admin/keys', cookie, [
      ['_csrf', csrf],
      ['name', 'form-made'],
      ['scopes', 'jobs:read'],
      ['scopes', 'jobs:write'],
      ['rowsPerDay', '5000'],
    ]);
    // Made, the form's answer redirects to the page that shows the key (test/new-key-once.test.ts: once only).
    expect(created.status).toBe(303);
    const shown = await fetch(platform.url(created.headers.get('location')!), { headers: { cookie, accept: BROWSER_ACCEPT } });
    expect(shown.headers.get('cache-control')).toBe('no-store');
    const createdPage = await shown.text();
    const secret = /value="(bck_[A-Za-z0-9]+)"/.exec(createdPage)![1]!;
    expect(secret).toMatch(/^bck_[A-Za-z0-9]{43}$/);
    expect(createdPage).toContain('shown this once');

    // The key works with the API, and was made by the same service (its scopes and limits as the API tells them).
    const jobs = await fetch(platform.url('/api/jobs'), { headers: { authorization: `Bearer ${secret}` } });
    expect(jobs.status).toBe(200);
    const listed = (
      (await (await fetch(platform.url('/api/keys'), { headers: admin })).json()) as {
        keys: { id: string; name: string; scopes: string[]; limits: Record<string, number | null> }[];
      }
    ).keys.find((k) => k.name === 'form-made')!;
    expect(listed.scopes).toEqual(['jobs:read', 'jobs:write']);
    expect(listed.limits).toEqual({ requestsPerMinute: 600, rowsPerDay: 5000, concurrentJobs: null });

    // Listed on the page, never with its secret again.
    const list = await (await fetch(platform.url('/admin/keys'), { headers: { cookie, accept: BROWSER_ACCEPT } })).text();
    expect(list).toContain(`data-key="${listed.id}" data-state="active"`);
    expect(list).not.toContain(secret);
    // Each limit says which it is (three bare "no limit" lines left the reader to count).
    expect(list).toMatch(/600 requests \/ min<br>5,000 rows \/ day<br><span[^>]*>jobs at once: no limit<\/span>/);

    // Refusals: on the form, the input kept.
    const refused = async (fields: [string, string][], status: number, message: string | RegExp) => {
      const res = await postForm('/admin/keys', cookie, [['_csrf', csrf], ...fields]);
      expect(res.status, JSON.stringify(fields)).toBe(status);
      const body = await res.text();
      expect(body).toMatch(message);
      expect(body).not.toMatch(/value="bck_/);
      return body;
    };
    const noName = await refused(
      [
        ['name', '  '],
        ['scopes', 'webhooks:read'],
        ['concurrentJobs', '3'],
      ],
      422,
      /1 to 100 characters/,
    );
    expect(noName).toMatch(/value="webhooks:read" checked/);
    expect(noName).toContain('name="concurrentJobs" inputmode="numeric" value="3"');
    const taken = await refused(
      [
        ['name', 'FORM-made'],
        ['scopes', 'jobs:read'],
      ],
      409,
      /An API key named &quot;form-made&quot; exists already/,
    );
    expect(taken).toContain('value="FORM-made"');
    await refused(
      [
        ['name', 'bad-scope'],
        ['scopes', 'jobs:delete'],
      ],
      422,
      /Unknown scope &quot;jobs:delete&quot;/,
    );
    await refused([['name', 'no-scope']], 422, /Give at least one scope/);
    await refused(
      [
        ['name', 'bad-limit'],
        ['scopes', 'jobs:read'],
        ['rowsPerDay', 'lots'],
      ],
      422,
      /Rows a day: &quot;lots&quot; is not a whole number/,
    );
    const escaped = await refused(
      [
        ['name', '<img src=x onerror=alert(1)>'],
        ['scopes', 'nope'],
      ],
      422,
      /Unknown scope/,
    );
    expect(escaped).not.toContain('<img src=x');
    expect(escaped).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // Without the session's CSRF token: refused, nothing made.
    const forged = await postForm('/admin/keys', cookie, [
      ['name', 'forged'],
      ['scopes', 'jobs:read'],
    ]);
    expect(forged.status).toBe(403);
    expect(await keyNames()).not.toContain('forged');
    expect(await keyNames()).not.toContain('no-scope');

    // Revoke: a POST with the CSRF token; the key is refused by the API from then on, and listed as revoked.
    expect((await postForm(`/admin/keys/${listed.id}/revoke`, cookie, [])).status).toBe(403);
    const revoked = await postForm(`/admin/keys/${listed.id}/revoke`, cookie, [['_csrf', csrf]]);
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get('location')).toBe(`/admin/keys?revoked=${listed.id}`);
    const after = await (
      await fetch(platform.url(revoked.headers.get('location')!), { headers: { cookie, accept: BROWSER_ACCEPT } })
    ).text();
    expect(after).toContain('Revoked form-made');
    expect(after).toContain(`data-key="${listed.id}" data-state="revoked"`);
    const refusedKey = await fetch(platform.url('/api/jobs'), { headers: { authorization: `Bearer ${secret}` } });
    expect(refusedKey.status).toBe(401);
    expect(((await refusedKey.json()) as { error: { code: string } }).error.code).toBe('revoked_api_key');
    // Revoking it again says so on the page.
    const again = await postForm(`/admin/keys/${listed.id}/revoke`, cookie, [['_csrf', csrf]]);
    expect(again.status).toBe(404);
    expect(await again.text()).toContain('revoked already');
    // Its name is free again.
    const reused = await postForm('/admin/keys', cookie, [
      ['_csrf', csrf],
      ['name', 'form-made'],
      ['scopes', 'jobs:read'],
    ]);
    expect(reused.status).toBe(303);
  });

  it('changes a key on its page (name, scopes, limits), effective from its next request; refuses bad input on the form; not a revoked key', async () => {
    const { cookie, csrf } = await signIn(platform);
    const created = await postForm('/admin/keys', cookie, [
      ['_csrf', csrf],
      ['name', 'to-change'],
      ['scopes', 'jobs:read'],
      ['scopes', 'jobs:write'],
      ['rowsPerDay', '5000'],
    ]);
    const shown = await fetch(platform.url(created.headers.get('location')!), { headers: { cookie, accept: BROWSER_ACCEPT } });
    const secret = /value="(bck_[A-Za-z0-9]+)"/.exec(await shown.text())![1]!;
    const keyOf = async () =>
      (
        (await (await fetch(platform.url('/api/keys'), { headers: admin })).json()) as {
          keys: { id: string; name: string; scopes: string[]; limits: Record<string, number | null> }[];
        }
      ).keys.find((k) => k.id === id);
    const id = (
      (await (await fetch(platform.url('/api/keys'), { headers: admin })).json()) as { keys: { id: string; name: string }[] }
    ).keys.find((k) => k.name === 'to-change')!.id;

    // The list links to the key's change page, whose form shows what the key has: its name, its scopes ticked, its
    // limits ("none" for no limit).
    const list = await (await fetch(platform.url('/admin/keys'), { headers: { cookie, accept: BROWSER_ACCEPT } })).text();
    expect(list).toContain(`<a class="change-key" href="/admin/keys/${id}">Change…</a>`);
    const page = await fetch(platform.url(`/admin/keys/${id}`), { headers: { cookie, accept: BROWSER_ACCEPT } });
    expect([page.status, page.headers.get('cache-control')]).toEqual([200, 'no-store']);
    const form = (await page.text()).split(`action="/admin/keys/${id}"`)[1]!.split('</form>')[0]!;
    expect(form).toContain('name="name" required maxlength="100" value="to-change"');
    expect(form).toMatch(/value="jobs:write" checked/);
    expect(form).not.toMatch(/value="models:write" checked/);
    expect(form).toContain('name="rowsPerDay" inputmode="numeric" value="5000"');
    expect(form).toContain('name="concurrentJobs" inputmode="numeric" value="none"');

    // jobs:write taken away, renamed, a limit added and one removed: the key is refused submitting from then on.
    const changed = await postForm(`/admin/keys/${id}`, cookie, [
      ['_csrf', csrf],
      ['name', 'changed-key'],
      ['scopes', 'jobs:read'],
      ['requestsPerMinute', '600'],
      ['rowsPerDay', ''],
      ['concurrentJobs', '2'],
    ]);
    expect(changed.status).toBe(303);
    expect(changed.headers.get('location')).toBe(`/admin/keys?changed=${id}`);
    const said = await (
      await fetch(platform.url(changed.headers.get('location')!), { headers: { cookie, accept: BROWSER_ACCEPT } })
    ).text();
    expect(said).toContain('Changed changed-key');
    expect(await keyOf()).toMatchObject({
      name: 'changed-key',
      scopes: ['jobs:read'],
      limits: { requestsPerMinute: 600, rowsPerDay: null, concurrentJobs: 2 },
    });
    const submit = await fetch(platform.url('/api/jobs'), {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}` },
      body: new FormData(),
    });
    expect(submit.status).toBe(403);
    expect((await fetch(platform.url('/api/jobs'), { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);

    // Refused: the form again with what was typed and why, the key unchanged.
    const bad = await postForm(`/admin/keys/${id}`, cookie, [
      ['_csrf', csrf],
      ['name', 'changed-key'],
      ['scopes', 'jobs:read'],
      ['rowsPerDay', 'lots'],
    ]);
    expect(bad.status).toBe(422);
    const badPage = await bad.text();
    expect(badPage).toMatch(
      /<form method="post" action="\/admin\/keys\/[^"]+" class="card admin-form" id="change-key">\s*<div class="error-box" role="alert" id="key-error"><p>Rows a day: &quot;lots&quot; is not a whole number/,
    );
    expect(badPage).toContain('name="rowsPerDay" inputmode="numeric" value="lots"');
    const noScope = await postForm(`/admin/keys/${id}`, cookie, [
      ['_csrf', csrf],
      ['name', 'changed-key'],
    ]);
    expect(noScope.status).toBe(422);
    expect(await noScope.text()).toMatch(/Give at least one scope/);
    expect(await keyOf()).toMatchObject({ name: 'changed-key', scopes: ['jobs:read'] });

    // Without the CSRF token, or without a session: not changed.
    expect(
      (
        await postForm(`/admin/keys/${id}`, cookie, [
          ['name', 'forged'],
          ['scopes', 'models:write'],
        ])
      ).status,
    ).toBe(403);
    const anonymous = await fetch(platform.url(`/admin/keys/${id}`), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams([
        ['name', 'forged'],
        ['scopes', 'models:write'],
      ]),
    });
    expect(anonymous.status).toBe(401);
    expect((await keyOf())!.name).toBe('changed-key');

    // A revoked key has no change page, and a change sent for it is refused saying so.
    await postForm(`/admin/keys/${id}/revoke`, cookie, [['_csrf', csrf]]);
    const listAfter = await (await fetch(platform.url('/admin/keys'), { headers: { cookie, accept: BROWSER_ACCEPT } })).text();
    expect(listAfter).not.toContain(`href="/admin/keys/${id}"`);
    const gone = await fetch(platform.url(`/admin/keys/${id}`), { headers: { cookie, accept: BROWSER_ACCEPT } });
    expect(gone.status).toBe(404);
    expect(await gone.text()).toContain('a revoked key cannot be changed');
    const late = await postForm(`/admin/keys/${id}`, cookie, [
      ['_csrf', csrf],
      ['name', 'revived'],
      ['scopes', 'jobs:read'],
    ]);
    expect(late.status).toBe(404);
    expect(await late.text()).toContain('a revoked key cannot be changed');
  });

  it('is linked from /admin, and shows no forms to the bearer token (no session, no CSRF token)', async () => {
    const { cookie } = await signIn(platform);
    expect(await (await fetch(platform.url('/admin'), { headers: { cookie, accept: BROWSER_ACCEPT } })).text()).toContain(
      'href="/admin/keys"',
    );
    const bearer = await fetch(platform.url('/admin/keys'), { headers: admin });
    expect(bearer.status).toBe(200);
    expect(await bearer.text()).not.toContain('action="/admin/keys"');
  });
});
