import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileBlob } from './support/http.js';
import { ADMIN_TOKEN, examples, Platform } from './support/platform.js';
import { pg } from './support/services.js';

/**
 * `Idempotency-Key` on the creating requests other than job submissions (test/idempotency.test.ts has those):
 * a retry whose answer was lost gets the first answer again (`Idempotent-Replayed: true`) and makes nothing a
 * second time; the same key with another request is 422 `idempotency_key_reused`.
 */
let platform: Platform;
let db: pg.Client;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  platform = await new Platform({
    workers: 1,
    env: {
      SCHEDULE_SOURCE_DIRS: path.join(examples, 'data'),
      WEBHOOK_SECRET_KEY: 'idempotent-creation-webhook-key-0123456789',
      WEBHOOK_ALLOW_HOSTS: '127.0.0.1:*',
    },
  }).start();
  db = new pg.Client({ connectionString: platform.databaseUrl });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await platform?.stop();
});

const count = async (sql: string, params: unknown[] = []): Promise<number> =>
  Number((await db.query<{ n: string }>(sql, params)).rows[0]!.n);

const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(platform.url(url), {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/** A schedule that runs once a year: made, it never runs during the tests. */
const yearlySchedule = (name: string) => ({
  name,
  source: path.join(examples, 'data/iris.csv'),
  model: 'iris-logreg',
  cron: '0 0 1 1 *',
  email: 'ops@example.com',
});

/** "Email me my links" for `email`, with an idempotency key (an open endpoint: no admin token). */
const postLinks = (email: string, key: string) =>
  fetch(platform.url('/api/links'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ email }),
  });

/** A model registration of `bytes` as `name`, with an idempotency key. */
const postModel = (name: string, bytes: Buffer, key: string) => {
  const form = new FormData();
  form.set('name', name);
  form.set('file', fileBlob(bytes, 'application/octet-stream'), 'iris.onnx');
  return fetch(platform.url('/api/models'), { method: 'POST', headers: { ...admin, 'idempotency-key': key }, body: form });
};

/** Sends the same request twice with one key: the second answer is the first, replayed. */
async function sentTwice(send: (key: string) => Promise<Response>): Promise<{ first: Response; again: Response; body: unknown }> {
  const key = randomUUID();
  const first = await send(key);
  expect(first.status, await first.clone().text()).toBeLessThan(300);
  expect(first.headers.get('idempotent-replayed')).toBeNull();
  const body = await first.json();
  const again = await send(key);
  expect(again.status).toBe(first.status);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect(again.headers.get('location')).toBe(first.headers.get('location'));
  expect(await again.json()).toEqual(body);
  return { first, again, body };
}

describe('Idempotency-Key on the creating requests', () => {
  it('POST /api/webhooks: a retry answers the first endpoint, with its secret, and registers no second', async () => {
    const url = 'http://127.0.0.1:9/idempotent-hook';
    const { body } = await sentTwice((key) => postJson('/api/webhooks', { url, events: ['job.succeeded'] }, { 'idempotency-key': key }));
    expect((body as { secret: string }).secret).toMatch(/^whsec_/);
    expect(await count('SELECT count(*) AS n FROM webhook_endpoints WHERE url = $1', [url])).toBe(1);
  });

  it('POST /api/keys: a retry answers the first key (shown again to its caller) and creates no second', async () => {
    const name = `idem-${randomUUID().slice(0, 8)}`;
    const { body } = await sentTwice((key) => postJson('/api/keys', { name, scopes: ['jobs:read'] }, { 'idempotency-key': key }));
    expect((body as { key: string }).key).toMatch(/^bck_/);
    expect(await count('SELECT count(*) AS n FROM api_keys WHERE name = $1', [name])).toBe(1);
  });

  it('POST /api/schedules: a retry answers the schedule it made, not 409 schedule_exists', async () => {
    await sentTwice((key) => postJson('/api/schedules', yearlySchedule('idem-yearly'), { 'idempotency-key': key }));
  });

  it('POST /api/webhooks/:id/rotate-secret: a retry answers the secret it made and rotates no further', async () => {
    const hook = await (await postJson('/api/webhooks', { url: 'http://127.0.0.1:9/rotated', events: ['job.failed'] })).json();
    const { body } = await sentTwice((key) =>
      postJson(`/api/webhooks/${hook.id}/rotate-secret`, { graceSeconds: 60 }, { 'idempotency-key': key }),
    );
    expect((body as { secret: string }).secret).not.toBe(hook.secret);
    expect(await count('SELECT count(*) AS n FROM webhook_old_secrets WHERE endpoint_id = $1', [hook.id])).toBe(1);
  });

  it('POST /api/links: a retry sends no second email', async () => {
    const email = `idem-${randomUUID().slice(0, 8)}@example.com`;
    await sentTwice((key) => postLinks(email, key));
    // The only request of this file's platform (its address is forgotten once its message is sent).
    expect(await count('SELECT count(*) AS n FROM link_requests')).toBe(1);
  });

  it('POST /api/models: a retry answers the version it registered and registers no second', async () => {
    const onnx = await readFile(path.join(examples, 'models/iris-logreg.onnx'));
    const name = `idem-${randomUUID().slice(0, 8)}`;
    const { body } = await sentTwice((key) => postModel(name, onnx, key));
    expect((body as { version: number }).version).toBe(1);
    expect(await count('SELECT count(*) AS n FROM models WHERE name = $1', [name])).toBe(1);
  });

  describe('what a request makes is recorded with its key’s answer or not at all', () => {
    // Before, the answer was recorded by a statement of its own after what the request made was committed: a
    // web process dying between the two left (say) a webhook whose key a retry took again once the key's lease
    // passed, for a second webhook. Here the web process's connection to PostgreSQL is dropped at the moment
    // the answer is recorded (a trigger terminates its own backend), as a crash there would have dropped it.
    const dropConnectionOnAnswer = async <T>(send: () => Promise<T>): Promise<T> => {
      await db.query(`CREATE FUNCTION drop_connection_on_answer() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(30); RETURN NEW; END $$`);
      await db.query(`CREATE TRIGGER drop_connection_on_answer BEFORE UPDATE ON idempotency_keys FOR EACH ROW
        WHEN (NEW.answer_box IS NOT NULL) EXECUTE FUNCTION drop_connection_on_answer()`);
      try {
        return await send();
      } finally {
        await db.query('DROP TRIGGER drop_connection_on_answer ON idempotency_keys');
        await db.query('DROP FUNCTION drop_connection_on_answer()');
      }
    };

    /** The crash, then the client's retries with the key: one thing made, by the retry, and replayed after. */
    async function madeOnceDespiteCrash(send: (key: string) => Promise<Response>, made: () => Promise<number>): Promise<void> {
      const key = randomUUID();
      const before = await made();
      const crashed = await dropConnectionOnAnswer(() => send(key));
      expect(crashed.status, await crashed.clone().text()).toBeGreaterThanOrEqual(500);
      expect(await made()).toBe(before);
      const retried = await send(key);
      expect(retried.status, await retried.clone().text()).toBeLessThan(300);
      expect(retried.headers.get('idempotent-replayed')).toBeNull();
      const body = await retried.json();
      const again = await send(key);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await again.json()).toEqual(body);
      expect(await made()).toBe(before + 1);
    }

    it('POST /api/webhooks', async () => {
      const url = 'http://127.0.0.1:9/crash-hook';
      await madeOnceDespiteCrash(
        (key) => postJson('/api/webhooks', { url, events: ['job.succeeded'] }, { 'idempotency-key': key }),
        () => count('SELECT count(*) AS n FROM webhook_endpoints WHERE url = $1', [url]),
      );
    });

    it('POST /api/keys', async () => {
      const name = `crash-${randomUUID().slice(0, 8)}`;
      await madeOnceDespiteCrash(
        (key) => postJson('/api/keys', { name, scopes: ['jobs:read'] }, { 'idempotency-key': key }),
        () => count('SELECT count(*) AS n FROM api_keys WHERE name = $1', [name]),
      );
    });

    it('POST /api/schedules', async () => {
      await madeOnceDespiteCrash(
        (key) => postJson('/api/schedules', yearlySchedule('crash-yearly'), { 'idempotency-key': key }),
        () => count("SELECT count(*) AS n FROM schedules WHERE name = 'crash-yearly'"),
      );
    });

    it('POST /api/webhooks/:id/rotate-secret', async () => {
      const hook = await (await postJson('/api/webhooks', { url: 'http://127.0.0.1:9/crash-rotated', events: ['job.failed'] })).json();
      await madeOnceDespiteCrash(
        (key) => postJson(`/api/webhooks/${hook.id}/rotate-secret`, { graceSeconds: 60 }, { 'idempotency-key': key }),
        () => count('SELECT count(*) AS n FROM webhook_old_secrets WHERE endpoint_id = $1', [hook.id]),
      );
    });

    it('POST /api/links', async () => {
      const email = `crash-${randomUUID().slice(0, 8)}@example.com`;
      await madeOnceDespiteCrash(
        (key) => postLinks(email, key),
        // Every request ever recorded (the address is forgotten once its message is sent).
        () => count('SELECT count(*) AS n FROM link_requests'),
      );
    });

    it('POST /api/models', async () => {
      const onnx = await readFile(path.join(examples, 'models/iris-logreg.onnx'));
      const name = `crash-${randomUUID().slice(0, 8)}`;
      await madeOnceDespiteCrash(
        (key) => postModel(name, onnx, key),
        () => count('SELECT count(*) AS n FROM models WHERE name = $1', [name]),
      );
    });
  });

  it('the same key with another body, or on another endpoint, is 422 idempotency_key_reused naming what differs', async () => {
    const key = randomUUID();
    expect(
      (await postJson('/api/webhooks', { url: 'http://127.0.0.1:9/a', events: ['job.failed'] }, { 'idempotency-key': key })).status,
    ).toBe(201);
    const other = await postJson('/api/webhooks', { url: 'http://127.0.0.1:9/b', events: ['job.failed'] }, { 'idempotency-key': key });
    expect(other.status).toBe(422);
    const e = (await other.json()).error;
    expect(e).toMatchObject({ code: 'idempotency_key_reused', idempotencyKey: key, differs: ['body'] });
    const elsewhere = await postJson('/api/keys', { name: 'elsewhere', scopes: ['jobs:read'] }, { 'idempotency-key': key });
    expect(elsewhere.status).toBe(422);
    expect((await elsewhere.json()).error).toMatchObject({ code: 'idempotency_key_reused', differs: ['endpoint'] });
    expect(await count("SELECT count(*) AS n FROM webhook_endpoints WHERE url LIKE 'http://127.0.0.1:9/_'")).toBe(1);
    expect(await count("SELECT count(*) AS n FROM api_keys WHERE name = 'elsewhere'")).toBe(0);
  });

  it('a refused request does not keep its key: corrected, it is made with the same key', async () => {
    const key = randomUUID();
    const bad = await postJson('/api/webhooks', { url: 'http://127.0.0.1:9/c', events: ['job.nothing'] }, { 'idempotency-key': key });
    expect(bad.status).toBe(422);
    const good = await postJson('/api/webhooks', { url: 'http://127.0.0.1:9/c', events: ['job.failed'] }, { 'idempotency-key': key });
    expect(good.status).toBe(201);
    expect(good.headers.get('idempotent-replayed')).toBeNull();
  });
});
