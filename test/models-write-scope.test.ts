import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ApiKeyCreated } from '@batchcast/contract';
import { describe, expect, it } from 'vitest';
import { fileBlob, submit } from './support/http.js';
import { ADMIN_TOKEN, examples, type Platform, platformForFile } from './support/platform.js';
import { runCli } from './support/cli.js';

/**
 * Publishing models without the admin token: an API key with `models:write` registers and removes model
 * versions of the names it owns (registered first), over the API and the CLI, and reaches nothing else an admin may (the admin pages, keys, other
 * people's jobs, the files models were registered from). A key without the scope is refused with
 * 403 insufficient_scope; the key's own rate limit still applies.
 */
let platform: Platform;
platformForFile({ workers: 1 }, (started) => {
  platform = started;
});

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const irisBytes = await readFile(path.join(examples, 'models', 'iris-logreg.onnx'));

async function createKey(body: Record<string, unknown>): Promise<ApiKeyCreated> {
  const res = await fetch(platform.url('/api/keys'), {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ApiKeyCreated.parse(await res.json());
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

function register(name: string, headers: Record<string, string>): Promise<Response> {
  const form = new FormData();
  form.set('name', name);
  form.set('file', fileBlob(irisBytes), 'iris-logreg.onnx');
  return fetch(platform.url('/api/models'), { method: 'POST', body: form, headers });
}

const remove = (route: string, headers: Record<string, string>) => fetch(platform.url(route), { method: 'DELETE', headers });

async function listed(name: string): Promise<number[]> {
  const { models } = (await (await fetch(platform.url('/api/models'))).json()) as { models: { name: string; version: number }[] };
  return models.filter((m) => m.name === name).map((m) => m.version);
}

async function errorOf(res: Response): Promise<{ code: string } & Record<string, unknown>> {
  return ((await res.json()) as { error: { code: string } }).error;
}

describe('an API key with models:write', () => {
  it('is a scope the admin can give', async () => {
    const key = await createKey({ name: 'publisher', scopes: ['models:write'] });
    expect(key.scopes).toEqual(['models:write']);
  });

  it('registers new versions and removes them, one or all', async () => {
    const { key } = await createKey({ name: 'ds-team', scopes: ['models:write'] });
    for (const expected of [1, 2, 3]) {
      const res = await register('ds-iris', bearer(key));
      expect(res.status, await res.clone().text()).toBe(201);
      expect(await res.json()).toMatchObject({ name: 'ds-iris', version: expected });
    }
    expect(await listed('ds-iris')).toEqual([3, 2, 1]);
    expect((await remove('/api/models/ds-iris/versions/1', bearer(key))).status).toBe(204);
    expect((await remove('/api/models/ds-iris@2', bearer(key))).status).toBe(204);
    expect(await listed('ds-iris')).toEqual([3]);
    expect((await remove('/api/models/ds-iris', bearer(key))).status).toBe(204);
    expect(await listed('ds-iris')).toEqual([]);
  });

  it('is named as who registered a version, to admins only (the admin\u2019s own versions name no key)', async () => {
    const publisher = await createKey({ name: 'ds-named', scopes: ['models:write'] });
    expect((await register('ds-who', bearer(publisher.key))).status).toBe(201);
    expect((await register('ds-who', admin)).status).toBe(201);
    const overview = (await (await fetch(platform.url('/admin'), { headers: { ...admin, accept: 'application/json' } })).json()) as {
      models: { name: string; versions: { version: number; registeredBy: unknown }[] }[];
    };
    const versions = overview.models.find((m) => m.name === 'ds-who')!.versions;
    expect(versions).toEqual([
      expect.objectContaining({ version: 2, registeredBy: null }),
      expect.objectContaining({ version: 1, registeredBy: { keyId: publisher.id, name: 'ds-named', prefix: publisher.prefix } }),
    ]);
    const page = await (await fetch(platform.url('/admin'), { headers: { ...admin, accept: 'text/html' } })).text();
    expect(page).toContain(`data-registered-by="${publisher.id}">by key ds-named (${publisher.prefix}…)`);
    // The public registry does not say who registered what: key names are the admin's business.
    const publicView = JSON.stringify(await (await fetch(platform.url('/api/models/ds-who'))).json());
    expect(publicView).not.toContain(publisher.id);
    expect(publicView).not.toContain('ds-named');
  });

  it('replays a registration retried with the same Idempotency-Key, in the key\u2019s own key space', async () => {
    const { key } = await createKey({ name: 'retrier', scopes: ['models:write'] });
    const headers = { ...bearer(key), 'idempotency-key': 'publish-ds-retry-1' };
    const first = await register('ds-retry', headers);
    expect(first.status).toBe(201);
    const again = await register('ds-retry', headers);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await listed('ds-retry')).toEqual([1]);
  });

  it('reaches nothing else admin-only: admin pages, keys, original files, the outbox', async () => {
    const { key } = await createKey({ name: 'only-models', scopes: ['models:write'] });
    expect((await register('ds-fenced', bearer(key))).status).toBe(201);
    for (const [method, route] of [
      ['GET', '/admin'],
      ['GET', '/api/keys'],
      ['POST', '/api/keys'],
      ['GET', '/api/models/ds-fenced/versions/1/original'],
      ['GET', '/dev/outbox'],
      ['POST', '/admin/models/ds-fenced/delete'],
    ] as const) {
      const res = await fetch(platform.url(route), { method, headers: { ...bearer(key), accept: 'application/json' } });
      expect(res.status, `${method} ${route}`).toBe(403);
      expect((await errorOf(res)).code, `${method} ${route}`).toBe('admin_only');
    }
    expect(await listed('ds-fenced')).toEqual([1]);
  });

  it('does not open the jobs of others, nor list jobs without jobs:read', async () => {
    const { key } = await createKey({ name: 'no-jobs', scopes: ['models:write'] });
    const anonymous = await submit(platform, 'iris.csv', { model: 'iris-logreg' });
    expect(anonymous.status).toBe(202);
    const { id } = (await anonymous.json()) as { id: string };
    const job = await fetch(platform.url(`/api/jobs/${id}`), { headers: bearer(key) });
    expect(job.status).toBe(404);
    const results = await fetch(platform.url(`/api/jobs/${id}/results.csv`), { headers: bearer(key) });
    expect(results.status).toBe(404);
    const list = await fetch(platform.url('/api/jobs'), { headers: bearer(key) });
    expect(list.status).toBe(403);
    expect(await errorOf(list)).toMatchObject({ code: 'insufficient_scope', scope: 'jobs:read' });
  });

  it("is held to the key's requests a minute", async () => {
    const { key } = await createKey({ name: 'hasty', scopes: ['models:write'], limits: { requestsPerMinute: 1 } });
    expect((await remove('/api/models/ds-nothing-here', bearer(key))).status).toBe(404);
    const limited = await remove('/api/models/ds-nothing-here', bearer(key));
    expect(limited.status).toBe(429);
    expect((await errorOf(limited)).code).toBe('rate_limited');
  });
});

describe('a model name belongs to whoever registered its first version', () => {
  const expectNotYours = async (res: Response, registeredBy: 'admin' | 'another_key', what: string) => {
    expect(res.status, what).toBe(403);
    const refusal = await errorOf(res);
    expect(refusal, what).toMatchObject({ code: 'model_not_yours', model: expect.any(String), registeredBy });
    const message = String(refusal.message);
    expect(message, what).toContain(registeredBy === 'admin' ? 'registered by the admin' : 'registered by another API key');
    expect(message, what).toMatch(/another name.*ask the admin/);
    return message;
  };

  it("a key can neither add versions to the admin's models nor remove them", async () => {
    const { key } = await createKey({ name: 'not-the-admin', scopes: ['models:write'] });
    // iris-logreg: an example, registered by the admin before any key could.
    const before = await listed('iris-logreg');
    await expectNotYours(await register('iris-logreg', bearer(key)), 'admin', 'register');
    for (const route of ['/api/models/iris-logreg', '/api/models/iris-logreg@1', '/api/models/iris-logreg/versions/1']) {
      await expectNotYours(await remove(route, bearer(key)), 'admin', route);
    }
    expect(await listed('iris-logreg')).toEqual(before);
  });

  it("a key can neither add versions to another key's model, nor remove them, nor learn which key it is", async () => {
    const owner = await createKey({ name: 'team-a-secret-name', scopes: ['models:write'] });
    const other = await createKey({ name: 'team-b', scopes: ['models:write'] });
    expect((await register('team-a-model', bearer(owner.key))).status).toBe(201);
    const message = await expectNotYours(await register('team-a-model', bearer(other.key)), 'another_key', 'register');
    for (const route of ['/api/models/team-a-model', '/api/models/team-a-model@1', '/api/models/team-a-model/versions/1']) {
      const res = await remove(route, bearer(other.key));
      const text = JSON.stringify(await res.clone().json());
      await expectNotYours(res, 'another_key', route);
      for (const secret of [owner.id, owner.prefix, owner.key, 'team-a-secret-name']) expect(text, route).not.toContain(secret);
    }
    for (const secret of [owner.id, owner.prefix, owner.key, 'team-a-secret-name']) expect(message).not.toContain(secret);
    expect(await listed('team-a-model')).toEqual([1]);
    // The owner still manages it, and the admin manages every name.
    expect((await register('team-a-model', bearer(owner.key))).status).toBe(201);
    expect((await register('team-a-model', admin)).status).toBe(201);
    expect((await remove('/api/models/team-a-model@3', bearer(owner.key))).status).toBe(204);
    expect((await remove('/api/models/team-a-model@2', admin)).status).toBe(204);
    expect(await listed('team-a-model')).toEqual([1]);
  });

  it("stays the owner's when the admin adds a version, and goes on being its key's once the key is revoked", async () => {
    const owner = await createKey({ name: 'leaving-team', scopes: ['models:write'] });
    const other = await createKey({ name: 'staying-team', scopes: ['models:write'] });
    expect((await register('orphan-model', bearer(owner.key))).status).toBe(201);
    expect((await register('orphan-model', admin)).status).toBe(201);
    expect((await register('orphan-model', bearer(owner.key))).status).toBe(201);
    const revoked = await fetch(platform.url(`/api/keys/${owner.id}`), { method: 'DELETE', headers: admin });
    expect(revoked.status).toBe(204);
    await expectNotYours(await register('orphan-model', bearer(other.key)), 'another_key', 'register after revocation');
    await expectNotYours(await remove('/api/models/orphan-model', bearer(other.key)), 'another_key', 'remove after revocation');
    expect((await remove('/api/models/orphan-model@3', admin)).status).toBe(204);
    expect(await listed('orphan-model')).toEqual([2, 1]);
  });

  it('stays its owner’s when every version is removed: the owner registers it again, another key may not', async () => {
    const owner = await createKey({ name: 'retiring-team', scopes: ['models:write'] });
    const other = await createKey({ name: 'squatter', scopes: ['models:write'] });
    expect((await register('retired-model', bearer(owner.key))).status).toBe(201);
    expect((await remove('/api/models/retired-model', bearer(owner.key))).status).toBe(204);
    expect(await listed('retired-model')).toEqual([]);
    await expectNotYours(await register('retired-model', bearer(other.key)), 'another_key', 'register a retired name');
    await expectNotYours(await remove('/api/models/retired-model@1', bearer(other.key)), 'another_key', 'remove a retired version');
    const again = await register('retired-model', bearer(owner.key));
    expect(again.status).toBe(201);
    expect(await again.json()).toMatchObject({ version: 2 });
  });

  it('two keys registering one new name at once: one gets it, the other is refused', async () => {
    const a = await createKey({ name: 'racer-a', scopes: ['models:write'] });
    const b = await createKey({ name: 'racer-b', scopes: ['models:write'] });
    const [ra, rb] = await Promise.all([register('raced-model', bearer(a.key)), register('raced-model', bearer(b.key))]);
    expect([ra.status, rb.status].sort()).toEqual([201, 403]);
    const loser = ra.status === 403 ? ra : rb;
    expect((await errorOf(loser)).code).toBe('model_not_yours');
    expect(await listed('raced-model')).toEqual([1]);
  });
});

describe('an API key without models:write', () => {
  it('is refused registering and removing with 403 insufficient_scope, and nothing changes', async () => {
    const { key } = await createKey({ name: 'jobs-only', scopes: ['jobs:read', 'jobs:write', 'webhooks:write'] });
    const registered = await register('ds-refused', bearer(key));
    expect(registered.status).toBe(403);
    const refusal = await errorOf(registered);
    expect(refusal).toMatchObject({ code: 'insufficient_scope', scope: 'models:write' });
    expect(String(refusal.message)).toContain('models:write');
    expect(await listed('ds-refused')).toEqual([]);

    expect((await register('ds-refused', admin)).status).toBe(201);
    for (const route of ['/api/models/ds-refused', '/api/models/ds-refused/versions/1', '/api/models/ds-refused@1']) {
      const res = await remove(route, bearer(key));
      expect(res.status, route).toBe(403);
      expect(await errorOf(res), route).toMatchObject({ code: 'insufficient_scope', scope: 'models:write' });
    }
    expect(await listed('ds-refused')).toEqual([1]);
  });
});

describe('batchcast models add / remove with --key', () => {
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(platform.baseUrl, args, env);
  const model = path.join(examples, 'models', 'iris-logreg.onnx');

  it('registers and removes with a models:write key, from --key or BATCHCAST_API_KEY', async () => {
    const { key } = await createKey({ name: 'cli-publisher', scopes: ['models:write'] });
    const added = await cli(['models', 'add', model, '--name', 'ds-cli', '--key', key]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^ds-cli v1 [0-9a-f]{64}\n$/);
    const again = await cli(['models', 'add', model, '--name', 'ds-cli'], { BATCHCAST_API_KEY: key });
    expect(again.code, again.stderr).toBe(0);
    expect(await listed('ds-cli')).toEqual([2, 1]);

    const removed = await cli(['models', 'remove', 'ds-cli@1', '--key', key]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await listed('ds-cli')).toEqual([2]);
    const all = await cli(['models', 'remove', 'ds-cli'], { BATCHCAST_API_KEY: key });
    expect(all.code, all.stderr).toBe(0);
    expect(await listed('ds-cli')).toEqual([]);
  });

  it("says a model name is another's, and what to do", async () => {
    const { key } = await createKey({ name: 'cli-not-owner', scopes: ['models:write'] });
    const added = await cli(['models', 'add', model, '--name', 'iris-logreg', '--key', key]);
    expect(added.code).toBe(1);
    expect(added.stderr).toContain('batchcast: Model "iris-logreg" was registered by the admin');
    expect(added.stderr).toContain('(model_not_yours)');
    const removed = await cli(['models', 'remove', 'iris-logreg@1', '--key', key]);
    expect(removed.code).toBe(1);
    expect(removed.stderr).toMatch(/registered by the admin.*another name.*ask the admin.*\(model_not_yours\)/s);
  });

  it('says what is wrong: a key without the scope, both credentials, no credential at all', async () => {
    const { key } = await createKey({ name: 'cli-jobs-only', scopes: ['jobs:write'] });
    const refused = await cli(['models', 'add', model, '--name', 'ds-cli-refused', '--key', key]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('models:write');
    const both = await cli(['models', 'remove', 'ds-cli-refused', '--key', key, '--token', ADMIN_TOKEN]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give --key or --token, not both');
    const none = await cli(['models', 'add', model, '--name', 'ds-cli-refused']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--token TOKEN or BATCHCAST_ADMIN_TOKEN');
    expect(await listed('ds-cli-refused')).toEqual([]);
  });
});
