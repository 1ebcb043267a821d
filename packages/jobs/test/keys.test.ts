import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newJobToken } from '@batchcast/access';
import { addJobToken } from '@batchcast/db';
import {
  type ApiKeyPrincipal,
  authenticateApiKey,
  cancelJob,
  checkQuotasBeforeUpload,
  createApiKey,
  expireJobs,
  createJob,
  type DomainError,
  JobWhileReceiving,
  keyJobToken,
  listApiKeys,
  listKeyJobs,
  loadJob,
  openJob,
  openKeyJob,
  quotaDayStart,
  revokeApiKey,
  storeUpload,
  updateApiKey,
} from '../src/index.js';
import type { JobsContext } from '../src/context.js';
import { examples } from '../../../test/support/platform.js';
import { refusal, testContext } from './context.js';

/**
 * API keys against real PostgreSQL and Redis: what is stored of a key, authenticating with it, the jobs it
 * owns and their pages, and its quotas (checked before an upload is read, and exactly when the job is recorded).
 */
let ctx: JobsContext;
let close: () => Promise<void>;
let iris: Buffer;
beforeAll(async () => {
  ({ ctx, close } = await testContext());
  iris = await readFile(path.join(examples, 'data', 'iris.csv'));
});
afterAll(async () => {
  await close?.();
});

async function newKey(name: string, limits: Parameters<typeof createApiKey>[1]['limits'] = {}): Promise<ApiKeyPrincipal> {
  const { key } = await createApiKey(ctx, { name, scopes: ['jobs:read', 'jobs:write', 'webhooks:write'], limits });
  return authenticateApiKey(ctx, key);
}

async function stored(bytes: Buffer = iris) {
  return storeUpload(ctx.blobs, Readable.from([bytes]), { key: `uploads/${Math.random().toString(36).slice(2)}.csv`, chunkRows: 40 });
}

async function submit(owner: ApiKeyPrincipal | undefined, bytes: Buffer = iris) {
  return createJob(ctx, await stored(bytes), { filename: 'iris.csv', model: 'iris-logreg', owner });
}

/** Stores iris in pieces with a JobWhileReceiving told of its chunks, as the web process does (a job recorded `receiving`). */
async function storeReceiving(owner: ApiKeyPrincipal) {
  const key = `uploads/${Math.random().toString(36).slice(2)}.csv`;
  const progress = new JobWhileReceiving(ctx, key, { filename: 'iris.csv', model: 'iris-logreg', owner });
  const pieces = Array.from({ length: Math.ceil(iris.length / 500) }, (_, i) => iris.subarray(i * 500, (i + 1) * 500));
  return { stored: await storeUpload(ctx.blobs, Readable.from(pieces), { key, chunkRows: 40, progress }), progress };
}

/** An upload of the key's still arriving: stored, its job recorded `receiving` with all 4 chunks, not ended yet. */
async function receiving(owner: ApiKeyPrincipal) {
  const upload = await storeReceiving(owner);
  for (let i = 0; ; i++) {
    const { rows } = await ctx.pool.query<{ id: string }>(
      `SELECT id FROM jobs WHERE upload_key = $1 AND status = 'receiving' AND chunk_count = 4`,
      [upload.stored.key],
    );
    if (rows[0]) return { ...upload, id: rows[0].id };
    if (i > 200) throw new Error(`no receiving job for ${upload.stored.key}`);
    await sleep(25);
  }
}

describe('an API key', () => {
  it('is shown once; PostgreSQL keeps only its prefix and sha256', async () => {
    const created = await createApiKey(ctx, { name: 'crm-sync', scopes: ['jobs:write', 'jobs:read'] });
    expect(created.key).toMatch(/^bck_[A-Za-z0-9]{43}$/);
    expect(created.prefix).toBe(created.key.slice(0, 12));
    expect(created.scopes).toEqual(['jobs:read', 'jobs:write']);
    expect(created.limits).toEqual({ requestsPerMinute: 600, rowsPerDay: null, concurrentJobs: null });
    const { rows } = await ctx.pool.query('SELECT * FROM api_keys WHERE id = $1', [created.id]);
    expect(rows[0].key_hash.equals(createHash('sha256').update(created.key).digest())).toBe(true);
    expect(JSON.stringify(rows[0])).not.toContain(created.key.slice(12));
    const listed = (await listApiKeys(ctx)).find((k) => k.id === created.id)!;
    expect(listed).toMatchObject({ name: 'crm-sync', prefix: created.prefix, lastUsedAt: null });
    expect(JSON.stringify(listed)).not.toContain(created.key);
  });

  it('authenticates as itself, and not when changed or revoked; its use is noted', async () => {
    const created = await createApiKey(ctx, { name: 'auth', scopes: ['jobs:read'] });
    const principal = await authenticateApiKey(ctx, created.key);
    expect(principal).toMatchObject({ id: created.id, scopes: ['jobs:read'] });
    const last = created.key.at(-1) === 'a' ? 'b' : 'a';
    expect((await refusal(authenticateApiKey(ctx, created.key.slice(0, -1) + last))).code).toBe('invalid_api_key');
    expect((await refusal(authenticateApiKey(ctx, `${created.key}x`))).code).toBe('invalid_api_key');
    expect((await refusal(authenticateApiKey(ctx, 'bck_short'))).kind).toBe('unauthorized');
    // The last use is written in the background: wait for it.
    for (let i = 0; i < 50 && !(await listApiKeys(ctx)).find((k) => k.id === created.id)?.lastUsedAt; i++) await sleep(20);
    expect((await listApiKeys(ctx)).find((k) => k.id === created.id)?.lastUsedAt).toBeInstanceOf(Date);

    await revokeApiKey(ctx, created.id);
    const revoked = await refusal(authenticateApiKey(ctx, created.key));
    expect(revoked).toMatchObject({ kind: 'unauthorized', code: 'revoked_api_key' });
    expect(revoked.message).toContain(created.prefix);
    expect((await listApiKeys(ctx)).some((k) => k.id === created.id)).toBe(false);
    // The admin's keys page lists it still, as revoked.
    expect((await listApiKeys(ctx, { includeRevoked: true })).find((k) => k.id === created.id)?.revokedAt).toBeInstanceOf(Date);
    // Revoked again, or changed: not found, saying a revoked key is why it may be (GET /api/keys leaves it out).
    for (const again of [revokeApiKey(ctx, created.id), updateApiKey(ctx, created.id, { name: 'renamed' })]) {
      const gone = await refusal(again);
      expect(gone.kind).toBe('not_found');
      expect(gone.message).toContain('No such API key, or it was revoked');
    }
  });

  it('refuses a second key not revoked of one name, case ignored (409 key_name_taken), at creation and renaming; a revoked key frees its name', async () => {
    const first = await createApiKey(ctx, { name: 'one-name', scopes: ['jobs:read'] });
    for (const name of ['one-name', ' One-Name ']) {
      const e = await refusal(createApiKey(ctx, { name, scopes: ['jobs:read'] }));
      expect(e).toMatchObject({ kind: 'conflict', code: 'key_name_taken', details: { keyId: first.id } });
      expect(e.message).toContain(`An API key named "one-name" exists already (id ${first.id}, ${first.prefix}…)`);
    }
    const other = await createApiKey(ctx, { name: 'another-name', scopes: ['jobs:read'] });
    expect((await refusal(updateApiKey(ctx, other.id, { name: 'ONE-NAME' }))).code).toBe('key_name_taken');
    // Its own name again, in another case, is no conflict.
    expect((await updateApiKey(ctx, first.id, { name: 'One-Name' })).name).toBe('One-Name');
    await revokeApiKey(ctx, first.id);
    expect((await createApiKey(ctx, { name: 'one-name', scopes: ['jobs:read'] })).name).toBe('one-name');
  });

  it('changes its name, scopes and limits (only those given), effective at its next request; not once revoked', async () => {
    const created = await createApiKey(ctx, { name: 'growing', scopes: ['jobs:read'], limits: { rowsPerDay: 10 } });
    const changed = await updateApiKey(ctx, created.id, {
      scopes: ['jobs:write', 'jobs:read'],
      limits: { rowsPerDay: null, concurrentJobs: 2 },
    });
    expect(changed).toMatchObject({
      name: 'growing',
      scopes: ['jobs:read', 'jobs:write'],
      limits: { requestsPerMinute: 600, rowsPerDay: null, concurrentJobs: 2 },
    });
    expect((await authenticateApiKey(ctx, created.key)).limits.concurrentJobs).toBe(2);
    expect((await updateApiKey(ctx, created.id, { name: 'grown' })).limits.concurrentJobs).toBe(2);
    expect((await refusal(updateApiKey(ctx, created.id, { scopes: ['admin'] }))).code).toBe('invalid_scopes');
    await revokeApiKey(ctx, created.id);
    expect((await refusal(updateApiKey(ctx, created.id, { name: 'x' }))).kind).toBe('not_found');
  });

  it('refuses unknown scopes, empty names and bad limits with what to fix', async () => {
    const scopes = await refusal(createApiKey(ctx, { name: 'x', scopes: ['jobs:read', 'jobs:delete'] }));
    expect(scopes).toMatchObject({ kind: 'unprocessable', code: 'invalid_scopes' });
    expect(scopes.message).toContain('"jobs:delete"');
    expect(scopes.message).toContain('webhooks:write');
    expect((await refusal(createApiKey(ctx, { name: ' ', scopes: ['jobs:read'] }))).code).toBe('invalid_name');
    expect((await refusal(createApiKey(ctx, { name: 'x', scopes: ['jobs:read'], limits: { rowsPerDay: 0 } }))).code).toBe('invalid_limits');
    // Beyond what the column holds: was a 500 ("out of range for type integer").
    const big = await refusal(createApiKey(ctx, { name: 'x', scopes: ['jobs:read'], limits: { concurrentJobs: 3_000_000_000 } }));
    expect(big).toMatchObject({ kind: 'unprocessable', code: 'invalid_limits' });
    expect(big.message).toBe('"limits.concurrentJobs" is a whole number from 1 to 2,147,483,647, or null for no limit.');
    const key = await createApiKey(ctx, { name: 'x', scopes: ['jobs:read'], limits: { requestsPerMinute: 2_147_483_647 } });
    const raised = await refusal(updateApiKey(ctx, key.id, { limits: { requestsPerMinute: 2_147_483_648 } }));
    expect(raised.code).toBe('invalid_limits');
  });
});

describe("a key's jobs", () => {
  it('are its own: recorded with the key, opened by it and by their derived token, not by another key', async () => {
    const a = await newKey('owner-a');
    const b = await newKey('owner-b');
    const job = await submit(a);
    expect(job.token).toBe(keyJobToken(a.secret, job.id));
    expect((await loadJob(ctx.pool, job.id))!.keyId).toBe(a.id);
    expect((await openJob(ctx, job.id, job.token)).id).toBe(job.id);
    expect((await openKeyJob(ctx, a, job.id))?.id).toBe(job.id);
    expect(await openKeyJob(ctx, b, job.id)).toBeNull();
    const anonymous = await submit(undefined);
    expect(await openKeyJob(ctx, a, anonymous.id)).toBeNull();
    expect((await listKeyJobs(ctx, b)).jobs).toEqual([]);
  });

  it('leave the list, and are gone to the key, from their deletion time on, before the sweep', async () => {
    const key = await newKey('aged-owner');
    const kept = await submit(key);
    const aged = await submit(key);
    for (const id of [kept.id, aged.id]) await cancelJob(ctx, (await loadJob(ctx.pool, id))!);
    await ctx.pool.query(`UPDATE jobs SET finished_at = now() - interval '7 days 1 second' WHERE id = $1`, [aged.id]);
    expect((await listKeyJobs(ctx, key)).jobs.map((j) => j.id)).toEqual([kept.id]);
    expect((await refusal(openKeyJob(ctx, key, aged.id))).code).toBe('expired');
    expect((await openKeyJob(ctx, key, kept.id))?.id).toBe(kept.id);
  });

  it('stay gone (410 expired) to the key once the retention sweep has deleted them, as to their links; another key still gets 404', async () => {
    const key = await newKey('swept-owner');
    const other = await newKey('swept-other');
    const job = await submit(key);
    await cancelJob(ctx, (await loadJob(ctx.pool, job.id))!);
    await ctx.pool.query(`UPDATE jobs SET finished_at = now() - interval '8 days' WHERE id = $1`, [job.id]);
    const before = await refusal(openKeyJob(ctx, key, job.id));
    expect((await expireJobs(ctx))!.jobs).toBeGreaterThanOrEqual(1);
    expect(await loadJob(ctx.pool, job.id)).toBeNull();
    const after = await refusal(openKeyJob(ctx, key, job.id.toUpperCase()));
    expect(after).toMatchObject({ kind: 'gone', code: 'expired' });
    // The same words; the day ("5 Dec 2026") may differ: the sweep's own time is the later of the two.
    const day = /\d{1,2} [A-Z][a-z]{2} \d{4}/;
    expect(after.message).toBe(before.message.replace(day, after.message.match(day)![0]));
    expect((await refusal(openJob(ctx, job.id, job.token))).code).toBe('expired');
    // Its existence is not revealed to another key, nor is an unknown id told apart.
    expect(await openKeyJob(ctx, other, job.id)).toBeNull();
    expect(await openKeyJob(ctx, key, '00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  it('lose the links made from the key when it is revoked; a link sent by email stays', async () => {
    const key = await newKey('revoked-owner');
    const job = await submit(key);
    const emailed = newJobToken();
    await addJobToken(ctx.pool, job.id, emailed.hash, 'email');
    expect((await openJob(ctx, job.id, job.token)).id).toBe(job.id);
    await revokeApiKey(ctx, key.id);
    expect((await refusal(openJob(ctx, job.id, job.token))).kind).toBe('not_found');
    expect((await refusal(openJob(ctx, job.id, keyJobToken(key.secret, job.id)))).kind).toBe('not_found');
    expect((await openJob(ctx, job.id, emailed.token)).id).toBe(job.id);
  });

  it('are listed newest first, a page at a time, without gaps or repeats, filtered by status', async () => {
    const key = await newKey('pager');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await submit(key)).id);
    await cancelJob(ctx, (await loadJob(ctx.pool, ids[1]!))!);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listKeyJobs(ctx, key, { limit: 2, cursor });
      expect(page.jobs.length).toBeLessThanOrEqual(2);
      seen.push(...page.jobs.map((j) => j.id));
      cursor = page.next ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
    expect((await listKeyJobs(ctx, key, { status: 'cancelled' })).jobs.map((j) => j.id)).toEqual([ids[1]]);
    expect((await listKeyJobs(ctx, key, { limit: 5 })).next).toBeNull();
  });

  it('refuse a cursor they did not give and a page size out of range', async () => {
    const key = await newKey('bad-cursor');
    expect((await refusal(listKeyJobs(ctx, key, { cursor: 'not-a-cursor' }))).code).toBe('invalid_cursor');
    const forged = Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url');
    expect((await refusal(listKeyJobs(ctx, key, { cursor: forged }))).code).toBe('invalid_cursor');
    expect((await refusal(listKeyJobs(ctx, key, { limit: 0 }))).code).toBe('invalid_limit');
    expect((await refusal(listKeyJobs(ctx, key, { limit: 101 }))).code).toBe('invalid_limit');
  });
});

describe('quotas', () => {
  it('concurrent jobs: refused before the upload is read, and when recorded (the upload removed)', async () => {
    const key = await newKey('one-at-a-time', { concurrentJobs: 1 });
    await checkQuotasBeforeUpload(ctx, key);
    const first = await submit(key);
    const before = await refusal(checkQuotasBeforeUpload(ctx, key));
    expect(before).toMatchObject({ kind: 'rate_limited', code: 'quota_exceeded', details: { quota: 'concurrentJobs', limit: 1, used: 1 } });
    expect(before.message).toContain('1 job queued or running at once');

    const upload = await stored();
    const recorded = await refusal(createJob(ctx, upload, { filename: 'iris.csv', model: 'iris-logreg', owner: key }));
    expect(recorded.code).toBe('quota_exceeded');
    expect(await ctx.blobs.exists(upload.key)).toBe(false);

    await cancelJob(ctx, (await loadJob(ctx.pool, first.id))!);
    await checkQuotasBeforeUpload(ctx, key);
    expect((await submit(key)).status).toBe('queued');
  });

  it('concurrent jobs: racing uploads cannot overrun the quota', async () => {
    const key = await newKey('racer', { concurrentJobs: 2 });
    const uploads = await Promise.all([stored(), stored(), stored(), stored(), stored()]);
    const results = await Promise.allSettled(
      uploads.map((u) => createJob(ctx, u, { filename: 'iris.csv', model: 'iris-logreg', owner: key })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as DomainError).code).toBe('quota_exceeded');
    const left = await Promise.all(uploads.map((u) => ctx.blobs.exists(u.key)));
    expect(left.filter(Boolean)).toHaveLength(2);
  });

  it('rows per day: known after the scan; refused with the quota and when it resets, the upload removed', async () => {
    const key = await newKey('daily', { rowsPerDay: 200 });
    await submit(key); // 150 rows
    const upload = await stored();
    const err = await refusal(createJob(ctx, upload, { filename: 'iris.csv', model: 'iris-logreg', owner: key }));
    const resetsAt = new Date(quotaDayStart(new Date()).getTime() + 24 * 3600_000).toISOString();
    expect(err).toMatchObject({
      kind: 'rate_limited',
      code: 'quota_exceeded',
      details: { quota: 'rowsPerDay', limit: 200, used: 150, rows: 150, resetsAt },
    });
    expect(err.message).toContain('150 rows, more than the 50 rows left today');
    expect(err.message).toContain('200 rows a day');
    expect(err.message).toContain(resetsAt);
    expect(err.details?.retryAfterSeconds).toBeGreaterThan(0);
    expect(await ctx.blobs.exists(upload.key)).toBe(false);
    // 50 rows still fit.
    const fifty = Buffer.from(iris.toString('utf8').split('\n').slice(0, 51).join('\n'));
    expect((await submit(key, fifty)).status).toBe('queued');
    // Now at the limit: refused before anything is read.
    expect((await refusal(checkQuotasBeforeUpload(ctx, key))).message).toMatch(/^No rows left today/);
  });

  it('concurrent jobs: an upload still arriving counts from when it is recorded, and not against itself at its end', async () => {
    const key = await newKey('receiving-one', { concurrentJobs: 1 });
    const a = await receiving(key);
    // A is receiving, its chunks being scored: a second upload is refused before it is read, and when recorded.
    const before = await refusal(checkQuotasBeforeUpload(ctx, key));
    expect(before).toMatchObject({ code: 'quota_exceeded', details: { quota: 'concurrentJobs', limit: 1, used: 1 } });
    expect(before.message).toContain('1 job queued or running at once, uploads still arriving included, and has 1');
    const b = await stored();
    expect((await refusal(createJob(ctx, b, { filename: 'iris.csv', model: 'iris-logreg', owner: key }))).code).toBe('quota_exceeded');
    // A's own end is not refused by A itself: queued, with all its rows.
    const done = await a.progress.complete(a.stored, { filename: 'iris.csv', model: 'iris-logreg', owner: key });
    expect(done).toMatchObject({ id: a.id, status: 'queued' });
    expect((await loadJob(ctx.pool, a.id))!).toMatchObject({ status: 'queued', rowsTotal: 150, chunkCount: 4 });
    expect((await refusal(checkQuotasBeforeUpload(ctx, key))).code).toBe('quota_exceeded');
  });

  it('concurrent jobs: two uploads arriving at once cannot both be recorded', async () => {
    const key = await newKey('receiving-racers', { concurrentJobs: 1 });
    const request = { filename: 'iris.csv', model: 'iris-logreg', owner: key };
    const both = await Promise.all([storeReceiving(key), storeReceiving(key)]);
    const ends = await Promise.all(both.map((u) => u.progress.complete(u.stored, request)));
    // One was recorded while it arrived and ends queued; the other was not (refused when recorded), and
    // createJob, which the end then falls back on, refuses it.
    expect(ends.filter((e) => e !== null)).toHaveLength(1);
    const other = both[ends.indexOf(null)]!;
    expect((await refusal(createJob(ctx, other.stored, request))).code).toBe('quota_exceeded');
    const { rows } = await ctx.pool.query('SELECT id FROM jobs WHERE key_id = $1', [key.id]);
    expect(rows.map((r) => r.id)).toEqual([ends.find((e) => e !== null)!.id]);
  });

  it('concurrent jobs: an upload whose lease has passed (its web process died) holds the slot no longer', async () => {
    const key = await newKey('receiving-lapsed', { concurrentJobs: 1 });
    const a = await receiving(key);
    expect((await refusal(checkQuotasBeforeUpload(ctx, key))).code).toBe('quota_exceeded');
    // As if the web process died: nobody renews the lease any more, and it passes.
    (a.progress as unknown as { stopLease(): void }).stopLease();
    await ctx.pool.query(`UPDATE jobs SET receiving_until = now() - interval '1 second' WHERE id = $1`, [a.id]);
    await checkQuotasBeforeUpload(ctx, key);
    expect((await submit(key)).status).toBe('queued');
    await a.progress.abandon();
  });

  it('rows per day: the rows of an upload still arriving count, and its own are counted once at its end', async () => {
    const key = await newKey('receiving-daily', { rowsPerDay: 200 });
    const a = await receiving(key); // 150 rows so far
    const err = await refusal(createJob(ctx, await stored(), { filename: 'iris.csv', model: 'iris-logreg', owner: key }));
    expect(err).toMatchObject({ code: 'quota_exceeded', details: { quota: 'rowsPerDay', used: 150, rows: 150 } });
    const done = await a.progress.complete(a.stored, { filename: 'iris.csv', model: 'iris-logreg', owner: key });
    expect(done).toMatchObject({ id: a.id, status: 'queued' });
  });

  it('a key revoked while its upload streams cannot record the job', async () => {
    const key = await newKey('revoked-mid-upload', { concurrentJobs: 5 });
    const upload = await stored();
    await revokeApiKey(ctx, key.id);
    expect((await refusal(createJob(ctx, upload, { filename: 'iris.csv', model: 'iris-logreg', owner: key }))).code).toBe(
      'revoked_api_key',
    );
    expect(await ctx.blobs.exists(upload.key)).toBe(false);
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
