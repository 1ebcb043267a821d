import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  ApiKeyCreated,
  ApiKeyList,
  DeliveryList,
  JobList,
  JobStatus,
  WebhookEventBody,
  WebhookList,
  WebhookWithSecret,
} from '@batchcast/contract';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { morePasses, platformDb, until } from './support/faults.js';
import { fileBlob, waitForEnd } from './support/http.js';
import { ADMIN_TOKEN, examples, Platform, repoRoot } from './support/platform.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

/**
 * Services as users, end to end over HTTP against a real platform and a real webhook receiver on
 * 127.0.0.1: an admin makes an API key; the service registers a webhook with it, submits and lists its
 * jobs, and receives a delivery the reference `standardwebhooks` library verifies. Retries keep their
 * webhook-id and stop at a 2xx; revoked keys, scopes, quotas, rate limits and internal URLs are refused;
 * the admin page shows deliveries and redelivers; the CLI does all of it.
 */
let platform: Platform;
let receiver: WebhookReceiver;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const CLI = path.join(repoRoot, 'apps/cli/dist/main.js');
let iris: Buffer;

beforeAll(async () => {
  receiver = await new WebhookReceiver().start();
  iris = await readFile(path.join(examples, 'data/iris.csv'));
  platform = await new Platform({
    workers: 1,
    env: {
      WEBHOOK_ALLOW_HOSTS: '127.0.0.1:*',
      WEBHOOK_SECRET_KEY: 'services-test-webhook-key-0123456789abcdef',
      WEBHOOK_RETRY_BASE_MS: '200',
    },
  }).start();
});
afterAll(async () => {
  await platform?.stop();
  await receiver?.close();
});

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  headers: { ...headers, 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function createKey(body: Record<string, unknown>): Promise<ApiKeyCreated> {
  const res = await fetch(platform.url('/api/keys'), { method: 'POST', ...json(body, admin) });
  expect(res.status, await res.clone().text()).toBe(201);
  return ApiKeyCreated.parse(await res.json());
}

async function submitWith(key: string | null, bytes: Buffer = iris): Promise<Response> {
  const form = new FormData();
  form.set('model', 'iris-logreg');
  form.set('file', fileBlob(bytes, 'text/csv'), 'iris.csv');
  return fetch(platform.url('/api/jobs'), { method: 'POST', body: form, headers: key ? { authorization: `Bearer ${key}` } : {} });
}

async function errorOf(res: Response): Promise<{ code: string; message: string } & Record<string, unknown>> {
  return ((await res.json()) as { error: { code: string; message: string } }).error;
}

describe('a service with an API key', () => {
  let key: ApiKeyCreated;
  let hook: WebhookWithSecret;
  let jobId: string;

  it('gets a key from an admin, shown once; the list has no keys in it', async () => {
    key = await createKey({ name: 'crm-sync', scopes: ['jobs:write', 'jobs:read', 'webhooks:write'] });
    expect(key).toMatchObject({ name: 'crm-sync', scopes: ['jobs:read', 'jobs:write', 'webhooks:write'] });
    expect(key.key.startsWith(key.prefix)).toBe(true);
    const list = await (await fetch(platform.url('/api/keys'), { headers: admin })).text();
    expect(ApiKeyList.parse(JSON.parse(list)).keys.map((k) => k.id)).toContain(key.id);
    expect(list).not.toContain(key.key);
  });

  it('registers a webhook, submits a job, lists it, and receives a signed delivery', async () => {
    const auth = { authorization: `Bearer ${key.key}` };
    const res = await fetch(platform.url('/api/webhooks'), {
      method: 'POST',
      ...json({ url: receiver.url('/crm'), events: ['job.succeeded', 'job.failed', 'job.cancelled'] }, auth),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    hook = WebhookWithSecret.parse(await res.json());
    expect(hook).toMatchObject({ keyId: key.id, url: receiver.url('/crm') });
    expect(hook.secret).toMatch(/^whsec_/);

    const submitted = await submitWith(key.key);
    expect(submitted.status).toBe(202);
    const created = await submitted.json();
    jobId = created.id;
    const done = await waitForEnd(platform, created.links.self);
    expect(done.status).toBe('succeeded');

    const listed = JobList.parse(await (await fetch(platform.url('/api/jobs'), { headers: auth })).json());
    expect(listed.jobs.map((j) => j.id)).toEqual([jobId]);
    expect(listed.next).toBeNull();
    // The same links as the upload's answer: the token is derived from the key.
    expect(listed.jobs[0]!.links).toEqual(created.links);
    expect((await fetch(platform.url(listed.jobs[0]!.links.results))).status).toBe(200);

    const [delivery] = await receiver.waitFor(1);
    const body = WebhookEventBody.parse(new Webhook(hook.secret).verify(delivery!.body, delivery!.headers));
    expect(body).toMatchObject({
      type: 'job.succeeded',
      data: { id: jobId, status: 'succeeded', rows: { total: 150, processed: 150, failed: 0 } },
    });
    expect(delivery!.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    const status = JobStatus.parse(await (await fetch(body.data.links.self)).json());
    expect(status.id).toBe(jobId);
  });

  it("opens its own jobs (status, results) and nobody else's", async () => {
    const auth = { authorization: `Bearer ${key.key}` };
    expect((await fetch(platform.url(`/api/jobs/${jobId}`), { headers: auth })).status).toBe(200);
    const results = await fetch(platform.url(`/api/jobs/${jobId}/results.csv`), { headers: auth });
    expect(results.status).toBe(200);
    expect((await results.text()).split('\n')[0]).toContain('prediction');
    const stranger = await createKey({ name: 'stranger', scopes: ['jobs:read'] });
    const strangerAuth = { authorization: `Bearer ${stranger.key}` };
    expect((await fetch(platform.url(`/api/jobs/${jobId}`), { headers: strangerAuth })).status).toBe(404);
    expect(JobList.parse(await (await fetch(platform.url('/api/jobs'), { headers: strangerAuth })).json()).jobs).toEqual([]);
    const anonymous = await (await submitWith(null)).json();
    expect((await fetch(platform.url(`/api/jobs/${anonymous.id}`), { headers: auth })).status).toBe(404);
    // The anonymous form keeps working as before.
    expect((await fetch(platform.url(anonymous.links.self))).status).toBe(200);
    // Ended before the next tests: an admin webhook registered later hears of every job that ends after it, and one
    // of these ending late (a busy machine) took the place of the delivery a later test counts.
    await waitForEnd(platform, anonymous.links.self);
  });

  it('sees its endpoint and deliveries; other keys do not', async () => {
    const auth = { authorization: `Bearer ${key.key}` };
    expect(
      WebhookList.parse(await (await fetch(platform.url('/api/webhooks'), { headers: auth })).json()).webhooks.map((w) => w.id),
    ).toEqual([hook.id]);
    const deliveries = DeliveryList.parse(
      await (await fetch(platform.url(`/api/webhooks/${hook.id}/deliveries`), { headers: auth })).json(),
    );
    // Its receiver is internal (127.0.0.1): the key is told that the attempt was delivered, and when, not the
    // status or how long it took; the admin is.
    expect(deliveries.deliveries).toMatchObject([
      {
        jobId,
        status: 'succeeded',
        event: 'job.succeeded',
        attempts: [{ attempt: 1, outcome: 'delivered', statusCode: null, durationMs: null, error: null, response: null }],
      },
    ]);
    const asAdmin = DeliveryList.parse(await (await fetch(platform.url(`/api/webhooks/${hook.id}/deliveries`), { headers: admin })).json());
    expect(asAdmin.deliveries[0]!.attempts[0]).toMatchObject({ outcome: 'delivered', statusCode: 200, durationMs: expect.any(Number) });
    const other = await createKey({ name: 'other-hooks', scopes: ['webhooks:write'] });
    expect((await fetch(platform.url(`/api/webhooks/${hook.id}`), { headers: { authorization: `Bearer ${other.key}` } })).status).toBe(404);
  });

  it('gets 401 once revoked', async () => {
    const res = await fetch(platform.url(`/api/keys/${key.id}`), { method: 'DELETE', headers: admin });
    expect(res.status).toBe(204);
    for (const [p, init] of [
      ['/api/jobs', {}],
      [`/api/jobs/${jobId}`, {}],
      ['/api/webhooks', {}],
    ] as const) {
      const r = await fetch(platform.url(p), { ...init, headers: { authorization: `Bearer ${key.key}` } });
      expect(r.status, p).toBe(401);
      expect((await errorOf(r)).code).toBe('revoked_api_key');
    }
    expect((await submitWith(key.key)).status).toBe(401);
    expect((await fetch(platform.url('/api/jobs'), { headers: { authorization: 'Bearer bck_notakey' } })).status).toBe(401);
  });
});

describe('deliveries', () => {
  it('a receiver answering 500 twice gets a third attempt with the same webhook-id, and none after its 2xx', async () => {
    const flaky = await new WebhookReceiver().start();
    try {
      flaky.reply({ status: 500, body: 'not now' }, 500);
      const res = await fetch(platform.url('/api/webhooks'), {
        method: 'POST',
        ...json({ url: flaky.url(), events: ['job.succeeded'] }, admin),
      });
      expect(res.status).toBe(201);
      const hook = WebhookWithSecret.parse(await res.json());
      const job = await (await submitWith(null)).json();
      const got = await flaky.waitFor(3);
      expect(got.map((r) => r.answered)).toEqual([500, 500, 200]);
      expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
      for (const r of got) expect(WebhookEventBody.parse(new Webhook(hook.secret).verify(r.body, r.headers)).data.id).toBe(job.id);

      const delivered = await until('the delivery recorded as succeeded', async () => {
        const list = DeliveryList.parse(
          await (await fetch(platform.url(`/api/webhooks/${hook.id}/deliveries`), { headers: admin })).json(),
        );
        const d = list.deliveries.find((x) => x.jobId === job.id);
        return d?.status === 'succeeded' ? d : null;
      });
      expect(delivered.attempts.map((a) => [a.attempt, a.statusCode])).toEqual([
        [3, 200],
        [2, 500],
        [1, 500],
      ]);
      expect(delivered.attempts[2]!.response).toBe('not now');
      // Two more reconciler passes (which re-queue whatever PostgreSQL says is pending) and still three requests.
      const db = await platformDb(platform);
      try {
        await morePasses(db, 'reconcile', 2);
      } finally {
        await db.end();
      }
      expect(flaky.requests).toHaveLength(3);
      await fetch(platform.url(`/api/webhooks/${hook.id}`), { method: 'DELETE', headers: admin });
    } finally {
      await flaky.close();
    }
  });

  it("are listed on /admin, where a signed-in admin can redeliver one (not one to a revoked key's endpoint)", async () => {
    // An admin endpoint of its own: the key whose endpoint heard first (crm-sync) was revoked above.
    const registered = await fetch(platform.url('/api/webhooks'), {
      method: 'POST',
      ...json({ url: receiver.url('/admin-hook'), events: ['job.succeeded'] }, admin),
    });
    expect(registered.status).toBe(201);
    const adminHook = WebhookWithSecret.parse(await registered.json());
    const start = receiver.requests.length;
    await submitWith(null);
    const first = await until("the admin endpoint's delivery", () => receiver.requests.slice(start).find((r) => r.path === '/admin-hook'));
    const id = first.headers['webhook-id']!;
    const page = await (await fetch(platform.url('/admin'), { headers: admin })).text();
    expect(page).toContain('Latest deliveries');
    expect(page).toContain(`data-delivery="${id}"`);

    const { cookie, csrf } = await signIn();
    const signedIn = await (await fetch(platform.url('/admin'), { headers: { cookie } })).text();
    expect(signedIn).toContain(`action="/admin/webhook-deliveries/${id}/redeliver"`);
    const redeliver = (delivery: string) =>
      fetch(platform.url(`/admin/webhook-deliveries/${delivery}/redeliver`), {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf }),
      });
    const before = receiver.requests.length;
    expect((await redeliver(id)).status).toBe(303);
    const [again] = (await receiver.waitFor(before + 1)).slice(before);
    expect(again!.headers['webhook-id']).toBe(id);
    expect(again!.body).toBe(first.body);
    // The revoked key's endpoint hears of nothing more, not even a redelivery: refused, nothing sent.
    const revokedKeys = receiver.requests.find((r) => r.path === '/crm')!.headers['webhook-id']!;
    expect((await redeliver(revokedKeys)).status).toBe(409);
    await fetch(platform.url(`/api/webhooks/${adminHook.id}`), { method: 'DELETE', headers: admin });
    expect(receiver.requests.filter((r) => r.headers['webhook-id'] === revokedKeys).length).toBe(1);
  });
});

describe('refusals', () => {
  it('webhook URLs at loopback, link-local or private addresses are a 422 (unless allowed), http:// to others too', async () => {
    for (const url of [
      'http://127.0.0.2:8080/hook',
      'http://169.254.169.254/latest/meta-data/',
      'https://10.0.0.7/hook',
      'http://93.184.216.34/hook',
    ]) {
      const res = await fetch(platform.url('/api/webhooks'), { method: 'POST', ...json({ url, events: ['job.succeeded'] }, admin) });
      expect(res.status, url).toBe(422);
      expect((await errorOf(res)).code).toBe('url_not_allowed');
    }
  });

  it('a webhook URL with a #fragment is a 422 naming it (servers never get fragments), not stored without it', async () => {
    for (const [url, fragment] of [
      ['http://127.0.0.1:9/hook#tenant-7', '#tenant-7'],
      ['http://127.0.0.1:9/hook?x=1#', '#'],
    ] as const) {
      const res = await fetch(platform.url('/api/webhooks'), { method: 'POST', ...json({ url, events: ['job.succeeded'] }, admin) });
      expect(res.status, url).toBe(422);
      const e = await errorOf(res);
      expect(e.code).toBe('invalid_url');
      expect(e.message).toContain(`fragment ("${fragment}")`);
      expect(e.message).toContain('never sent to servers');
    }
    const listed = (await (await fetch(platform.url('/api/webhooks'), { headers: admin })).json()) as { webhooks: { url: string }[] };
    expect(listed.webhooks.map((w) => w.url)).not.toContain('http://127.0.0.1:9/hook');
  });

  it('scopes: a key without jobs:write cannot submit, without webhooks:write cannot register; keys never reach admin endpoints', async () => {
    const reader = await createKey({ name: 'reader', scopes: ['jobs:read'] });
    const auth = { authorization: `Bearer ${reader.key}` };
    const submitted = await submitWith(reader.key);
    expect(submitted.status).toBe(403);
    expect(await errorOf(submitted)).toMatchObject({ code: 'insufficient_scope', scope: 'jobs:write' });
    const hook = await fetch(platform.url('/api/webhooks'), {
      method: 'POST',
      ...json({ url: receiver.url(), events: ['job.failed'] }, auth),
    });
    expect(hook.status).toBe(403);
    const keys = await fetch(platform.url('/api/keys'), { headers: auth });
    expect(keys.status).toBe(403);
    expect((await errorOf(keys)).code).toBe('admin_only');
  });

  it("writes through a key's job links obey the key's scopes now: cancel needs jobs:write (403 insufficient_scope)", async () => {
    const svc = await createKey({ name: 'shrinking', scopes: ['jobs:write', 'jobs:read'] });
    const auth = { authorization: `Bearer ${svc.key}` };
    const submitted = await submitWith(svc.key);
    expect(submitted.status).toBe(202);
    const { id } = await submitted.json();
    const listed = await (await fetch(platform.url('/api/jobs'), { headers: auth })).json();
    const self = new URL(listed.jobs.find((j: { id: string }) => j.id === id).links.self, platform.baseUrl);
    const token = self.searchParams.get('token')!;
    const cancelUrl = platform.url(`/api/jobs/${id}/cancel?token=${encodeURIComponent(token)}`);
    const formCancelUrl = platform.url(`/jobs/${id}/cancel?token=${encodeURIComponent(token)}`);
    // What the link, the key and its list say of cancelling: the job page shows its Cancel button by it.
    const mayCancelSays = async () => [
      (await (await fetch(self)).json()).mayCancel,
      (await (await fetch(platform.url(`/api/jobs/${id}`), { headers: auth })).json()).mayCancel,
      (await (await fetch(platform.url('/api/jobs'), { headers: auth })).json()).jobs.find((j: { id: string }) => j.id === id).mayCancel,
    ];
    expect(await mayCancelSays()).toEqual([true, true, true]);

    const patched = await fetch(platform.url(`/api/keys/${svc.id}`), { method: 'PATCH', ...json({ scopes: ['jobs:read'] }, admin) });
    expect(patched.status).toBe(200);
    const withKey = await fetch(platform.url(`/api/jobs/${id}/cancel`), { method: 'POST', headers: auth });
    expect(withKey.status).toBe(403);
    const throughLink = await fetch(cancelUrl, { method: 'POST' });
    expect(throughLink.status).toBe(403);
    expect(await errorOf(throughLink)).toMatchObject({ code: 'insufficient_scope', scope: 'jobs:write' });
    // The link in Authorization: Bearer, and the page's form: the same.
    expect(
      (await fetch(platform.url(`/api/jobs/${id}/cancel`), { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(403);
    expect((await fetch(formCancelUrl, { method: 'POST', redirect: 'manual' })).status).toBe(403);
    // Reading through the link is what jobs:read allows: it still works, and the job was not cancelled.
    const read = await fetch(self);
    expect(read.status).toBe(200);
    expect((await read.json()).status).not.toBe('cancelled');
    expect(await mayCancelSays()).toEqual([false, false, false]);

    // Given jobs:write back, the link cancels again (200, or 409 when the job has ended meanwhile): past the scope check.
    await fetch(platform.url(`/api/keys/${svc.id}`), { method: 'PATCH', ...json({ scopes: ['jobs:read', 'jobs:write'] }, admin) });
    expect(await mayCancelSays()).toEqual([true, true, true]);
    const again = await fetch(cancelUrl, { method: 'POST' });
    expect([200, 409], await again.text()).toContain(again.status);
  });

  it('a quota of rows per day: 429 with the quota and when it resets, nothing kept', async () => {
    const key = await createKey({ name: 'small', scopes: ['jobs:write'], limits: { rowsPerDay: 100 } });
    const uploads = await readdir(path.join(platform.dataDir, 'uploads')).catch(() => []);
    const res = await submitWith(key.key);
    expect(res.status).toBe(429);
    const err = await errorOf(res);
    expect(err).toMatchObject({ code: 'quota_exceeded', quota: 'rowsPerDay', limit: 100 });
    expect(err.message).toContain('100 rows a day');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await readdir(path.join(platform.dataDir, 'uploads')).catch(() => [])).toEqual(uploads);
  });

  it("a key's own rate limit: 429 past its requests a minute", async () => {
    const key = await createKey({ name: 'chatty', scopes: ['jobs:read'], limits: { requestsPerMinute: 3 } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await fetch(platform.url('/api/jobs'), { headers: { authorization: `Bearer ${key.key}` } })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});

describe('the CLI', () => {
  const run = promisify(execFile);
  const cli = async (args: string[], env: Record<string, string> = {}) => {
    try {
      const r = await run(process.execPath, [CLI, ...args], {
        env: { PATH: process.env.PATH ?? '', BATCHCAST_URL: platform.baseUrl, ...env },
      });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('creates, lists and revokes keys; submits and lists jobs with one; manages webhooks', async () => {
    const adminEnv = { BATCHCAST_ADMIN_TOKEN: ADMIN_TOKEN };
    const created = await cli(
      ['keys', 'create', 'cli-svc', '--scopes', 'jobs:read,jobs:write,webhooks:write', '--concurrent-jobs', '3'],
      adminEnv,
    );
    expect(created.code, created.stderr).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^bck_[A-Za-z0-9]{43}$/);
    const listed = await cli(['keys', 'list'], adminEnv);
    expect(listed.stdout).toContain('cli-svc');
    expect(listed.stdout).not.toContain(key);

    const keyEnv = { BATCHCAST_API_KEY: key };
    const added = await cli(['webhooks', 'add', receiver.url('/cli'), '--events', 'job.succeeded'], keyEnv);
    expect(added.code, added.stderr).toBe(0);
    const secret = added.stdout.trim();
    expect(secret).toMatch(/^whsec_/);
    const hooks = await cli(['webhooks', 'list', '--json'], keyEnv);
    const [hook] = WebhookList.shape.webhooks.parse(JSON.parse(hooks.stdout));
    expect(hook!.url).toBe(receiver.url('/cli'));

    const before = receiver.requests.length;
    const submitted = await cli(['submit', path.join(examples, 'data/iris.csv'), '--model', 'iris-logreg', '--wait'], keyEnv);
    expect(submitted.code, submitted.stderr).toBe(0);
    const jobs = await cli(['jobs'], keyEnv);
    expect(jobs.code, jobs.stderr).toBe(0);
    expect(jobs.stdout).toMatch(/^ID\s+STATUS\s+MODEL\s+ROWS\s+PROCESSED\s+FAILED\s/m);
    expect(jobs.stdout).toMatch(/succeeded\s+iris-logreg@1\s+150\s+150\s+0\s/);
    const got = await until('the CLI job\u2019s delivery', () => receiver.requests.slice(before).find((r) => r.path === '/cli'));
    new Webhook(secret).verify(got.body, got.headers);
    await until('the CLI job\u2019s delivery recorded as succeeded', async () => {
      const list = DeliveryList.parse(
        await (await fetch(platform.url(`/api/webhooks/${hook!.id}/deliveries`), { headers: { authorization: `Bearer ${key}` } })).json(),
      );
      return list.deliveries[0]?.status === 'succeeded';
    });

    const rotated = await cli(['webhooks', 'rotate', hook!.id, '--grace', '0'], keyEnv);
    expect(rotated.stdout.trim()).toMatch(/^whsec_/);
    expect(rotated.stdout.trim()).not.toBe(secret);
    const deliveries = await cli(['webhooks', 'deliveries', hook!.id], keyEnv);
    expect(deliveries.stdout).toMatch(/job\.succeeded .* succeeded/);
    expect((await cli(['webhooks', 'remove', hook!.id], keyEnv)).code).toBe(0);

    const id = /^(\S+)\s+cli-svc/m.exec(listed.stdout)![1]!;
    const updated = await cli(['keys', 'update', id, '--rows-per-day', '1000', '--concurrent-jobs', 'none', '--json'], adminEnv);
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout).limits).toEqual({ requestsPerMinute: 600, rowsPerDay: 1000, concurrentJobs: null });
    expect((await cli(['keys', 'revoke', id], adminEnv)).code).toBe(0);
    const refused = await cli(['jobs'], keyEnv);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('revoked');
  });
});

const cookiesOf = (res: Response): string[] => res.headers.getSetCookie();
const cookieValue = (set: string[], name: string): string | undefined =>
  set
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${name}=`))
    ?.slice(name.length + 1);

/** Signs in through the form as a browser would; returns the session cookie and the page's CSRF token. */
async function signIn(): Promise<{ cookie: string; csrf: string }> {
  const form = await fetch(platform.url('/admin/login?next=/admin'));
  const loginCsrf = cookieValue(cookiesOf(form), 'bc_login_csrf')!;
  const field = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const res = await fetch(platform.url('/admin/login'), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: `bc_login_csrf=${loginCsrf}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: field, token: ADMIN_TOKEN, next: '/admin' }),
  });
  expect(res.status).toBe(303);
  const cookie = `bc_admin=${cookieValue(cookiesOf(res), 'bc_admin')}`;
  const page = await (await fetch(platform.url('/admin'), { headers: { cookie } })).text();
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(page)![1]! };
}
