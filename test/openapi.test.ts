import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { checksQueryParameters, responseSchema } from '@batchcast/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submit, waitForEnd } from './support/http.js';
import { ADMIN_TOKEN, examples, Platform } from './support/platform.js';
import { until } from './support/faults.js';
import { startWebApp } from './support/web-app.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

/**
 * /api/openapi.json against reality: every JSON endpoint is called on a running platform and its actual
 * answer (success and error shapes) is parsed with the contract's own zod schema for that status (the same
 * schema the document is generated from); every route registered in the Express app is in the document, and
 * every documented operation exists.
 */
let platform: Platform;
let doc: {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
  components: { schemas: Record<string, unknown> };
};
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const checked = new Set<string>();

let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await new WebhookReceiver().start();
  platform = await new Platform({
    workers: 1,
    env: {
      SCHEDULE_SOURCE_DIRS: path.join(examples, 'data'),
      WEBHOOK_SECRET_KEY: 'openapi-test-webhook-key-0123456789abcdef',
      WEBHOOK_ALLOW_HOSTS: '127.0.0.1:*',
    },
  }).start();
  const res = await fetch(platform.url('/api/openapi.json'));
  expect(res.status).toBe(200);
  doc = await res.json();
});
afterAll(async () => {
  await platform?.stop();
  await receiver?.close();
});

/** Checks a real response against the contract: the status is documented, and a JSON body parses with its schema. */
async function conforms(method: string, template: string, res: Response, record = true): Promise<unknown> {
  const op = doc.paths[template]?.[method];
  expect(op, `${method.toUpperCase()} ${template} is documented`).toBeDefined();
  const documented = op!.responses[String(res.status)];
  const text = await res.text();
  expect(documented, `${method.toUpperCase()} ${template} → ${res.status} is documented (${text.slice(0, 200)})`).toBeDefined();
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (documented!.content)
    expect(Object.keys(documented!.content), `${method.toUpperCase()} ${template} → ${res.status} content type`).toContain(type);
  if (record) checked.add(`${method} ${template} ${res.status}`);
  if (type !== 'application/json') return text;
  const body = JSON.parse(text);
  const schema = responseSchema(method, template, res.status, type);
  expect(schema, `${method.toUpperCase()} ${template} → ${res.status} has a schema`).toBeTruthy();
  const parsed = schema!.safeParse(body);
  expect(parsed.success ? [] : parsed.error.issues, `${method.toUpperCase()} ${template} → ${res.status}`).toEqual([]);
  // Every code is snake_case, those built from a field's name too (`invalid_grace_seconds`, not `invalid_graceSeconds`).
  if (res.status >= 400) expect(body.error.code, `${method.toUpperCase()} ${template} → ${res.status}`).toMatch(/^[a-z0-9]+(_[a-z0-9]+)*$/);
  return body;
}

describe('the document', () => {
  it('is OpenAPI 3.1 whose references all resolve', () => {
    expect(doc.openapi).toBe('3.1.0');
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const r of new Set(refs)) {
      const name = r.replace(/^"\$ref":"#\/components\/schemas\//, '').replace(/"$/, '');
      expect(doc.components.schemas[name], r).toBeDefined();
    }
  });

  it('describes every route of the Express app, and nothing that is not one', async () => {
    const web = await startWebApp(platform, { ADMIN_TOKEN });
    try {
      const routes: string[] = [];
      const mounts: string[] = [];
      type Layer = {
        route?: { path: string | string[]; methods: Record<string, boolean> };
        handle?: { stack?: Layer[] };
        rawPath?: string;
        slash?: boolean;
      };
      const walk = (stack: Layer[]) => {
        for (const layer of stack) {
          if (layer.route) {
            for (const p of [layer.route.path].flat())
              for (const m of Object.keys(layer.route.methods)) routes.push(`${m} ${p.replace(/:(\w+)/g, '{$1}')}`);
          } else if (layer.rawPath && !layer.slash) mounts.push(layer.rawPath);
          else if (layer.handle?.stack) walk(layer.handle.stack);
        }
      };
      walk((web.app as unknown as { router: { stack: Layer[] } }).router.stack);
      expect(routes.length).toBeGreaterThan(25);
      const documented = Object.entries(doc.paths).flatMap(([p, item]) =>
        Object.keys(item)
          .filter((k) => k !== 'description')
          .map((m) => `${m} ${p}`),
      );
      for (const r of new Set(routes)) expect(documented, `route ${r} is documented`).toContain(r);
      for (const m of new Set(mounts))
        expect(
          Object.keys(doc.paths).some((p) => p === m || p.startsWith(`${m}/`)),
          `mount ${m} is documented`,
        ).toBe(true);
      // And the other way: a documented operation is a route (or lives under a mount).
      for (const d of documented) {
        const p = d.slice(d.indexOf(' ') + 1);
        expect(routes.includes(d) || mounts.some((m) => p === m || p.startsWith(`${m}/`)), `documented ${d} exists`).toBe(true);
      }
    } finally {
      await web.close();
    }
  });
});

describe('real responses match the document', () => {
  let job: { id: string; token: string; links: { self: string; page: string; results: string } };
  const q = () => `?token=${encodeURIComponent(job.token)}`;

  beforeAll(async () => {
    const res = await submit(platform, 'iris.csv', { model: 'iris-logreg', email: 'doc@example.com' });
    job = (await conforms('post', '/api/jobs', res)) as typeof job;
    job.token = new URL(job.links.self, platform.baseUrl).searchParams.get('token')!;
    await waitForEnd(platform, job.links.self);
  });

  it('jobs', async () => {
    await conforms('get', '/api/jobs/{id}', await fetch(platform.url(`/api/jobs/${job.id}${q()}`)));
    await conforms('get', '/api/jobs/{id}', await fetch(platform.url(`/api/jobs/${job.id}`)));
    // Polled answers carry an ETag: asked again with it, 304 without a body.
    for (const [template, url] of [
      ['/api/jobs/{id}', `/api/jobs/${job.id}${q()}`],
      ['/api/jobs/{id}/summary', `/api/jobs/${job.id}/summary${q()}`],
    ] as const) {
      const etag = (await fetch(platform.url(url))).headers.get('etag')!;
      const same = await fetch(platform.url(url), { headers: { 'if-none-match': etag } });
      expect(same.status, template).toBe(304);
      await conforms('get', template, same);
    }
    await conforms('get', '/api/jobs/{id}/summary', await fetch(platform.url(`/api/jobs/${job.id}/summary${q()}`)));
    await conforms('get', '/api/jobs/{id}/results.csv', await fetch(platform.url(`/api/jobs/${job.id}/results.csv${q()}`)));
    for (const format of ['jsonl', 'parquet', 'xlsx'])
      await conforms('get', `/api/jobs/{id}/results.${format}`, await fetch(platform.url(`/api/jobs/${job.id}/results.${format}${q()}`)));
    await conforms('get', '/api/jobs/{id}/errors.csv', await fetch(platform.url(`/api/jobs/${job.id}/errors.csv${q()}`)));
    // The results by Accept: the same bytes as the format's own URL; a type there is none of is a 406.
    const negotiated = (accept: string) => fetch(platform.url(`/api/jobs/${job.id}/results${q()}`), { headers: { accept } });
    const parquet = await negotiated('application/json;q=0.9, application/vnd.apache.parquet');
    expect(parquet.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    expect(parquet.headers.get('content-disposition')).toBe('attachment; filename="iris-predictions.parquet"');
    const jsonl = await negotiated('application/x-ndjson');
    expect(await jsonl.text()).toBe(await (await fetch(platform.url(`/api/jobs/${job.id}/results.jsonl${q()}`))).text());
    await conforms('get', '/api/jobs/{id}/results', parquet);
    await conforms('get', '/api/jobs/{id}/results', await negotiated('*/*'));
    const refused = await negotiated('application/json');
    expect(refused.status).toBe(406);
    expect(((await conforms('get', '/api/jobs/{id}/results', refused)) as { error: { code: string } }).error.code).toBe('not_acceptable');
    // The token is checked first: a wrong one is a 404 whatever Accept asks for.
    await conforms(
      'get',
      '/api/jobs/{id}/results',
      await fetch(platform.url(`/api/jobs/${job.id}/results`), { headers: { accept: 'image/png' } }),
    );
    await conforms('post', '/api/jobs/{id}/cancel', await fetch(platform.url(`/api/jobs/${job.id}/cancel${q()}`), { method: 'POST' }));
    await conforms('get', '/jobs/{id}', await fetch(platform.url(`/jobs/${job.id}${q()}`)));
    await conforms(
      'post',
      '/jobs/{id}/cancel',
      await fetch(platform.url(`/jobs/${job.id}/cancel${q()}`), { method: 'POST', redirect: 'manual' }),
    );
    const form = new FormData();
    form.set('model', 'no-such-model');
    form.set('file', new Blob([await readFile(path.join(examples, 'data/iris.csv'))]), 'iris.csv');
    await conforms('post', '/jobs', await fetch(platform.url('/jobs'), { method: 'POST', body: form, redirect: 'manual' }));

    // A regressor's summary (a histogram), and a job cancelled (200) or already over (409).
    const reg = (await conforms('post', '/api/jobs', await submit(platform, 'diabetes.csv', { model: 'diabetes-gbr' }))) as typeof job;
    await conforms('post', '/api/jobs/{id}/cancel', await fetch(platform.url(reg.links.self.replace('?', '/cancel?')), { method: 'POST' }));
    await waitForEnd(platform, reg.links.self);
    await conforms('get', '/api/jobs/{id}/summary', await fetch(platform.url(reg.links.self.replace('?', '/summary?'))));
    // Deleting it: a wrong credential 404, then 204, then 410 `deleted`; the page's form 303, then 410.
    const deleting = { method: 'DELETE' };
    await conforms('delete', '/api/jobs/{id}', await fetch(platform.url(`/api/jobs/${reg.id}`), deleting));
    await conforms('delete', '/api/jobs/{id}', await fetch(platform.url(reg.links.self), deleting));
    await conforms('delete', '/api/jobs/{id}', await fetch(platform.url(reg.links.self), deleting));
    // Cancelling a deleted job: 410 `deleted`.
    const cancelDeleted = await fetch(platform.url(reg.links.self.replace('?', '/cancel?')), { method: 'POST' });
    expect(cancelDeleted.status).toBe(410);
    expect(((await conforms('post', '/api/jobs/{id}/cancel', cancelDeleted)) as { error: { code: string } }).error.code).toBe('deleted');
    const toDelete = (await conforms('post', '/api/jobs', await submit(platform, 'iris.csv', { model: 'iris-logreg' }))) as typeof job;
    const deleteForm = platform.url(`/jobs/${toDelete.id}/delete${new URL(toDelete.links.self, platform.baseUrl).search}`);
    await conforms('post', '/jobs/{id}/delete', await fetch(deleteForm, { method: 'POST', redirect: 'manual' }));
    await conforms('post', '/jobs/{id}/delete', await fetch(deleteForm, { method: 'POST', redirect: 'manual' }));

    await conforms('post', '/api/jobs', await submit(platform, 'iris.csv', { model: 'no-such-model' }));
    await conforms('post', '/api/jobs', await fetch(platform.url('/api/jobs'), { method: 'POST', body: new FormData() }));
    await conforms('post', '/api/jobs', await submit(platform, Buffer.from('a,b\n1,2\n'), { model: 'iris-logreg' }));
  });

  it('a revoked key’s webhook endpoint is listed as disabled (key_revoked)', async () => {
    const json = (value: unknown, headers: Record<string, string>) => ({
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(value),
    });
    const made = (await (
      await fetch(platform.url('/api/keys'), json({ name: 'doc-revoked', scopes: ['webhooks:write'] }, admin))
    ).json()) as {
      id: string;
      key: string;
    };
    const hook = (await (
      await fetch(
        platform.url('/api/webhooks'),
        json({ url: receiver.url(), events: ['job.succeeded'] }, { authorization: `Bearer ${made.key}` }),
      )
    ).json()) as { id: string };
    const listed = async () => {
      const list = (await conforms('get', '/api/webhooks', await fetch(platform.url('/api/webhooks'), { headers: admin }))) as {
        webhooks: { id: string; disabled: string | null }[];
      };
      return list.webhooks.find((e) => e.id === hook.id)?.disabled;
    };
    expect(await listed()).toBeNull();
    expect((await fetch(platform.url(`/api/keys/${made.id}`), { method: 'DELETE', headers: admin })).status).toBe(204);
    expect(await listed()).toBe('key_revoked');
  });

  it('a rate-limited API key: 429 on the job endpoints too', async () => {
    const res = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'doc-limited', scopes: ['jobs:read', 'jobs:write'], limits: { requestsPerMinute: 1 } }),
    });
    const limited = { authorization: `Bearer ${((await res.json()) as { key: string }).key}` };
    // The first request of the minute is counted (the job is not the key's: 404); every other one is 429.
    await conforms('get', '/api/jobs/{id}', await fetch(platform.url(`/api/jobs/${job.id}`), { headers: limited }));
    for (const [method, template, url] of [
      ['get', '/api/jobs/{id}', `/api/jobs/${job.id}`],
      ['post', '/api/jobs/{id}/cancel', `/api/jobs/${job.id}/cancel`],
      ['get', '/api/jobs/{id}/summary', `/api/jobs/${job.id}/summary`],
      ['get', '/api/jobs/{id}/results.csv', `/api/jobs/${job.id}/results.csv`],
      ['get', '/api/jobs/{id}/results.parquet', `/api/jobs/${job.id}/results.parquet`],
      ['get', '/api/jobs/{id}/errors.csv', `/api/jobs/${job.id}/errors.csv`],
      ['delete', '/api/jobs/{id}', `/api/jobs/${job.id}`],
    ] as const) {
      const r = await fetch(platform.url(url), { method: method.toUpperCase(), headers: limited });
      expect(r.status, `${method} ${url}`).toBe(429);
      await conforms(method, template, r);
    }
  });

  it('models', async () => {
    await conforms('get', '/api/models', await fetch(platform.url('/api/models')));
    await conforms('get', '/api/models/{name}', await fetch(platform.url('/api/models/iris-logreg')));
    await conforms('get', '/api/models/{name}', await fetch(platform.url('/api/models/nope')));
    await conforms('get', '/api/models/{name}', await fetch(platform.url('/api/models/iris-logreg@1')));
    await conforms('get', '/api/models/{name}/versions/{version}', await fetch(platform.url('/api/models/iris-logreg/versions/1')));
    await conforms('get', '/api/models/{name}/versions/{version}', await fetch(platform.url('/api/models/iris-logreg/versions/9')));
    await conforms(
      'post',
      '/api/models/{name}/predict',
      await fetch(platform.url('/api/models/nope/predict'), {
        method: 'POST',
        body: '{"rows":[]}',
        headers: { 'content-type': 'application/json' },
      }),
    );
    const rows = [
      { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
      { sepal_length: 'x', sepal_width: 3, petal_length: 1, petal_width: 0 },
    ];
    const predict = (body: unknown) =>
      fetch(platform.url('/api/models/iris-logreg/predict'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    await conforms('post', '/api/models/{name}/predict', await predict({ rows }));
    await conforms('post', '/api/models/{name}/predict', await predict({ nope: 1 }));
    await conforms('post', '/api/models/{name}/predict', await predict({ rows: [{ sepal_length: 1 }] }));
    await conforms('get', '/models/{name}/sample.csv', await fetch(platform.url('/models/iris-logreg/sample.csv')));
    await conforms('get', '/models/{name}/sample.csv', await fetch(platform.url('/models/nope/sample.csv')));
    for (const format of ['jsonl', 'xlsx']) {
      await conforms('get', `/models/{name}/sample.${format}`, await fetch(platform.url(`/models/iris-logreg/sample.${format}`)));
      await conforms('get', `/models/{name}/sample.${format}`, await fetch(platform.url(`/models/nope/sample.${format}`)));
    }

    const form = () => {
      const f = new FormData();
      f.set('name', 'doc-iris');
      return f;
    };
    const withFile = async () => {
      const f = form();
      f.set('file', new Blob([await readFile(path.join(examples, 'models/iris-logreg.onnx'))]), 'iris.onnx');
      return f;
    };
    await conforms('post', '/api/models', await fetch(platform.url('/api/models'), { method: 'POST', body: await withFile() }));
    await conforms(
      'post',
      '/api/models',
      await fetch(platform.url('/api/models'), {
        method: 'POST',
        body: await withFile(),
        headers: { authorization: 'Bearer wrong-token-0123456789' },
      }),
    );
    const registered = await fetch(platform.url('/api/models'), { method: 'POST', body: await withFile(), headers: admin });
    expect(registered.headers.get('location')).toBe('/api/models/doc-iris'); // a resource to GET
    await conforms('post', '/api/models', registered);
    await conforms('post', '/api/models', await fetch(platform.url('/api/models'), { method: 'POST', body: form(), headers: admin }));
  });

  it('operations and admin', async () => {
    await conforms('get', '/healthz', await fetch(platform.url('/healthz')));
    await conforms('get', '/metrics', await fetch(platform.url('/metrics')));
    await conforms('get', '/metrics', await fetch(platform.url('/metrics'), { headers: admin }));
    await conforms('get', '/admin', await fetch(platform.url('/admin'), { headers: { accept: 'application/json' } }));
    await conforms('get', '/admin', await fetch(platform.url('/admin'), { headers: { ...admin, accept: 'application/json' } }));
    await conforms('get', '/admin', await fetch(platform.url('/admin'), { headers: admin }));
    await conforms('get', '/admin', await fetch(platform.url('/admin'), { headers: { accept: 'text/html' }, redirect: 'manual' }));
    await conforms('get', '/admin/login', await fetch(platform.url('/admin/login')));
    for (const p of [
      '/admin/logout',
      '/admin/sessions/end-all',
      '/admin/schedules',
      '/admin/schedules/{name}/delete',
      '/admin/webhook-deliveries/{deliveryId}/redeliver',
      '/admin/keys',
      '/admin/keys/{id}',
      '/admin/keys/{id}/revoke',
    ]) {
      await conforms(
        'post',
        p,
        await fetch(platform.url(p.replace('{name}', 'x').replace('{deliveryId}', 'x').replace('{id}', 'x')), {
          method: 'POST',
          redirect: 'manual',
        }),
      );
    }
    await conforms('get', '/admin/keys', await fetch(platform.url('/admin/keys'), { headers: { accept: 'application/json' } }));
    await conforms('get', '/admin/keys/{id}', await fetch(platform.url('/admin/keys/x'), { headers: { accept: 'application/json' } }));
    await conforms('get', '/admin/keys', await fetch(platform.url('/admin/keys'), { headers: admin }));
    await conforms(
      'get',
      '/admin/keys',
      await fetch(platform.url('/admin/keys'), { headers: { accept: 'text/html' }, redirect: 'manual' }),
    );
    await conforms('get', '/admin/queues', await fetch(platform.url('/admin/queues'), { headers: admin }));
    await conforms('get', '/dev/outbox', await fetch(platform.url('/dev/outbox'), { headers: { accept: 'application/json' } }));
    await conforms('get', '/api/openapi.json', await fetch(platform.url('/api/openapi.json')));
    await conforms('get', '/static/{file}', await fetch(platform.url('/static/style.css')));
    await conforms('get', '/static/{file}', await fetch(platform.url('/static/no-such-file.css')));
    const bytes = await fetch(platform.url('/static/bytes/dist/index.js'));
    expect(bytes.headers.get('content-type')).toMatch(/javascript/);
    await conforms('get', '/static/bytes/dist/{file}', bytes);
    const names = await fetch(platform.url('/static/names/dist/index.js'));
    expect(names.headers.get('content-type')).toMatch(/javascript/);
    await conforms('get', '/static/names/dist/{file}', names);
  });

  it('schedules', async () => {
    const post = (body: unknown, headers: Record<string, string> = admin) =>
      fetch(platform.url('/api/schedules'), {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    // Once a year: registered, listed and deleted without ever running here.
    const good = {
      name: 'doc-yearly',
      source: path.join(examples, 'data/iris.csv'),
      model: 'iris-logreg',
      cron: '0 0 1 1 *',
      email: 'ops@example.com',
    };
    const scheduled = await conforms('post', '/api/schedules', await post(good));
    await conforms('post', '/api/schedules', await post(good));
    // POST's Location is a resource to GET, like the list's entry.
    const one = await fetch(platform.url('/api/schedules/doc-yearly'), { headers: admin });
    expect((await conforms('get', '/api/schedules/{name}', one)) as { name: string }).toMatchObject({
      name: (scheduled as { name: string }).name,
    });
    await conforms('get', '/api/schedules/{name}', await fetch(platform.url('/api/schedules/doc-none'), { headers: admin }));
    await conforms('get', '/api/schedules/{name}', await fetch(platform.url('/api/schedules/doc-yearly')));
    await conforms('post', '/api/schedules', await post({ ...good, name: 'doc-bad', cron: '61 * * * *' }));
    await conforms('post', '/api/schedules', await post(good, {}));
    await conforms('get', '/api/schedules', await fetch(platform.url('/api/schedules'), { headers: admin }));
    await conforms('get', '/api/schedules', await fetch(platform.url('/api/schedules')));
    await conforms(
      'delete',
      '/api/schedules/{name}',
      await fetch(platform.url('/api/schedules/doc-yearly'), { method: 'DELETE', headers: admin }),
    );
    await conforms(
      'delete',
      '/api/schedules/{name}',
      await fetch(platform.url('/api/schedules/doc-yearly'), { method: 'DELETE', headers: admin }),
    );
  });

  it('keys, job lists and webhooks', async () => {
    const body = (value: unknown, headers: Record<string, string> = admin) => ({
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(value),
    });
    const post = (p: string, value: unknown, headers?: Record<string, string>) =>
      fetch(platform.url(p), { method: 'POST', ...body(value, headers) });
    const created = (await conforms(
      'post',
      '/api/keys',
      await post('/api/keys', { name: 'doc-svc', scopes: ['jobs:read', 'jobs:write', 'webhooks:write'] }),
    )) as { id: string; key: string };
    await conforms('post', '/api/keys', await post('/api/keys', { name: 'doc-bad', scopes: ['nope'] }));
    await conforms('post', '/api/keys', await post('/api/keys', { name: 'doc-anon', scopes: ['jobs:read'] }, {}));
    await conforms('post', '/api/keys', await post('/api/keys', [1, 2]));
    const patch = (id: string, value: unknown) => fetch(platform.url(`/api/keys/${id}`), { method: 'PATCH', ...body(value) });
    await conforms('patch', '/api/keys/{id}', await patch(created.id, { limits: { rowsPerDay: 100_000 } }));
    await conforms('patch', '/api/keys/{id}', await patch(created.id, { scopes: [] }));
    await conforms('patch', '/api/keys/{id}', await patch('00000000-0000-4000-8000-000000000000', { name: 'x' }));
    const createdAt = await post('/api/keys', { name: 'doc-located', scopes: ['jobs:read'] });
    const located = await fetch(platform.url(createdAt.headers.get('location')!), { headers: admin });
    expect(((await conforms('get', '/api/keys/{id}', located)) as { name: string }).name).toBe('doc-located');
    await conforms(
      'get',
      '/api/keys/{id}',
      await fetch(platform.url('/api/keys/00000000-0000-4000-8000-000000000000'), { headers: admin }),
    );
    await conforms('get', '/api/keys/{id}', await fetch(platform.url(`/api/keys/${created.id}`)));
    await conforms('get', '/api/keys', await fetch(platform.url('/api/keys'), { headers: admin }));
    await conforms('get', '/api/keys', await fetch(platform.url('/api/keys')));
    const key = { authorization: `Bearer ${created.key}` };

    // A key's jobs: submitted with it, listed, opened.
    const form = new FormData();
    form.set('model', 'iris-logreg');
    form.set('file', new Blob([await readFile(path.join(examples, 'data/iris.csv'))]), 'iris.csv');
    const hook = (await conforms(
      'post',
      '/api/webhooks',
      await post('/api/webhooks', { url: receiver.url(), events: ['job.succeeded'] }, key),
    )) as {
      id: string;
    };
    const submitted = (await conforms(
      'post',
      '/api/jobs',
      await fetch(platform.url('/api/jobs'), { method: 'POST', body: form, headers: key }),
    )) as {
      id: string;
      links: { self: string };
    };
    await waitForEnd(platform, submitted.links.self);
    await conforms('get', '/api/jobs', await fetch(platform.url('/api/jobs?limit=1'), { headers: key }));
    await conforms('get', '/api/jobs', await fetch(platform.url('/api/jobs?limit=0'), { headers: key }));
    await conforms('get', '/api/jobs', await fetch(platform.url('/api/jobs')));
    await conforms('get', '/api/jobs', await fetch(platform.url('/api/jobs'), { headers: { authorization: 'Bearer bck_wrong' } }));
    await conforms('get', '/api/jobs/{id}', await fetch(platform.url(`/api/jobs/${submitted.id}`), { headers: key }));

    // Webhooks: the endpoint, its deliveries, a redelivery, a rotation.
    await conforms('post', '/api/webhooks', await post('/api/webhooks', { url: 'http://10.0.0.1/hook', events: ['job.succeeded'] }, key));
    await conforms('post', '/api/webhooks', await post('/api/webhooks', { url: receiver.url(), events: ['job.done'] }));
    await conforms('get', '/api/webhooks', await fetch(platform.url('/api/webhooks'), { headers: key }));
    await conforms('get', '/api/webhooks', await fetch(platform.url('/api/webhooks')));
    await conforms('get', '/api/webhooks/{id}', await fetch(platform.url(`/api/webhooks/${hook.id}`), { headers: admin }));
    await conforms(
      'get',
      '/api/webhooks/{id}',
      await fetch(platform.url('/api/webhooks/00000000-0000-4000-8000-000000000000'), { headers: key }),
    );
    const delivered = await until('the delivery succeeded', async () => {
      const page = (await (await fetch(platform.url(`/api/webhooks/${hook.id}/deliveries`), { headers: key })).json()) as {
        deliveries: { id: string; status: string }[];
      };
      return page.deliveries.find((d) => d.status === 'succeeded');
    });
    await conforms(
      'get',
      '/api/webhooks/{id}/deliveries',
      await fetch(platform.url(`/api/webhooks/${hook.id}/deliveries`), { headers: key }),
    );
    await conforms(
      'get',
      '/api/webhooks/{id}/deliveries',
      await fetch(platform.url(`/api/webhooks/${hook.id}/deliveries?cursor=@`), { headers: key }),
    );
    const redeliver = (id: string) =>
      fetch(platform.url(`/api/webhooks/${hook.id}/deliveries/${id}/redeliver`), { method: 'POST', headers: key });
    await conforms('post', '/api/webhooks/{id}/deliveries/{deliveryId}/redeliver', await redeliver(delivered.id));
    await conforms('post', '/api/webhooks/{id}/deliveries/{deliveryId}/redeliver', await redeliver(delivered.id));
    await conforms('post', '/api/webhooks/{id}/deliveries/{deliveryId}/redeliver', await redeliver('msg_0'));
    await conforms(
      'post',
      '/api/webhooks/{id}/rotate-secret',
      await post(`/api/webhooks/${hook.id}/rotate-secret`, { graceSeconds: 60 }, key),
    );
    const badGrace = (await conforms(
      'post',
      '/api/webhooks/{id}/rotate-secret',
      await post(`/api/webhooks/${hook.id}/rotate-secret`, { graceSeconds: -1 }, key),
    )) as { error: { code: string } };
    expect(badGrace.error.code).toBe('invalid_grace_seconds');
    await conforms(
      'delete',
      '/api/webhooks/{id}',
      await fetch(platform.url(`/api/webhooks/${hook.id}`), { method: 'DELETE', headers: key }),
    );
    await conforms(
      'delete',
      '/api/webhooks/{id}',
      await fetch(platform.url(`/api/webhooks/${hook.id}`), { method: 'DELETE', headers: key }),
    );

    // A key without the scope, then revoked.
    const reader = (await (await post('/api/keys', { name: 'doc-reader', scopes: ['jobs:read'] })).json()) as { id: string; key: string };
    await conforms(
      'post',
      '/api/webhooks',
      await post('/api/webhooks', { url: receiver.url(), events: ['job.failed'] }, { authorization: `Bearer ${reader.key}` }),
    );
    await conforms('delete', '/api/keys/{id}', await fetch(platform.url(`/api/keys/${created.id}`), { method: 'DELETE', headers: admin }));
    await conforms('delete', '/api/keys/{id}', await fetch(platform.url(`/api/keys/${created.id}`), { method: 'DELETE', headers: admin }));
    await conforms('get', '/api/jobs', await fetch(platform.url('/api/jobs'), { headers: key }));
  });

  it('model originals and the admin page’s model form', async () => {
    const original = (name: string, version: string, headers: Record<string, string> = admin) =>
      fetch(platform.url(`/api/models/${name}/versions/${version}/original`), { headers });
    const template = '/api/models/{name}/versions/{version}/original';
    await conforms('get', template, await original('iris-logreg', '1'));
    await conforms('get', template, await original('iris-logreg', '1', {}));
    await conforms('get', template, await original('iris-logreg', '1', { authorization: 'Bearer wrong-token-0123456789' }));
    await conforms('get', template, await original('iris-logreg', '99'));
    await conforms('post', '/admin/models', await fetch(platform.url('/admin/models'), { method: 'POST', redirect: 'manual' }));
    const form = new FormData();
    form.set('name', 'doc-form');
    form.set('file', new Blob([await readFile(path.join(examples, 'models/iris-logreg.onnx'))]), 'iris.onnx');
    await conforms(
      'post',
      '/admin/models',
      await fetch(platform.url('/admin/models'), { method: 'POST', body: form, redirect: 'manual', headers: admin }),
    );
    const bad = new FormData();
    bad.set('name', 'doc-form');
    bad.set('file', new Blob(['not a model']), 'model.pkl');
    await conforms('post', '/admin/models', await fetch(platform.url('/admin/models'), { method: 'POST', body: bad, headers: admin }));
  });

  it('removing models and versions: the API and the admin page’s buttons', async () => {
    const register = async (name: string) => {
      const form = new FormData();
      form.set('name', name);
      form.set('file', new Blob([await readFile(path.join(examples, 'models/iris-logreg.onnx'))]), 'iris.onnx');
      expect((await fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: admin })).status).toBe(201);
    };
    const remove = (route: string, headers: Record<string, string> = admin) => fetch(platform.url(route), { method: 'DELETE', headers });
    await register('doc-remove');
    await register('doc-remove');
    await register('doc-remove');
    const version = '/api/models/{name}/versions/{version}';
    await conforms('delete', version, await remove('/api/models/doc-remove/versions/1', {}));
    await conforms('delete', version, await remove('/api/models/doc-remove/versions/1'));
    await conforms('delete', version, await remove('/api/models/doc-remove/versions/1'));
    await conforms('delete', '/api/models/{name}', await remove('/api/models/doc-remove@2'));
    await conforms('delete', '/api/models/{name}', await remove('/api/models/iris-logreg'));
    await conforms('delete', '/api/models/{name}', await remove('/api/models/doc-remove'));
    await conforms(
      'delete',
      '/api/models/{name}',
      await remove('/api/models/doc-remove', { authorization: 'Bearer wrong-token-0123456789' }),
    );
    await conforms(
      'post',
      '/api/models/{name}/predict',
      await fetch(platform.url('/api/models/doc-remove/predict'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rows: [{}] }),
      }),
    );
    await register('doc-remove');
    const button = (action: string) => fetch(platform.url(action), { method: 'POST', headers: admin, redirect: 'manual' });
    await conforms('post', '/admin/models/{name}/versions/{version}/delete', await button('/admin/models/doc-remove/versions/4/delete'));
    await conforms('post', '/admin/models/{name}/versions/{version}/delete', await button('/admin/models/doc-remove/versions/4/delete'));
    await conforms('post', '/admin/models/{name}/delete', await button('/admin/models/iris-logreg/delete'));
    await register('doc-remove');
    await conforms('post', '/admin/models/{name}/delete', await button('/admin/models/doc-remove/delete'));
  });

  it('coming back: links by email, the favicon, one job for admins', async () => {
    const links = (body: unknown) =>
      fetch(platform.url('/api/links'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await conforms('post', '/api/links', await links({ email: 'doc@example.com' }));
    await conforms('post', '/api/links', await links({ email: 'not an address' }));
    await conforms('post', '/api/links', await links({}));
    const form = (email: string) =>
      fetch(platform.url('/links'), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email }),
      });
    await conforms('post', '/links', await form('doc@example.com'));
    await conforms('post', '/links', await form('not an address'));
    await conforms('get', '/favicon.ico', await fetch(platform.url('/favicon.ico')));

    const json = { ...admin, accept: 'application/json' };
    await conforms('get', '/admin/jobs/{id}', await fetch(platform.url(`/admin/jobs/${job.id}`), { headers: json }));
    await conforms('get', '/admin/jobs/{id}', await fetch(platform.url(`/admin/jobs/${job.id}`), { headers: admin }));
    await conforms(
      'get',
      '/admin/jobs/{id}',
      await fetch(platform.url(`/admin/jobs/${job.id}`), { headers: { accept: 'application/json' } }),
    );
    await conforms(
      'get',
      '/admin/jobs/{id}',
      await fetch(platform.url('/admin/jobs/00000000-0000-4000-8000-000000000000'), { headers: json }),
    );
    await conforms(
      'post',
      '/admin/jobs/{id}/open',
      await fetch(platform.url(`/admin/jobs/${job.id}/open`), { method: 'POST', headers: admin, redirect: 'manual' }),
    );
    await conforms(
      'post',
      '/admin/jobs/{id}/open',
      await fetch(platform.url(`/admin/jobs/${job.id}/open`), { method: 'POST', redirect: 'manual' }),
    );
    await conforms(
      'post',
      '/admin/jobs/{id}/resend',
      await fetch(platform.url(`/admin/jobs/${job.id}/resend`), { method: 'POST', headers: json }),
    );
    await conforms(
      'post',
      '/admin/jobs/{id}/resend',
      await fetch(platform.url(`/admin/jobs/${job.id}/resend`), { method: 'POST', headers: admin, redirect: 'manual' }),
    );
    const anonymous = (await conforms('post', '/api/jobs', await submit(platform, 'iris.csv', { model: 'iris-logreg' }))) as typeof job;
    await waitForEnd(platform, anonymous.links.self);
    await conforms(
      'post',
      '/admin/jobs/{id}/resend',
      await fetch(platform.url(`/admin/jobs/${anonymous.id}/resend`), { method: 'POST', headers: json }),
    );
  });

  it('covered every JSON operation of the document', () => {
    // The HTTP layer's refusals every operation has (405; 403 cross_site on a change; 401 invalid_api_key and 429
    // rate_limited, a key's) make no page a JSON operation.
    const layerOnly = (status: string, description: string) =>
      status === '405' ||
      (status === '403' && description.includes('`cross_site`')) ||
      (status === '401' && description.includes('An `Authorization: Bearer bck_…` that is no valid API key')) ||
      (status === '429' && description.includes('An API key over its own requests a minute'));
    const ownJson = (status: string, r: { description?: string; content?: Record<string, unknown> }) =>
      !!r.content?.['application/json'] && !layerOnly(status, r.description ?? '');
    const jsonOps = Object.entries(doc.paths).flatMap(([p, item]) =>
      Object.entries(item)
        .filter(([m, op]) => m !== 'description' && Object.entries(op.responses).some(([status, r]) => ownJson(status, r)))
        .map(([m]) => `${m} ${p}`),
    );
    const exercised = new Set([...checked].map((c) => c.split(' ').slice(0, 2).join(' ')));
    expect(jsonOps.filter((op) => !exercised.has(op))).toEqual([]);
  });
});

describe("the HTTP layer's refusals", () => {
  it('are answered and documented on every operation they apply to: unknown_parameter, malformed_url, cross_site, method_not_allowed, invalid_api_key', async () => {
    const uuid = '00000000-0000-4000-8000-000000000000';
    const values: Record<string, string> = { id: uuid, deliveryId: uuid, version: '1' };
    const concrete = (template: string, value?: string) =>
      template.replace(/\{([^}]+)\}/g, (_m, n: string) => value ?? values[n] ?? 'iris-logreg');
    // Not the mounts (the static files, bull-board's API): middleware, not routes of the contract.
    const paths = Object.entries(doc.paths).filter(([p]) => !/^\/(admin\/queues|static)\//.test(`${p}/`));
    expect(paths.length).toBeGreaterThan(30);
    // Not recorded as covering the operations: these are refusals before any route's own work.
    const refused = async (method: string, template: string, url: string, status: number, code: string, headers = {}) => {
      const res = await fetch(platform.url(url), { method: method.toUpperCase(), headers, redirect: 'manual' });
      const copy = res.clone();
      expect(res.status, `${method.toUpperCase()} ${url}`).toBe(status);
      expect(((await copy.json()) as { error: { code: string } }).error.code, `${method.toUpperCase()} ${url}`).toBe(code);
      await conforms(method, template, res, false);
    };
    for (const [template, item] of paths) {
      const methods = Object.keys(item).filter((k) => k !== 'description');
      for (const method of methods) {
        if (checksQueryParameters(template))
          await refused(method, template, `${concrete(template)}?not_a_parameter=1`, 422, 'unknown_parameter');
        if (template.includes('{')) await refused(method, template, concrete(template, '%ZZ'), 400, 'malformed_url');
        if (method !== 'get') await refused(method, template, concrete(template), 403, 'cross_site', { 'sec-fetch-site': 'cross-site' });
        // A bearer in an API key's form that is none: refused on every operation, open ones too (GET /api/models was
        // documented without its 401).
        await refused(method, template, concrete(template), 401, 'invalid_api_key', { authorization: 'Bearer bck_not_a_key_0000' });
        // A method the path does not take: the 405 is documented on each of the path's operations.
        const other = ['put', 'patch', 'delete', 'post'].find((m) => !methods.includes(m))!;
        const res = await fetch(platform.url(concrete(template)), { method: other.toUpperCase() });
        expect([res.status, res.headers.get('allow')], `${other.toUpperCase()} ${template}`).toEqual([405, expect.any(String)]);
        await conforms(method, template, res, false);
      }
    }
  });
});
