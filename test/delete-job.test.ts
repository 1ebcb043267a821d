import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { platformDb, type SubmittedJob, submitOk, until } from './support/faults.js';
import { submit, waitForEnd } from './support/http.js';
import { ADMIN_TOKEN, examples, Platform, sleep } from './support/platform.js';
import { TestSmtp } from './support/smtp.js';

/**
 * Deleting a job and its data at once (DELETE /api/jobs/:id, the page's form, batchcast delete), by whoever may
 * cancel it: its link, the API key that submitted it (jobs:write), the admin (through a link of the admin's
 * own). Afterwards nothing of it is in PostgreSQL (uploads in BLOB_STORE=postgres here) but a tombstone, and
 * its links answer 410 `deleted`. Small chunks: a job of 30,000 rows is still running when it is deleted.
 */
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const smtp = new TestSmtp();
let platform: Platform;
let db: pg.Client;

beforeAll(async () => {
  const smtpPort = await smtp.start();
  platform = await new Platform({ workers: 1, smtpPort, env: { BLOB_STORE: 'postgres', CHUNK_ROWS: '50', LOG_LEVEL: 'info' } }).start();
  db = await platformDb(platform);
});
afterAll(async () => {
  await db?.end();
  await platform?.stop();
  await smtp.stop();
});

const withToken = (job: { id: string }, token: string, what = '') =>
  platform.url(`/api/jobs/${job.id}${what}?token=${encodeURIComponent(token)}`);
const del = (url: string, headers: Record<string, string> = {}) => fetch(url, { method: 'DELETE', headers });
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

async function createKey(name: string, scopes: string[], limits?: Record<string, number>): Promise<{ id: string; key: string }> {
  const res = await fetch(platform.url('/api/keys'), {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ name, scopes, ...(limits ? { limits } : {}) }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string };
}

async function postWithKey(key: string): Promise<Response> {
  const form = new FormData();
  form.set('model', 'iris-logreg');
  form.set('file', new Blob([await readFile(path.join(examples, 'data/iris.csv'))], { type: 'text/csv' }), 'iris.csv');
  return fetch(platform.url('/api/jobs'), { method: 'POST', body: form, headers: { authorization: `Bearer ${key}` } });
}

async function submitWithKey(key: string): Promise<SubmittedJob> {
  const res = await postWithKey(key);
  expect(res.status).toBe(202);
  const body = (await res.json()) as SubmittedJob;
  return { ...body, token: new URL(body.links.self, platform.baseUrl).searchParams.get('token')! };
}

/** What PostgreSQL still holds of a job: rows per table, and the pieces of its upload. */
async function leftOf(id: string): Promise<Record<string, number>> {
  const count = async (sql: string) => Number((await db.query<{ n: string }>(sql, [id])).rows[0]!.n);
  return {
    jobs: await count('SELECT count(*) AS n FROM jobs WHERE id = $1'),
    chunks: await count('SELECT count(*) AS n FROM job_chunks WHERE job_id = $1'),
    predictions: await count('SELECT count(*) AS n FROM prediction_batches WHERE job_id = $1'),
    tokens: await count('SELECT count(*) AS n FROM job_tokens WHERE job_id = $1'),
    deliveries: await count('SELECT count(*) AS n FROM webhook_deliveries WHERE job_id = $1'),
  };
}
const NOTHING = { jobs: 0, chunks: 0, predictions: 0, tokens: 0, deliveries: 0 };

async function uploadPieces(key: string): Promise<number> {
  return Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM blob_pieces WHERE key = $1', [key])).rows[0]!.n);
}
async function uploadKeyOf(id: string): Promise<string> {
  return (await db.query<{ k: string }>('SELECT upload_key AS k FROM jobs WHERE id = $1', [id])).rows[0]!.k;
}

describe('DELETE /api/jobs/:id with the job link', () => {
  it('deletes the upload, predictions, failed rows and the job; its links then answer 410 deleted', async () => {
    const bad = `${(await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd()}\nabc,1,2,3\n`;
    const job = await submitOk(platform, Buffer.from(bad), { model: 'iris-logreg', email: 'deleter@example.com', filename: 'mine.csv' });
    const done = await waitForEnd(platform, job.links.self);
    expect(done.rows.failed).toBe(1);
    const upload = await uploadKeyOf(job.id);
    expect(await uploadPieces(upload)).toBeGreaterThan(0);
    expect((await leftOf(job.id)).predictions).toBeGreaterThan(0);

    // A wrong token deletes nothing and reveals nothing.
    const wrong = job.token.slice(0, -2) + (job.token.endsWith('AA') ? 'BB' : 'AA');
    expect((await del(withToken(job, wrong))).status).toBe(404);
    expect((await del(platform.url(`/api/jobs/${job.id}`))).status).toBe(404);
    expect((await leftOf(job.id)).jobs).toBe(1);

    const res = await del(withToken(job, job.token));
    expect(res.status, await res.clone().text()).toBe(204);
    expect(await leftOf(job.id)).toEqual(NOTHING);
    expect(await uploadPieces(upload)).toBe(0);
    const tomb = await db.query<{ reason: string }>('SELECT reason FROM expired_jobs WHERE id = $1', [job.id]);
    expect(tomb.rows).toEqual([{ reason: 'owner' }]);

    for (const what of ['', '/summary', '/results.csv', '/errors.csv']) {
      const gone = await fetch(withToken(job, job.token, what));
      expect(gone.status, what).toBe(410);
      expect(await errorOf(gone), what).toMatchObject({ code: 'deleted' });
    }
    const page = await fetch(platform.url(job.links.page), { headers: { accept: 'text/html' } });
    expect(page.status).toBe(410);
    const html = await page.text();
    expect(html).toContain('This job has been deleted');
    // The day as the pages write dates ("5 Dec 2026"), not as ISO text.
    expect(html).toMatch(/were deleted on \d{1,2} [A-Z][a-z]{2} \d{4} at the request/);
    // Asked again: 410 deleted, not a 404 that reads like a mistyped link; a wrong token is still 404.
    const again = await del(withToken(job, job.token));
    expect(again.status).toBe(410);
    expect((await errorOf(again)).message).toContain('were deleted on');
    expect((await del(withToken(job, wrong))).status).toBe(404);

    // "Email me my links" no longer lists it.
    const other = await submitOk(platform, 'iris.csv', { model: 'iris-logreg', email: 'deleter@example.com', filename: 'kept.csv' });
    await waitForEnd(platform, other.links.self);
    const asked = await fetch(platform.url('/api/links'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'deleter@example.com' }),
    });
    expect(asked.status).toBeLessThan(300);
    const mail = await until('the links email', () =>
      smtp.received.find((m) => m.to.includes('deleter@example.com') && m.subject.startsWith('batchcast: links')),
    );
    expect(mail.text).toContain(other.id);
    expect(mail.text).not.toContain(job.id);
    expect(mail.text).not.toContain('mine.csv');
  });

  it('deletes a running job: cancelled first, and its chunks store nothing after', async () => {
    const [header, ...rows] = (await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd().split('\n');
    const big = Buffer.from(`${[header, ...Array.from({ length: 200 }, () => rows).flat()].join('\n')}\n`); // 600 chunks
    const res = await submit(platform, big, { model: 'iris-logreg', filename: 'big.csv' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as SubmittedJob;
    const job = { ...body, token: new URL(body.links.self, platform.baseUrl).searchParams.get('token')! };
    let status: { status: string; rows: { processed: number } };
    do {
      await sleep(50);
      status = await (await fetch(platform.url(job.links.self))).json();
    } while (status.status === 'queued' || (status.status === 'running' && status.rows.processed === 0));
    expect(status.status).toBe('running');

    expect((await del(withToken(job, job.token))).status).toBe(204);
    // A chunk taken after the deletion finds no job: then the one being scored during it has ended too (one at a time).
    await until('a chunk of the deleted job to be skipped', () =>
      platform.output.split('\n').some((l) => l.includes(job.id) && l.includes('chunk skipped') && l.includes('"deleted"')),
    );
    expect(await leftOf(job.id)).toEqual(NOTHING);
    expect(platform.output).toContain('"level":30'); // JSON lines: the filter below reads them
    const loud = platform.output.split('\n').filter((l) => l.includes(job.id) && /"level":(50|60)/.test(l));
    expect(loud).toEqual([]);
    expect((await fetch(platform.url(job.links.self))).status).toBe(410);
  });
});

describe('who may delete', () => {
  it('the API key that submitted it (jobs:write), not another key, nor one without jobs:write', async () => {
    const owner = await createKey('deleting-owner', ['jobs:read', 'jobs:write']);
    const stranger = await createKey('deleting-stranger', ['jobs:read', 'jobs:write']);
    const job = await submitWithKey(owner.key);
    await waitForEnd(platform, job.links.self);

    expect((await del(platform.url(`/api/jobs/${job.id}`), { authorization: `Bearer ${stranger.key}` })).status).toBe(404);
    // Its scopes cut to jobs:read: the key and the key's link may read, not delete.
    const patch = (scopes: string[]) =>
      fetch(platform.url(`/api/keys/${owner.id}`), {
        method: 'PATCH',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ scopes }),
      });
    expect((await patch(['jobs:read'])).status).toBe(200);
    const refused = await del(platform.url(`/api/jobs/${job.id}`), { authorization: `Bearer ${owner.key}` });
    expect(refused.status).toBe(403);
    expect(await errorOf(refused)).toMatchObject({ code: 'insufficient_scope' });
    expect((await del(withToken(job, job.token))).status).toBe(403);
    const page = await (await fetch(platform.url(job.links.page))).text();
    expect(page).toMatch(/id="delete-card" hidden/);
    expect((await leftOf(job.id)).jobs).toBe(1);

    expect((await patch(['jobs:read', 'jobs:write'])).status).toBe(200);
    expect((await del(platform.url(`/api/jobs/${job.id}`), { authorization: `Bearer ${owner.key}` })).status).toBe(204);
    expect(await leftOf(job.id)).toEqual(NOTHING);
    const again = await del(platform.url(`/api/jobs/${job.id}`), { authorization: `Bearer ${owner.key}` });
    expect(again.status).toBe(410);
    expect(await errorOf(again)).toMatchObject({ code: 'deleted' });
  });

  it('the admin, through a link of the admin’s own', async () => {
    const job = await submitOk(platform, 'iris.csv', { model: 'iris-logreg' });
    await waitForEnd(platform, job.links.self);
    // The admin token itself is no job credential (as for cancel).
    expect((await del(platform.url(`/api/jobs/${job.id}`), admin)).status).toBe(404);
    const opened = await fetch(platform.url(`/admin/jobs/${job.id}/open`), { method: 'POST', headers: admin, redirect: 'manual' });
    expect(opened.status).toBe(303);
    const token = new URL(opened.headers.get('location')!, platform.baseUrl).searchParams.get('token')!;
    expect((await del(withToken(job, token))).status).toBe(204);
    expect(await leftOf(job.id)).toEqual(NOTHING);
  });
});

describe("a revoked key's job links", () => {
  it('open nothing, and the 404 says that revoking the key does this (the link was not mangled)', async () => {
    const owner = await createKey('revoked-owner', ['jobs:read', 'jobs:write']);
    const job = await submitWithKey(owner.key);
    await waitForEnd(platform, job.links.self);
    expect((await fetch(platform.url(`/api/keys/${owner.id}`), { method: 'DELETE', headers: admin })).status).toBe(204);
    const res = await fetch(platform.url(job.links.self));
    expect(res.status).toBe(404);
    expect((await errorOf(res)).message).toContain('A link also stops opening its job once the API key that submitted it is revoked');
    const page = await fetch(platform.url(job.links.page), { headers: { accept: 'text/html' } });
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('<li>A job submitted with an API key is no longer reachable once that key is revoked;');
  });
});

describe("a key's quotas", () => {
  it("a deleted job's rows still count towards the key's rows per day: deleting gives nothing back", async () => {
    // iris.csv has 150 rows: one job fits a quota of 200 a day, a second does not, deleted first or not.
    const { key } = await createKey('quota-deleter', ['jobs:read', 'jobs:write'], { rowsPerDay: 200 });
    const job = await submitWithKey(key);
    await waitForEnd(platform, job.links.self);
    const over = await postWithKey(key);
    expect(over.status).toBe(429);
    expect(await errorOf(over)).toMatchObject({ code: 'quota_exceeded' });

    expect((await del(platform.url(`/api/jobs/${job.id}`), { authorization: `Bearer ${key}` })).status).toBe(204);
    const after = await postWithKey(key);
    expect(after.status, await after.clone().text()).toBe(429);
    const refused = (await after.json()) as { error: { code: string; details?: { used?: number } } };
    expect(refused.error.code).toBe('quota_exceeded');
    expect(JSON.stringify(refused)).toContain('150 used since 00:00 UTC');
  });
});

describe("the job page's delete form", () => {
  it('is offered behind a confirm step, posts without JavaScript, and lands on the page saying it was deleted', async () => {
    const job = await submitOk(platform, 'iris.csv', { model: 'iris-logreg' });
    await waitForEnd(platform, job.links.self);
    const upload = await uploadKeyOf(job.id);
    const page = await (await fetch(platform.url(job.links.page))).text();
    expect(page).toMatch(/<section class="card" id="delete-card" aria-labelledby/);
    expect(page).toContain('<details id="delete-details">');
    expect(page).toContain(`action="/jobs/${job.id}/delete?token=${encodeURIComponent(job.token)}"`);

    const posted = await fetch(platform.url(`/jobs/${job.id}/delete?token=${encodeURIComponent(job.token)}`), {
      method: 'POST',
      redirect: 'manual',
    });
    expect(posted.status).toBe(303);
    const landing = await fetch(platform.url(posted.headers.get('location')!), { headers: { accept: 'text/html' } });
    expect(landing.status).toBe(410);
    expect(await landing.text()).toContain('This job has been deleted');
    expect(await leftOf(job.id)).toEqual(NOTHING);
    expect(await uploadPieces(upload)).toBe(0);
  });
});

describe('batchcast delete', () => {
  it('deletes by id with --key and by link; again, says it was deleted already', async () => {
    const { key } = await createKey('cli-deleter', ['jobs:read', 'jobs:write']);
    const job = await submitWithKey(key);
    await waitForEnd(platform, job.links.self);
    const byId = await runCli(platform.baseUrl, ['delete', job.id, '--key', key]);
    expect(byId.code, byId.stderr).toBe(0);
    expect(byId.stderr).toContain(`job ${job.id} deleted`);
    expect(await leftOf(job.id)).toEqual(NOTHING);
    const again = await runCli(platform.baseUrl, ['delete', job.id, '--key', key]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`job ${job.id} was already deleted`);

    const anonymous = await submitOk(platform, 'iris.csv', { model: 'iris-logreg' });
    const byLink = await runCli(platform.baseUrl, ['delete', platform.url(anonymous.links.page)]);
    expect(byLink.code, byLink.stderr).toBe(0);
    expect(byLink.stderr).toContain(`job ${anonymous.id} deleted`);
    expect((await fetch(platform.url(anonymous.links.self))).status).toBe(410);

    const wrong = await runCli(platform.baseUrl, ['delete', platform.url(`/jobs/${anonymous.id}?token=nope`)]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('not_found');
  });

  it('--json prints the outcome, as cancel and status do', async () => {
    const { key } = await createKey('cli-json-deleter', ['jobs:read', 'jobs:write']);
    const job = await submitWithKey(key);
    const first = await runCli(platform.baseUrl, ['delete', job.id, '--json', '--key', key]);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ id: job.id, status: 'deleted', alreadyDeleted: false });
    expect(first.stderr).toContain(`job ${job.id} deleted`);
    expect(await leftOf(job.id)).toEqual(NOTHING);
    const again = await runCli(platform.baseUrl, ['delete', job.id, '--json', '--key', key]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ id: job.id, status: 'deleted', alreadyDeleted: true });
  });
});
