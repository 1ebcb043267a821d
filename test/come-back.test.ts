import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AdminJob, JobStatus, ModelList } from '@batchcast/contract';
import { beforeAll, describe, expect, it } from 'vitest';
import { cookiesOf, signIn } from './support/admin.js';
import { platformDb, type SubmittedJob, until } from './support/faults.js';
import { submit, waitForEnd } from './support/http.js';
import { ADMIN_TOKEN, examples, type Platform } from './support/platform.js';
import { platformWithSmtp, type TestSmtp } from './support/smtp.js';

/**
 * Coming back to a job over HTTP: expiresAt in the API, the page and the email; "email me my links" (the
 * same answer for every address, a per-address limit, links that open the jobs); an admin opening any job
 * and sending its email again; pages rather than JSON for browsers; the favicon and the default model.
 * One platform with a real SMTP server; an address may ask 3 times an hour here.
 */
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const DAY_MS = 24 * 3600_000;

let platform: Platform;
let smtp: TestSmtp;
platformWithSmtp(
  { workers: 1, env: { EMAILS_PER_ADDRESS_PER_HOUR: '3', RETENTION_SWEEP_INTERVAL_MS: '1000', RATE_LIMIT_LINKS_PER_MINUTE: '1000' } },
  (p, s) => {
    platform = p;
    smtp = s;
  },
);
type Submitted = SubmittedJob;

async function run(opts: { email?: string; filename?: string } = {}): Promise<Submitted & { done: JobStatus }> {
  const res = await submit(platform, 'iris.csv', { model: 'iris-logreg', ...opts });
  expect(res.status, await res.clone().text()).toBe(202);
  const body = await res.json();
  const done = await waitForEnd(platform, body.links.self);
  return { ...body, token: new URL(body.links.self, platform.baseUrl).searchParams.get('token')!, done };
}

const linksMail = (to: string) => smtp.received.filter((m) => m.to.includes(to) && m.subject.startsWith('batchcast: links'));
const requestLinks = (email: unknown) =>
  fetch(platform.url('/api/links'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });

describe('expiresAt', () => {
  it('is null while the job runs, then RETENTION_DAYS after its end, in the API, the page and the email', async () => {
    // Scoring paused (bull-board's API), so the job is seen queued.
    expect((await fetch(platform.url('/admin/queues/api/queues/score/pause'), { method: 'PUT', headers: admin })).status).toBe(200);
    let queued: Submitted;
    try {
      const res = await submit(platform, 'iris.csv', { model: 'iris-logreg', email: 'expiry@example.com' });
      queued = await res.json();
      const status = (await (await fetch(platform.url(queued.links.self))).json()) as JobStatus;
      expect(status.status).toBe('queued');
      expect(status.expiresAt).toBeNull();
      const page = await (await fetch(platform.url(queued.links.page))).text();
      expect(page).toContain('Results are kept for 7 days after the job ends, then deleted.');
    } finally {
      await fetch(platform.url('/admin/queues/api/queues/score/resume'), { method: 'PUT', headers: admin });
    }
    const done = await waitForEnd(platform, queued.links.self);
    expect(Date.parse(done.expiresAt!) - Date.parse(done.finishedAt!)).toBe(7 * DAY_MS);
    const when = new Intl.DateTimeFormat('en-GB', {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZone: 'UTC',
    }).format(new Date(done.expiresAt!));
    const page = await (await fetch(platform.url(queued.links.page))).text();
    expect(page).toContain(`Results are kept until ${when} UTC, then deleted (7 days after the job ended).`);
    const mail = await smtp.waitFor('expiry@example.com');
    expect(mail.text).toContain(`Kept until: ${when} UTC, then deleted`);
    const overview = await (await fetch(platform.url('/admin'), { headers: { ...admin, accept: 'application/json' } })).json();
    expect(overview.jobs.find((j: AdminJob) => j.id === queued.id).expiresAt).toBe(done.expiresAt);
  });
});

describe('email me my links', () => {
  const owner = 'links-owner@example.com';
  let first: Submitted;
  let second: Submitted;
  beforeAll(async () => {
    first = await run({ email: owner, filename: 'first.csv' });
    second = await run({ email: owner.toUpperCase(), filename: 'second.csv' });
  });

  it('answers the same whether or not the address has jobs, and mails only an address that has some', async () => {
    const known = await requestLinks(owner);
    const unknown = await requestLinks('nobody-here@example.com');
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    const [a, b] = [await known.text(), await unknown.text()];
    expect(a).toBe(b);
    expect(JSON.parse(a).message).toMatch(/^If this address has jobs on this server, a message with their links is on its way/);

    const db = await platformDb(platform);
    try {
      // Both requests handled by a worker (the positive signal), and their addresses forgotten.
      await until('both link requests to be handled', async () => {
        const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM link_requests WHERE handled_at IS NOT NULL');
        return rows[0]!.n >= 2 ? true : null;
      });
      const { rows } = await db.query<{ email: string | null }>('SELECT email FROM link_requests');
      expect(rows.every((r) => r.email === null)).toBe(true);
    } finally {
      await db.end();
    }
    expect(smtp.received.filter((m) => m.to.includes('nobody-here@example.com'))).toEqual([]);
    const [mail] = await until('the links message', () => (linksMail(owner).length ? linksMail(owner) : null));
    expect(mail!.subject).toBe('batchcast: links to your 2 jobs');
    expect(mail!.text.indexOf('second.csv')).toBeLessThan(mail!.text.indexOf('first.csv')); // newest first
    expect(mail!.text).toContain('150 rows: 150 scored, 0 failed');
  });

  it('gives links with fresh tokens that open each job', async () => {
    const mail = linksMail(owner)[0]!;
    const links = mail.text.match(/https?:\/\/\S+\/jobs\/[0-9a-f-]{36}\?token=[\w-]+/g) ?? [];
    expect(links).toHaveLength(2);
    for (const [link, job] of [
      [links[0]!, second],
      [links[1]!, first],
    ] as const) {
      const url = new URL(link);
      expect(url.pathname).toBe(`/jobs/${job.id}`);
      expect(url.searchParams.get('token')).not.toBe(job.token);
      expect((await fetch(platform.url(url.pathname + url.search))).status).toBe(200);
      const status = await fetch(platform.url(`/api/jobs/${job.id}?token=${url.searchParams.get('token')}`));
      expect(((await status.json()) as JobStatus).status).toBe('succeeded');
    }
  });

  it('leaves out a job past its deletion time that the sweep has not deleted yet (its link would answer 410)', async () => {
    const address = 'aged-links@example.com';
    await run({ email: address, filename: 'kept.csv' });
    const aged = await run({ email: address, filename: 'aged.csv' });
    const db = await platformDb(platform);
    try {
      // A download under way holds it back from the sweep: past its time, still in the database.
      await db.query(`INSERT INTO job_downloads (id, job_id, until) VALUES (gen_random_uuid(), $1, now() + interval '1 hour')`, [aged.id]);
      await db.query(`UPDATE jobs SET finished_at = now() - interval '7 days 1 minute' WHERE id = $1`, [aged.id]);
    } finally {
      await db.end();
    }
    expect((await requestLinks(address)).status).toBe(202);
    const [mail] = await until('the links message', () => (linksMail(address).length ? linksMail(address) : null));
    expect(mail!.text).toContain('kept.csv');
    expect(mail!.text).not.toContain('aged.csv');
  });

  it('with more jobs kept than it lists, says it lists the most recent of how many, and where the older ones are', async () => {
    const address = 'many-links@example.com';
    const newest = await run({ email: address, filename: 'newest.csv' });
    const db = await platformDb(platform);
    try {
      // 26 older jobs of the same address (copies of the row, each a day older than the one before).
      await db.query('CREATE TEMP TABLE older AS SELECT j.*, g.n FROM jobs j, generate_series(1, 26) AS g(n) WHERE j.id = $1', [newest.id]);
      await db.query(
        `UPDATE older SET id = gen_random_uuid(), filename = 'older.csv', created_at = created_at - make_interval(hours => n)`,
      );
      await db.query('ALTER TABLE older DROP COLUMN n');
      await db.query('INSERT INTO jobs SELECT * FROM older');
    } finally {
      await db.end();
    }
    expect((await requestLinks(address)).status).toBe(202);
    const [mail] = await until('the links message', () => (linksMail(address).length ? linksMail(address) : null));
    expect(mail!.subject).toBe('batchcast: links to your 20 most recent jobs');
    expect(mail!.text).toContain('Here are the 20 most recent of your 27 jobs still kept, newest first.');
    expect(mail!.text).toContain('The 7 older ones are not listed: the link of each is in the email sent to this address when it ended.');
    expect(mail!.text.match(/\/jobs\/[0-9a-f-]{36}\?token=/g)).toHaveLength(20);
    expect(mail!.text.indexOf('newest.csv')).toBeLessThan(mail!.text.indexOf('older.csv'));
  });

  it('sends one message for requests made together (a double click, a script asking at once), each counted', async () => {
    const address = 'asked-together@example.com';
    await run({ email: address, filename: 'together.csv' });
    const answers = await Promise.all([requestLinks(address), requestLinks(address), requestLinks(address)]);
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    const db = await platformDb(platform);
    try {
      // Every request handled (one by a worker, the others when they were made): every message there is, sent.
      await until('every link request to be handled', async () => {
        const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM link_requests WHERE handled_at IS NULL');
        return rows[0]!.n === 0 ? true : null;
      });
    } finally {
      await db.end();
    }
    expect(linksMail(address)).toHaveLength(1);
    // Counted all the same: the limit is 3 an hour here.
    expect((await requestLinks(address)).status).toBe(429);
  });

  it('limits the requests per address, with the same answer for an address without jobs', async () => {
    // Each address has asked once; the limit is 3 an hour.
    for (let i = 0; i < 2; i++) {
      expect((await requestLinks(owner)).status).toBe(202);
      expect((await requestLinks('nobody-here@example.com')).status).toBe(202);
    }
    const known = await requestLinks(owner);
    const unknown = await requestLinks('NOBODY-here@example.com');
    expect(known.status).toBe(429);
    expect(unknown.status).toBe(429);
    expect(known.headers.get('retry-after')).toBe(unknown.headers.get('retry-after'));
    const [a, b] = [await known.json(), await unknown.json()];
    expect(a).toEqual(b);
    expect(a.error.code).toBe('email_rate_limited');
  });

  it('counts a mailbox, not its spellings: +tags of one address share its limit', async () => {
    for (const email of ['spelled+a@example.com', 'Spelled+b@example.com', 'spelled@example.com']) {
      expect((await requestLinks(email)).status, email).toBe(202);
    }
    const refused = await requestLinks('spelled+c@example.com');
    expect(refused.status).toBe(429);
    expect((await refused.json()).error.code).toBe('email_rate_limited');
  });

  it('refuses what is not an address, saying so', async () => {
    const bad = await requestLinks('not an address');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toContain('is not an e-mail address');
    const missing = await fetch(platform.url('/api/links'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(missing.status).toBe(400);
    expect((await missing.json()).error.message).toContain('Give "email"');
  });

  it('works as a plain form on the home page, answering with a page', async () => {
    const home = await (await fetch(platform.url('/'))).text();
    expect(home).toMatch(/<form method="post" action="\/links"/);
    const res = await fetch(platform.url('/links'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ email: 'form-user@example.com' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const page = await res.text();
    expect(page).toContain('<h1>Check your inbox</h1>');
    expect(page).toContain('If this address has jobs on this server');
    // Its address opened again (a reload, a bookmark): the form (was 405 "GET is not allowed on /links: use POST").
    const again = await fetch(platform.url('/links'), { redirect: 'manual' });
    expect([again.status, again.headers.get('location')]).toEqual([303, '/#email-links']);
  });
});

describe('an admin and one job', () => {
  let job: Submitted & { done: JobStatus };
  let anonymous: Submitted;
  beforeAll(async () => {
    job = await run({ email: 'admin-resend@example.com' });
    anonymous = await run();
    await smtp.waitFor('admin-resend@example.com');
  });

  it('shows the job with its owner and expiry (JSON and HTML), linked from /admin', async () => {
    const json = (await (
      await fetch(platform.url(`/admin/jobs/${job.id}`), { headers: { ...admin, accept: 'application/json' } })
    ).json()) as AdminJob;
    expect(json).toMatchObject({ id: job.id, email: 'admin-resend@example.com', status: 'succeeded', expiresAt: job.done.expiresAt });
    const { cookie } = await signIn(platform);
    const overview = await (await fetch(platform.url('/admin'), { headers: { cookie } })).text();
    expect(overview).toContain(`href="/admin/jobs/${job.id}"`);
    const page = await (await fetch(platform.url(`/admin/jobs/${job.id}`), { headers: { cookie } })).text();
    expect(page).toContain('admin-resend@example.com');
    expect(page).toContain('150 rows: 150 scored, 0 failed');
    expect(page).toMatch(new RegExp(`action="/admin/jobs/${job.id}/open"`));
    expect(page).toMatch(new RegExp(`action="/admin/jobs/${job.id}/resend"`));
    expect((await fetch(platform.url(`/admin/jobs/${job.id}`), { headers: { accept: 'application/json' } })).status).toBe(401);
    expect((await fetch(platform.url('/admin/jobs/00000000-0000-4000-8000-000000000000'), { headers: admin })).status).toBe(404);
  });

  it('opens the job page with a token of its own', async () => {
    const { cookie, csrf } = await signIn(platform);
    const refused = await fetch(platform.url(`/admin/jobs/${job.id}/open`), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: platform.baseUrl, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: 'wrong' }),
    });
    expect(refused.status).toBe(403);
    const res = await fetch(platform.url(`/admin/jobs/${job.id}/open`), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: platform.baseUrl, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf }),
    });
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get('location')!, platform.baseUrl);
    expect(to.pathname).toBe(`/jobs/${job.id}`);
    expect(to.searchParams.get('token')).not.toBe(job.token);
    const page = await fetch(to);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-remember="no"');
  });

  it('sends the job email to its owner again, with a new link that works', async () => {
    const { cookie, csrf } = await signIn(platform);
    const res = await fetch(platform.url(`/admin/jobs/${job.id}/resend`), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: platform.baseUrl, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf }),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/admin/jobs/${job.id}?resent=1`);
    const again = await smtp.waitFor('admin-resend@example.com', 30_000, 2);
    expect(again.subject).toBe((await smtp.waitFor('admin-resend@example.com')).subject);
    const link = new URL(again.text.match(/https?:\/\/\S+\/jobs\/\S+/)![0]);
    expect((await fetch(platform.url(link.pathname + link.search))).status).toBe(200);
    const notice = await (await fetch(platform.url(res.headers.get('location')!), { headers: { cookie } })).text();
    expect(notice).toContain('The email was sent to the owner again');

    const api = await fetch(platform.url(`/admin/jobs/${job.id}/resend`), {
      method: 'POST',
      headers: { ...admin, accept: 'application/json' },
    });
    expect(api.status).toBe(200);
    expect(await api.json()).toEqual({ to: 'admin-resend@example.com' });
  });

  it('says why there is nothing to send for a job without an address', async () => {
    const api = await fetch(platform.url(`/admin/jobs/${anonymous.id}/resend`), {
      method: 'POST',
      headers: { ...admin, accept: 'application/json' },
    });
    expect(api.status).toBe(409);
    expect((await api.json()).error.code).toBe('no_email');
    const { cookie, csrf } = await signIn(platform);
    const page = await fetch(platform.url(`/admin/jobs/${anonymous.id}/resend`), {
      method: 'POST',
      headers: { cookie, origin: platform.baseUrl, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ _csrf: csrf }),
    });
    expect(page.status).toBe(409);
    expect(await page.text()).toContain('submitted without an email address');
  });
});

describe('pages for browsers, JSON for programs', () => {
  const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

  it('answers an unknown or mistyped job link with a 404 page saying what to do', async () => {
    const res = await fetch(platform.url('/jobs/00000000-0000-4000-8000-000000000000?token=nope'), { headers: browser });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('text/html');
    const page = await res.text();
    expect(page).toContain('<h1>No job at this link</h1>');
    // Said once, in the steps (the API's message said it too, just above them).
    expect(page.split('copied whole').length - 1).toBe(1);
    expect(page).toContain('<p class="lead">No such job.</p>');
    // The API's advice is said once too, as steps: a revoked key's link and a cut-off upload's among them.
    expect(page.split('is revoked').length - 1).toBe(1);
    expect(page).toContain('href="/#email-links"');
    // The same request from a program: the API's JSON.
    const api = await fetch(platform.url('/jobs/00000000-0000-4000-8000-000000000000?token=nope'));
    expect(api.headers.get('content-type')).toContain('application/json');
    expect((await api.json()).error.code).toBe('not_found');
  });

  it('answers any other page error with a page too (an unknown page, a results link too early)', async () => {
    const missing = await fetch(platform.url('/no/such/page'), { headers: browser });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('<h1>Page not found</h1>');
    const bad = await fetch(platform.url('/links'), {
      method: 'POST',
      headers: { ...browser, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'not an address' }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('is not an e-mail address');
  });

  it('answers a deleted job link with a 410 page', async () => {
    const old = await run();
    const db = await platformDb(platform);
    try {
      await db.query(`UPDATE jobs SET finished_at = now() - interval '8 days' WHERE id = $1`, [old.id]);
    } finally {
      await db.end();
    }
    const res = await until('the job to be deleted', async () => {
      const r = await fetch(platform.url(old.links.page), { headers: browser });
      return r.status === 410 ? r : null;
    });
    expect(res.headers.get('content-type')).toContain('text/html');
    const page = await res.text();
    expect(page).toContain('<h1>This job has been deleted</h1>');
    expect(page).toContain('upload the file again');
  });

  it('serves a favicon', async () => {
    const res = await fetch(platform.url('/favicon.ico'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/x-icon');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 4)]).toEqual([0, 0, 1, 0]);
    expect(bytes).toEqual(await readFile(path.join(examples, '../apps/web/public/favicon.ico')));
    expect(await (await fetch(platform.url('/'))).text()).toContain('<link rel="icon" href="/static/favicon.svg"');
    expect((await fetch(platform.url('/static/favicon.svg'))).status).toBe(200);
  });

  it('names the default model in the model list', async () => {
    const list = (await (await fetch(platform.url('/api/models'))).json()) as ModelList;
    expect(list.default).toBe('iris-logreg');
  });

  it('keeps bull-board from asking a third party for fonts, and gives it a way back to /admin', async () => {
    const { cookie } = await signIn(platform);
    const board = await (await fetch(platform.url('/admin/queues'), { headers: { cookie } })).text();
    expect(board).toContain('__UI_CONFIG__');
    expect(board).not.toContain('fonts.googleapis.com');
    expect(board).toMatch(/"miscLinks":\[\{"text":"[^"]*admin","url":"\/admin"\}\]/);
    expect(cookiesOf(await fetch(platform.url('/admin/queues'), { headers: { cookie } }))).toEqual([]);
  });
});
