import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileBlob } from './support/http.js';
import { ADMIN_TOKEN, examples, Platform, sleep } from './support/platform.js';
import { pg } from './support/services.js';
import { startSlowUpload } from './support/slow-upload.js';

/**
 * Idempotent submissions: `Idempotency-Key` on POST /api/jobs (a retry after a timeout answers the first
 * job), and the upload form's one-time key (a double click lands on the first job).
 */
let platform: Platform;
let db: pg.Client;
let iris: Buffer;

beforeAll(async () => {
  platform = await new Platform({ workers: 1, env: { RATE_LIMIT_JOBS_PER_MINUTE: '0' } }).start();
  db = new pg.Client({ connectionString: platform.databaseUrl });
  await db.connect();
  iris = await readFile(path.join(examples, 'data/iris.csv'));
});
afterAll(async () => {
  await db?.end();
  await platform?.stop();
});

/** Jobs recorded with this file name. */
async function jobsNamed(filename: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM jobs WHERE filename = $1', [filename]);
  return Number(rows[0]!.n);
}

function post(
  filename: string,
  opts: { key?: string; model?: string; bytes?: Buffer; auth?: string; email?: string; fields?: Record<string, string> } = {},
) {
  const form = new FormData();
  for (const [k, v] of Object.entries(opts.fields ?? {})) form.set(k, v);
  form.set('model', opts.model ?? 'iris-logreg');
  if (opts.email) form.set('email', opts.email);
  form.set('file', fileBlob(opts.bytes ?? iris, 'text/csv'), filename);
  const headers: Record<string, string> = {};
  if (opts.key !== undefined) headers['idempotency-key'] = opts.key;
  if (opts.auth) headers.authorization = `Bearer ${opts.auth}`;
  return fetch(platform.url('/api/jobs'), { method: 'POST', body: form, headers });
}

describe('Idempotency-Key on POST /api/jobs', () => {
  it('the same request with the same key answers the first job, said to be a replay', async () => {
    const key = randomUUID();
    const first = await post('same.csv', { key, email: 'a@example.com' });
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const body = await first.json();
    const again = await post('same.csv', { key, email: 'a@example.com' });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(await again.json()).toEqual(body);
    expect(await jobsNamed('same.csv')).toBe(1);
    // The replayed links open the job (the token came back from its sealed copy).
    expect((await fetch(platform.url(body.links.self))).status).toBe(200);
    // The IETF draft's form, a Structured Field string, is the same key.
    const quoted = await post('same.csv', { key: `"${key}"`, email: 'a@example.com' });
    expect(quoted.headers.get('idempotent-replayed')).toBe('true');
    expect((await quoted.json()).id).toBe(body.id);
    // Without a key, every submission is a job of its own, as ever.
    expect((await post('same.csv', { email: 'a@example.com' })).status).toBe(202);
    expect(await jobsNamed('same.csv')).toBe(2);
  });

  it('the same key with another file, model or email is a 422 naming the key and what differs', async () => {
    const key = `order-${randomUUID()}`;
    expect((await post('differs.csv', { key })).status).toBe(202);
    const otherFile = await post('differs.csv', { key, bytes: Buffer.concat([iris, Buffer.from('5.0,3.0,1.5,0.2,setosa\n')]) });
    expect(otherFile.status).toBe(422);
    const e = (await otherFile.json()).error;
    expect(e.code).toBe('idempotency_key_reused');
    expect(e.message).toContain(key);
    expect(e.differs).toEqual(['file']);
    const otherModel = await post('differs.csv', { key, model: 'iris-logreg@1', email: 'b@example.com' });
    expect(otherModel.status).toBe(422);
    expect((await otherModel.json()).error.differs).toEqual(['model', 'email']);
    expect(await jobsNamed('differs.csv')).toBe(1);
  });

  it('a key whose submission is still arriving is a 409 with Retry-After, then answers its job', async () => {
    const key = randomUUID();
    const slow = startSlowUpload(platform.url('/api/jobs'), { model: 'iris-logreg' }, {}, { 'idempotency-key': key });
    await slow.start();
    await slow.write(iris.subarray(0, 100));
    // The claim is taken when the server reads the file part's start: wait until the database holds it (on a
    // busy machine the first 100 bytes may still be on their way), then a second submission must be refused.
    const claim = createHash('sha256').update(`batchcast idempotency key\0anonymous\0${key}`).digest();
    for (;;) {
      const held = await db.query('SELECT 1 FROM idempotency_keys WHERE scope = $1 AND key_hash = $2 AND holder IS NOT NULL', [
        'anonymous',
        claim,
      ]);
      if (held.rowCount === 1) break;
      await sleep(20);
    }
    const busy = await post('slow.csv', { key });
    expect(busy.status).toBe(409);
    expect(busy.headers.get('retry-after')).toBe('2');
    const e = (await busy.json()).error;
    expect(e.code).toBe('idempotency_key_in_use');
    expect(e.message).toContain(key);
    await slow.write(iris.subarray(100));
    const done = await slow.end();
    expect(done.status).toBe(202);
    const replay = await post('slow.csv', { key });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await replay.json()).id).toBe(JSON.parse(done.body).id);
  });

  it('a job is recorded with its key or not at all: a key that cannot be completed leaves no job a retry would repeat', async () => {
    // Before, the job was recorded, then its key completed by a statement of its own: a web process dying
    // between the two left a job whose key a retry took again, for a second job. A trigger makes that second
    // statement fail, as a crash there would have.
    await db.query(`CREATE FUNCTION refuse_key_completion() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'the key cannot be completed (test)'; END $$`);
    await db.query(`CREATE TRIGGER refuse_key_completion BEFORE UPDATE ON idempotency_keys FOR EACH ROW
      WHEN (NEW.completed_at IS NOT NULL) EXECUTE FUNCTION refuse_key_completion()`);
    const key = randomUUID();
    let failed: Response;
    try {
      failed = await post('atomic.csv', { key });
    } finally {
      await db.query('DROP TRIGGER refuse_key_completion ON idempotency_keys');
      await db.query('DROP FUNCTION refuse_key_completion()');
    }
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(await jobsNamed('atomic.csv')).toBe(0);
    const retried = await post('atomic.csv', { key });
    expect(retried.status).toBe(202);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect((await post('atomic.csv', { key })).headers.get('idempotent-replayed')).toBe('true');
    expect(await jobsNamed('atomic.csv')).toBe(1);
  });

  it('a refused or cut-off submission lets its key go: corrected, it is sent again with the same key', async () => {
    const key = randomUUID();
    const refused = await post('refused.csv', { key, model: 'no-such-model' });
    expect(refused.status).toBe(422);
    expect((await refused.json()).error.code).toBe('unknown_model');
    const fixed = await post('refused.csv', { key });
    expect(fixed.status).toBe(202);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();

    const cut = randomUUID();
    const slow = startSlowUpload(platform.url('/api/jobs'), { model: 'iris-logreg' }, {}, { 'idempotency-key': cut });
    await slow.start();
    await slow.write(iris.subarray(0, 100));
    slow.abort();
    // The server lets the key go once it sees the connection end.
    let res: Response;
    for (;;) {
      res = await post('cut.csv', { key: cut });
      if (res.status !== 409) break;
      await sleep(50);
    }
    expect(res.status).toBe(202);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
  });

  it('keys are the caller’s: an API key’s and an anonymous submission with the same key are two jobs', async () => {
    const created = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'idempotent', scopes: ['jobs:write', 'jobs:read'] }),
    });
    const apiKey = (await created.json()).key as string;
    const key = randomUUID();
    const mine = await post('scoped.csv', { key, auth: apiKey });
    const anonymous = await post('scoped.csv', { key });
    expect([mine.status, anonymous.status]).toEqual([202, 202]);
    const mineBody = await mine.json();
    expect((await anonymous.json()).id).not.toBe(mineBody.id);
    const again = await post('scoped.csv', { key, auth: apiKey });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(mineBody);
    expect(await jobsNamed('scoped.csv')).toBe(2);
  });

  it('a retry is answered with its job even when that job keeps the API key at its quota', async () => {
    const created = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'one-at-a-time', scopes: ['jobs:write'], limits: { concurrentJobs: 1 } }),
    });
    const apiKey = (await created.json()).key as string;
    // Scoring paused (through bull-board's API), so the first job stays queued and counts.
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    expect((await fetch(platform.url('/admin/queues/api/queues/score/pause'), { method: 'PUT', headers: admin })).status).toBe(200);
    try {
      const key = randomUUID();
      const first = await post('quota.csv', { key, auth: apiKey });
      expect(first.status).toBe(202);
      const retry = await post('quota.csv', { key, auth: apiKey });
      expect(retry.status).toBe(202);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect((await retry.json()).id).toBe((await first.json()).id);
      // Another submission is still held to the quota.
      const another = await post('quota.csv', { key: randomUUID(), auth: apiKey });
      expect(another.status).toBe(429);
      expect((await another.json()).error.code).toBe('quota_exceeded');
    } finally {
      await fetch(platform.url('/admin/queues/api/queues/score/resume'), { method: 'PUT', headers: admin });
    }
  });

  it('a key is remembered 24 hours: after that it names a new submission', async () => {
    const key = randomUUID();
    expect((await post('day.csv', { key })).status).toBe(202);
    await db.query(`UPDATE idempotency_keys SET completed_at = now() - interval '25 hours' WHERE completed_at IS NOT NULL`);
    const later = await post('day.csv', { key, bytes: Buffer.concat([iris, Buffer.from('5.0,3.0,1.5,0.2,setosa\n')]) });
    expect(later.status).toBe(202);
    expect(later.headers.get('idempotent-replayed')).toBeNull();
    expect(await jobsNamed('day.csv')).toBe(2);
  });

  it('a malformed key is a 400, and nothing is stored', async () => {
    for (const bad of ['', '"unterminated', 'x'.repeat(256), 'caf\u00e9']) {
      const res = await fetch(platform.url('/api/jobs'), {
        method: 'POST',
        headers: { 'idempotency-key': bad, 'content-type': 'multipart/form-data; boundary=x' },
        body: '--x--\r\n',
      }).catch(() => null);
      if (!res) continue; // fetch itself refuses a header that is not Latin-1
      expect([res.status, (await res.json()).error.code], JSON.stringify(bad)).toEqual([400, 'invalid_idempotency_key']);
    }
    // A key sent in UTF-8 (as curl sends one typed with an accent) is quoted as sent; was "clÃ©-Ã©" (its bytes as Latin-1).
    const utf8 = await fetch(platform.url('/api/jobs'), {
      method: 'POST',
      headers: { 'idempotency-key': Buffer.from('clé-é', 'utf8').toString('latin1'), 'content-type': 'multipart/form-data; boundary=x' },
      body: '--x--\r\n',
    });
    expect(utf8.status).toBe(400);
    expect((await utf8.json()).error.message).toContain('got "clé-é"');
    const twoKeys = await post('two.csv', { key: randomUUID(), fields: { idempotencyKey: randomUUID() } });
    expect(twoKeys.status).toBe(400);
    expect((await twoKeys.json()).error.code).toBe('invalid_idempotency_key');
    expect(await jobsNamed('two.csv')).toBe(0);
    // The form's field is held to the header's rule, status and words, anonymous or with an API key: a key too long
    // sent with an API key was 422 with the schema's text.
    const created = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'long-keys', scopes: ['jobs:write'] }),
    });
    const apiKey = (await created.json()).key as string;
    for (const auth of [undefined, apiKey]) {
      const header = await post('long.csv', { key: 'x'.repeat(256), ...(auth ? { auth } : {}) });
      const field = await post('long.csv', { fields: { idempotencyKey: 'x'.repeat(256) }, ...(auth ? { auth } : {}) });
      const [headerError, fieldError] = [(await header.json()).error, (await field.json()).error];
      expect([field.status, fieldError.code], `${auth ? 'with' : 'without'} a key`).toEqual([400, 'invalid_idempotency_key']);
      expect(headerError.code).toBe('invalid_idempotency_key');
      expect(fieldError.message).toBe(headerError.message.replace('The Idempotency-Key header', 'The "idempotencyKey" field'));
    }
    expect(await jobsNamed('long.csv')).toBe(0);
  });
});

describe('the upload form without JavaScript', () => {
  /** The form's one-time key, as a browser gets it with the page. */
  async function formKey(): Promise<string> {
    const page = await (await fetch(platform.url('/'))).text();
    return /name="idempotencyKey" id="idempotency-key" value="([^"]+)"/.exec(page)![1]!;
  }

  function postForm(key: string, filename: string, bytes = iris) {
    const form = new FormData();
    form.set('idempotencyKey', key);
    form.set('model', 'iris-logreg');
    form.set('file', fileBlob(bytes, 'text/csv'), filename);
    form.set('email', '');
    return fetch(platform.url('/jobs'), { method: 'POST', body: form, redirect: 'manual', headers: { accept: 'text/html' } });
  }

  it('each page carries a key of its own', async () => {
    expect(await formKey()).not.toBe(await formKey());
  });

  it('a second post of the same form lands on the first job’s page', async () => {
    const key = await formKey();
    const first = await postForm(key, 'twice.csv');
    const second = await postForm(key, 'twice.csv');
    expect([first.status, second.status]).toEqual([303, 303]);
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    expect(await jobsNamed('twice.csv')).toBe(1);
  });

  it('a second post while the first is still arriving waits for it: the first cut off, the second makes the one job', async () => {
    const key = await formKey();
    const slow = startSlowUpload(platform.url('/jobs'), { idempotencyKey: key, model: 'iris-logreg' });
    await slow.start();
    await slow.write(iris.subarray(0, 100));
    // The browser cuts the first post off when the second is sent.
    const second = postForm(key, 'clicked.csv');
    slow.abort();
    const res = await second;
    expect(res.status).toBe(303);
    expect(await jobsNamed('clicked.csv')).toBe(1);
    expect(await jobsNamed('slow.csv')).toBe(1); // the API test's, not this one's
  });

  it('the same form sent again with another file shows the form again, with a new key', async () => {
    const key = await formKey();
    expect((await postForm(key, 'first.csv')).status).toBe(303);
    const other = await postForm(key, 'second.csv');
    expect(other.status).toBe(422);
    const page = await other.text();
    expect(page).toContain('This page was already used to send another file (or other choices): that job goes on.');
    expect(/name="idempotencyKey" id="idempotency-key" value="([^"]+)"/.exec(page)![1]).not.toBe(key);
    expect(await jobsNamed('second.csv')).toBe(0);
  });
});
