import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { signIn } from './support/admin.js';
import { csvObjects } from './support/csv.js';
import { fileBlob, submit, waitForEnd } from './support/http.js';
import { ADMIN_TOKEN, examples, type Platform, platformForFile } from './support/platform.js';
import { runCli } from './support/cli.js';

/**
 * Removing a model version or a whole model (admin): over the API, the admin page's forms and the CLI. A job made
 * with a version before its removal finishes with it; afterwards nothing offers or accepts it, and version numbers
 * are never given out again.
 */
let platform: Platform;
platformForFile({ workers: 1 }, (started) => {
  platform = started;
});

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const irisBytes = await readFile(path.join(examples, 'models', 'iris-logreg.onnx'));
const irisRow = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };

async function register(name: string): Promise<number> {
  const form = new FormData();
  form.set('name', name);
  form.set('file', fileBlob(irisBytes), 'iris-logreg.onnx');
  const res = await fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: admin });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { version: number }).version;
}

const remove = (route: string, headers: Record<string, string> = admin) => fetch(platform.url(route), { method: 'DELETE', headers });

async function listed(name: string): Promise<number[]> {
  const { models } = (await (await fetch(platform.url('/api/models'))).json()) as { models: { name: string; version: number }[] };
  return models.filter((m) => m.name === name).map((m) => m.version);
}

const predict = (model: string) =>
  fetch(platform.url(`/api/models/${model}/predict`), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ rows: [irisRow] }),
  });

const queue = (what: 'pause' | 'resume') =>
  fetch(platform.url(`/admin/queues/api/queues/score/${what}`), { method: 'PUT', headers: admin });

describe('removing over the API', () => {
  it('is for admins only: 401 without the token, 403 with a wrong one, and nothing is removed', async () => {
    await register('rm-guarded');
    expect((await remove('/api/models/rm-guarded', {})).status).toBe(401);
    expect((await remove('/api/models/rm-guarded/versions/1', { authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(403);
    expect(await listed('rm-guarded')).toEqual([1]);
  });

  it('answers 404 model_not_found for a model, a version or a reference that is none', async () => {
    await register('rm-missing');
    for (const route of [
      '/api/models/no-such-model',
      '/api/models/rm-missing/versions/9',
      '/api/models/rm-missing/versions/1e0',
      '/api/models/rm-missing@7',
    ]) {
      const res = await remove(route);
      expect(res.status, route).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code, route).toBe('model_not_found');
    }
    expect(await listed('rm-missing')).toEqual([1]);
  });

  it('lets a queued job made with a version finish with it, and refuses that version to new jobs and predictions', async () => {
    expect(await register('rm-iris')).toBe(1);
    expect(await register('rm-iris')).toBe(2);
    // Scoring paused (bull-board's API), so the job made with version 2 is still waiting when it is removed.
    expect((await queue('pause')).status).toBe(200);
    let job: { links: { self: string; results: string } };
    try {
      const made = await submit(platform, 'iris.csv', { model: 'rm-iris@2' });
      expect(made.status, await made.clone().text()).toBe(202);
      job = await made.json();
      expect((await remove('/api/models/rm-iris/versions/2')).status).toBe(204);

      expect(await listed('rm-iris')).toEqual([1]);
      const one = (await (await fetch(platform.url('/api/models/rm-iris'))).json()) as { latest: { version: number } };
      expect(one.latest.version).toBe(1);

      const refused = await predict('rm-iris@2');
      expect(refused.status).toBe(410);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('model_removed');
      expect(body.error.message).toMatch(/rm-iris@2 was removed on \d{4}-\d\d-\d\dT.*versions still offered are 1/);
      const again = await submit(platform, 'iris.csv', { model: 'rm-iris@2' });
      expect(again.status).toBe(410);
      expect(((await again.json()) as { error: { code: string } }).error.code).toBe('model_removed');
      // The name alone now means the latest version still offered.
      expect((await predict('rm-iris')).status).toBe(200);
      expect((await remove('/api/models/rm-iris/versions/2')).status).toBe(404);
    } finally {
      await queue('resume');
    }

    const done = await waitForEnd(platform, job.links.self);
    expect(done.status).toBe('succeeded');
    expect(done.model).toMatchObject({ name: 'rm-iris', version: 2 });
    const results = csvObjects(await (await fetch(platform.url(job.links.results))).text());
    expect(results.rows).toHaveLength(150);
    expect(results.rows[0]!.prediction).toBe('setosa');
    // Its page and results stay; a new registration never gets the removed number back.
    expect(await register('rm-iris')).toBe(3);
    expect(await listed('rm-iris')).toEqual([3, 1]);
  });

  it('removes a whole model: gone from the list, refused by name, and registering it again continues its numbering', async () => {
    await register('rm-whole');
    await register('rm-whole');
    expect((await remove('/api/models/rm-whole')).status).toBe(204);
    expect(await listed('rm-whole')).toEqual([]);
    // Its address says it was removed, as predict and uploads do (was 404 model_not_found).
    const gone = await fetch(platform.url('/api/models/rm-whole'));
    expect([gone.status, ((await gone.json()) as { error: { code: string } }).error.code]).toEqual([410, 'model_removed']);
    const refused = await predict('rm-whole');
    expect(refused.status).toBe(410);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/no version of it is offered any more/);
    expect((await submit(platform, 'iris.csv', { model: 'rm-whole' })).status).toBe(410);
    const page = await (await fetch(platform.url('/'))).text();
    expect(page).not.toContain('rm-whole');
    expect((await remove('/api/models/rm-whole')).status).toBe(404);
    expect(await register('rm-whole')).toBe(3);
  });

  it('a model its key removed is not said to be removed by an administrator: new jobs and predictions get 410 with the date', async () => {
    const made = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'rm-publisher', scopes: ['models:write'] }),
    });
    expect(made.status, await made.clone().text()).toBe(201);
    const key = { authorization: `Bearer ${((await made.json()) as { key: string }).key}` };
    const form = new FormData();
    form.set('name', 'rm-by-key');
    form.set('file', fileBlob(irisBytes), 'iris-logreg.onnx');
    expect((await fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: key })).status).toBe(201);
    expect((await remove('/api/models/rm-by-key', key)).status).toBe(204);

    for (const res of [await submit(platform, 'iris.csv', { model: 'rm-by-key' }), await predict('rm-by-key')]) {
      expect(res.status).toBe(410);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('model_removed');
      expect(error.message).toMatch(/^Model "rm-by-key" was removed on \d{4}-\d\d-\d\dT/);
      expect(error.message).not.toContain('administrator');
    }
  });

  it('a real-time prediction right after the removal is refused: the web process forgets the version it resolved', async () => {
    await register('rm-at-once');
    expect((await predict('rm-at-once')).status).toBe(200); // resolved, and remembered for a second
    expect((await remove('/api/models/rm-at-once')).status).toBe(204);
    const res = await predict('rm-at-once');
    expect(res.status, await res.clone().text()).toBe(410);
    // And a version registered is used at once: the name resolves again, to the new version.
    expect(await register('rm-at-once')).toBe(2);
    const again = await predict('rm-at-once');
    expect(again.status).toBe(200);
    expect(((await again.json()) as { model: { version: number } }).model.version).toBe(2);
  });

  it('removes one version addressed as name@version', async () => {
    await register('rm-at');
    await register('rm-at');
    expect((await remove('/api/models/rm-at@1')).status).toBe(204);
    expect(await listed('rm-at')).toEqual([2]);
  });

  it('refuses (409 default_model) to leave DEFAULT_MODEL without a version', async () => {
    const res = await remove('/api/models/iris-logreg');
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('default_model');
    expect(body.error.message).toContain('DEFAULT_MODEL');
    expect(await listed('iris-logreg')).toEqual([1]);
  });
});

describe('removing on the admin page', () => {
  it('offers a Remove button per version whose form needs the session’s CSRF token', async () => {
    await register('rm-form');
    await register('rm-form');
    const { cookie, csrf } = await signIn(platform);
    const page = await (await fetch(platform.url('/admin'), { headers: { cookie } })).text();
    expect(page).toContain('action="/admin/models/rm-form/versions/2/delete"');
    expect(page).toContain('action="/admin/models/rm-form/delete"');
    const post = (action: string, fields: Record<string, string>) =>
      fetch(platform.url(action), {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: platform.baseUrl },
        body: new URLSearchParams(fields),
      });

    expect((await post('/admin/models/rm-form/versions/2/delete', {})).status).toBe(403);
    expect((await post('/admin/models/rm-form/versions/2/delete', { _csrf: 'not-the-token' })).status).toBe(403);
    expect(await listed('rm-form')).toEqual([2, 1]);

    const done = await post('/admin/models/rm-form/versions/2/delete', { _csrf: csrf });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/admin#models');
    expect(await listed('rm-form')).toEqual([1]);
    const after = await (await fetch(platform.url('/admin'), { headers: { cookie } })).text();
    expect(after).not.toContain('/admin/models/rm-form/versions/2/delete');

    // DEFAULT_MODEL's last version: the page again, saying why.
    const refused = await post('/admin/models/iris-logreg/delete', { _csrf: csrf });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('DEFAULT_MODEL');

    expect((await post('/admin/models/rm-form/delete', { _csrf: csrf })).status).toBe(303);
    expect(await listed('rm-form')).toEqual([]);
  });
});

describe('batchcast models remove', () => {
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(platform.baseUrl, args, env);

  it('removes a version or a model with the admin token, and says what the server refused', async () => {
    await register('rm-cli');
    await register('rm-cli');
    expect((await cli(['models', 'remove', 'rm-cli@1'])).code).toBe(2);

    const one = await cli(['models', 'remove', 'rm-cli@1'], { BATCHCAST_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).toContain('removed rm-cli version 1');
    expect(await listed('rm-cli')).toEqual([2]);
    const list = await cli(['models', 'list', '--json']);
    expect(JSON.parse(list.stdout).map((m: { name: string; version: number }) => `${m.name}@${m.version}`)).not.toContain('rm-cli@1');

    const again = await cli(['models', 'remove', 'rm-cli@1', '--token', ADMIN_TOKEN]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('removed on');

    const all = await cli(['models', 'remove', 'rm-cli', '--token', ADMIN_TOKEN]);
    expect(all.code, all.stderr).toBe(0);
    expect(await listed('rm-cli')).toEqual([]);
  });
});
