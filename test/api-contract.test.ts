import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileBlob, submit, waitForEnd } from './support/http.js';
import { ADMIN_TOKEN, examples, Platform } from './support/platform.js';

/** The HTTP contract's rules: tokens, client mistakes, the HTML form. */
let platform: Platform;

beforeAll(async () => {
  platform = await new Platform({ workers: 1 }).start();
});
afterAll(async () => {
  await platform?.stop();
});

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.message.length).toBeGreaterThan(10);
  return body.error;
}

async function uploadsLeft(): Promise<string[]> {
  return readdir(path.join(platform.dataDir, 'uploads')).catch(() => []);
}

describe('job tokens', () => {
  let id: string;
  let token: string;
  beforeAll(async () => {
    const res = await submit(platform, 'iris.csv', { model: 'iris-logreg' });
    expect(res.status).toBe(202);
    const body = await res.json();
    id = body.id;
    token = new URL(body.links.self, platform.baseUrl).searchParams.get('token')!;
    await waitForEnd(platform, body.links.self);
  });

  it('are at least 128 random bits and differ between jobs', async () => {
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16);
    const other = await (await submit(platform, 'iris.csv')).json();
    expect(new URL(other.links.self, platform.baseUrl).searchParams.get('token')).not.toBe(token);
  });

  it('open the job by query or bearer header', async () => {
    expect((await fetch(platform.url(`/api/jobs/${id}?token=${token}`))).status).toBe(200);
    expect((await fetch(platform.url(`/api/jobs/${id}`), { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(platform.url(`/jobs/${id}?token=${token}`))).status).toBe(200);
    expect((await fetch(platform.url(`/api/jobs/${id}/results.csv?token=${token}`))).status).toBe(200);
  });

  it('answer 404 on every job endpoint without the right token', async () => {
    const wrong = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    for (const p of [`/api/jobs/${id}`, `/jobs/${id}`, `/api/jobs/${id}/results.csv`]) {
      expect((await fetch(platform.url(p))).status, `${p} without token`).toBe(404);
      expect((await fetch(platform.url(`${p}?token=${wrong}`))).status, `${p} wrong token`).toBe(404);
      expect((await fetch(platform.url(p), { headers: { authorization: `Bearer ${wrong}` } })).status).toBe(404);
    }
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await fetch(platform.url(`/api/jobs/${unknown}?token=${token}`))).status).toBe(404);
    expect((await fetch(platform.url(`/api/jobs/not-a-uuid?token=${token}`))).status).toBe(404);
  });

  it('answer a poll that sends the ETag it has with 304 while nothing changed (status, summary), fetch() too', async () => {
    // fetch() adds Cache-Control: no-cache to a request that sets If-None-Match (the Fetch standard), which Express's
    // own 304 took as "not fresh": a browser or Node client polling this way always got the whole body again.
    for (const p of [`/api/jobs/${id}?token=${token}`, `/api/jobs/${id}/summary?token=${token}`]) {
      const first = await fetch(platform.url(p));
      const etag = first.headers.get('etag');
      expect(etag, p).toMatch(/^W\/"/);
      const again = await fetch(platform.url(p), { headers: { 'if-none-match': etag! } });
      expect(again.status, p).toBe(304);
      expect(await again.text()).toBe('');
      const stale = await fetch(platform.url(p), { headers: { 'if-none-match': 'W/"0-stale"' } });
      expect(stale.status, p).toBe(200);
    }
  });

  it('reports the status document of the contract', async () => {
    const job = await (await fetch(platform.url(`/api/jobs/${id}?token=${token}`))).json();
    expect(job).toMatchObject({
      id,
      status: 'succeeded',
      model: { name: 'iris-logreg', version: 1 },
      rows: { total: 150, processed: 150, failed: 0 },
      error: null,
    });
    for (const k of ['createdAt', 'startedAt', 'finishedAt']) expect(Number.isNaN(Date.parse(job[k])), k).toBe(false);
  });
});

describe('client mistakes', () => {
  it('no file is a 400', async () => {
    const form = new FormData();
    form.set('model', 'iris-logreg');
    const res = await fetch(platform.url('/api/jobs'), { method: 'POST', body: form });
    expect(res.status).toBe(400);
    const e = await errorOf(res);
    expect(e.code).toBe('no_file');
    expect(e.message).toMatch(/^No file was uploaded: choose a data file to score/); // the HTML form says it in its own words (routes/pages.ts)
  });

  it('an unknown model is a 422 that lists the models', async () => {
    const before = await uploadsLeft();
    const res = await submit(platform, 'iris.csv', { model: 'no-such-model' });
    expect(res.status).toBe(422);
    const e = await errorOf(res);
    expect(e.code).toBe('unknown_model');
    expect(e.message).toContain('iris-logreg');
    expect(await uploadsLeft()).toEqual(before);
  });

  it('an image named .csv is refused as not a CSV', async () => {
    const before = await uploadsLeft();
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2000, 7)]);
    const res = await submit(platform, png, { filename: 'photo.csv' });
    expect(res.status).toBe(415);
    expect((await errorOf(res)).code).toBe('binary_file');
    expect(await uploadsLeft()).toEqual(before);
  });

  it('missing columns are a 422 that names every one', async () => {
    const before = await uploadsLeft();
    const csv = 'sepal_length,petal_length\n5.1,1.4\n';
    const res = await submit(platform, Buffer.from(csv), { model: 'iris-logreg' });
    expect(res.status).toBe(422);
    const e = await errorOf(res);
    expect(e.code).toBe('missing_columns');
    expect(e.message).toContain('sepal_width');
    expect(e.message).toContain('petal_width');
    expect(await uploadsLeft()).toEqual(before);
  });

  it('an empty file and a header-only file are refused', async () => {
    const empty = await submit(platform, Buffer.alloc(0));
    expect(empty.status).toBe(422);
    expect((await errorOf(empty)).code).toBe('empty_file');
    const headerOnly = await submit(platform, Buffer.from('sepal_length,sepal_width,petal_length,petal_width\n'));
    expect(headerOnly.status).toBe(422);
    expect((await errorOf(headerOnly)).code).toBe('no_rows');
  });

  it('a misspelt form field is refused, not ignored (the default model, no email)', async () => {
    const before = await uploadsLeft();
    for (const [field, value] of [
      ['modle', 'iris-logreg'],
      ['emial', 'someone@example.com'],
    ]) {
      const form = new FormData();
      form.set(field!, value!);
      form.set('file', new Blob([await readFile(path.join(examples, 'data/iris.csv'))]), 'iris.csv');
      const res = await fetch(platform.url('/api/jobs'), { method: 'POST', body: form });
      expect(res.status, field).toBe(422);
      const e = await errorOf(res);
      expect(e.code).toBe('unknown_field');
      expect(e.message).toContain(`"${field}"`);
    }
    expect(await uploadsLeft()).toEqual(before);
  });

  it('a form field sent twice is refused, saying to send it once (an upload and a model registration), storing nothing', async () => {
    const before = await uploadsLeft();
    const form = new FormData();
    form.append('model', 'iris-logreg');
    form.append('model', 'diabetes-gbr');
    form.set('file', new Blob([await readFile(path.join(examples, 'data/iris.csv'))]), 'iris.csv');
    const upload = await fetch(platform.url('/api/jobs'), { method: 'POST', body: form });
    expect(upload.status).toBe(422);
    expect(await errorOf(upload)).toMatchObject({ code: 'invalid_model', message: 'Send "model" once: this form has it 2 times.' });
    expect(await uploadsLeft()).toEqual(before);

    const model = new FormData();
    model.append('name', 'twice-a');
    model.append('name', 'twice-b');
    model.set('file', new Blob([await readFile(path.join(examples, 'models/iris-logreg.onnx'))]), 'iris.onnx');
    const registration = await fetch(platform.url('/api/models'), {
      method: 'POST',
      body: model,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(registration.status).toBe(422);
    expect((await errorOf(registration)).message).toBe('Send "name" once: this form has it 2 times.');
    for (const name of ['twice-a', 'twice-b']) expect((await fetch(platform.url(`/api/models/${name}`))).status).toBe(404);
  });

  it('a delimiter or decimal that is not one of the choices is a 422 naming the field, the value sent and the choices, storing nothing', async () => {
    const before = await uploadsLeft();
    for (const [field, value, accepted] of [
      ['delimiter', 'ab', /, ; \| or a tab .*comma, semicolon, pipe, tab.*"auto"/],
      ['decimal', 'x', /\. or , .*point, comma.*"auto"/],
    ] as const) {
      const form = new FormData();
      form.set(field, value);
      form.set('file', new Blob([await readFile(path.join(examples, 'data/iris.csv'))]), 'iris.csv');
      const res = await fetch(platform.url('/api/jobs'), { method: 'POST', body: form });
      expect(res.status, field).toBe(422);
      const e = await errorOf(res);
      expect(e.code).toBe(`invalid_${field}`);
      expect(e.message).toMatch(new RegExp(`^"${field}" must be `));
      expect(e.message).toMatch(accepted);
      expect(e.message).toContain(`"${value}" was sent`);
      expect(e.message).not.toContain('expected one of');
    }
    const twice = new FormData();
    twice.append('delimiter', ';');
    twice.append('delimiter', ',');
    twice.set('file', new Blob([await readFile(path.join(examples, 'data/iris.csv'))]), 'iris.csv');
    const res = await fetch(platform.url('/api/jobs'), { method: 'POST', body: twice });
    expect(res.status).toBe(422);
    expect(await errorOf(res)).toMatchObject({ code: 'invalid_delimiter', message: 'Send "delimiter" once: this form has it 2 times.' });
    expect(await uploadsLeft()).toEqual(before);
  });

  /** Registers the example iris model as an admin with these form fields besides the file. */
  async function registerIris(fields: Record<string, string>): Promise<Response> {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.set(k, v);
    form.set('file', new Blob([await readFile(path.join(examples, 'models/iris-logreg.onnx'))]), 'iris.onnx');
    return fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  }

  it('a NUL character in a value the server stores (a model description) is a 400 saying so, storing nothing (was a 500)', async () => {
    const res = await registerIris({ name: 'iris-nul', description: 'a\u0000b' });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({
      code: 'invalid_text',
      message:
        'A value in this request holds a NUL character (U+0000), which batchcast cannot store: remove it and send the request again.',
    });
    expect((await fetch(platform.url('/api/models/iris-nul'))).status).toBe(404);
  });

  it('a model description longer than 2,000 characters is refused, naming the field', async () => {
    const res = await registerIris({ name: 'long-description', description: 'x'.repeat(2001) });
    expect(res.status).toBe(422);
    const e = await errorOf(res);
    expect(e.code).toBe('invalid_description');
    expect(e.message).toContain('2,000');
    expect((await fetch(platform.url('/api/models/long-description'))).status).toBe(404);
  });

  it('a model description or a key name holding a text-direction override or a control character is refused, saying which', async () => {
    // Shown to everyone on the home page: U+202E made "5.1 cm" display as "mc 1.5".
    const res = await registerIris({ name: 'bidi-description', description: 'petals in \u202e5.1 cm' });
    expect(res.status).toBe(422);
    expect(await errorOf(res)).toEqual({
      code: 'invalid_description',
      message:
        'A model\'s "description" holds U+202E at character 11, a control or text-direction character that would make it display otherwise than it reads: leave it out.',
    });
    expect((await fetch(platform.url('/api/models/bidi-description'))).status).toBe(404);
    const key = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'crm\u0007sync', scopes: ['jobs:read'] }),
    });
    expect(key.status).toBe(422);
    expect((await errorOf(key)).message).toContain('holds U+0007 at character 4');
    // Right-to-left text itself, line breaks and tabs are text like any other.
    expect((await registerIris({ name: 'rtl-description', description: 'سوسن\tiris\nline two' })).status).toBe(201);
  });

  it('a model registration with a field it does not take ("feature" for "features") is refused, registering nothing', async () => {
    const res = await registerIris({ name: 'misspelt-fields', feature: 'd,c,b,a' });
    expect(res.status).toBe(422);
    const e = await errorOf(res);
    expect(e.code).toBe('unknown_field');
    expect(e.message).toContain('"feature"');
    expect((await fetch(platform.url('/api/models/misspelt-fields'))).status).toBe(404);
  });

  it('"Email me my links" with a field it does not take is refused; a real-time request naming a model in its body too', async () => {
    const links = await fetch(platform.url('/api/links'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'someone@example.com', emial: 'x' }),
    });
    expect(links.status).toBe(422);
    expect((await errorOf(links)).code).toBe('unknown_field');
    // The rows were scored by iris-logreg (the URL's) while the client asked for another model in the body.
    const predicted = await fetch(platform.url('/api/models/iris-logreg/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'diabetes-gbr', rows: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }] }),
    });
    expect(predicted.status).toBe(422);
    const e = await errorOf(predicted);
    expect(e.code).toBe('unknown_field');
    expect(e.message).toContain('The model is the one the URL names');
  });

  it('the results of a job not ended yet are a 409 with Retry-After; of a cancelled job, without', async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    // Scoring paused (bull-board's API), so the job stays queued.
    expect((await fetch(platform.url('/admin/queues/api/queues/score/pause'), { method: 'PUT', headers: admin })).status).toBe(200);
    try {
      const job = await (await submit(platform, 'iris.csv')).json();
      const early = await fetch(platform.url(job.links.results));
      expect(early.status).toBe(409);
      expect(early.headers.get('retry-after')).toBe('5');
      expect((await errorOf(early)).message).toContain('not available yet');
      expect((await fetch(platform.url(job.links.self.replace('?', '/cancel?')), { method: 'POST' })).status).toBe(200);
      const cancelled = await fetch(platform.url(job.links.results));
      expect(cancelled.status).toBe(409);
      expect(cancelled.headers.get('retry-after')).toBeNull();
      // Final, and said so: not `not_ready`, which tells a client to wait.
      const why = await errorOf(cancelled);
      expect(why.code).toBe('job_cancelled');
      expect(why.message).toMatch(/^The job was cancelled: it has no results .*Upload the file again/);
    } finally {
      await fetch(platform.url('/admin/queues/api/queues/score/resume'), { method: 'PUT', headers: admin });
    }
  });

  it('a key at its concurrent-jobs quota is a 429 that says when to ask again (Retry-After), as every 429 does', async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const created = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'one-job', scopes: ['jobs:write'], limits: { concurrentJobs: 1 } }),
    });
    const apiKey = (await created.json()).key as string;
    // Scoring paused (bull-board's API), so the first job stays queued and counts.
    expect((await fetch(platform.url('/admin/queues/api/queues/score/pause'), { method: 'PUT', headers: admin })).status).toBe(200);
    try {
      const send = () => {
        const form = new FormData();
        form.set('model', 'iris-logreg');
        form.set(
          'file',
          fileBlob(Buffer.from('sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n'), 'text/csv'),
          'one.csv',
        );
        return fetch(platform.url('/api/jobs'), { method: 'POST', body: form, headers: { authorization: `Bearer ${apiKey}` } });
      };
      expect((await send()).status).toBe(202);
      const over = await send();
      expect(over.status).toBe(429);
      expect((await errorOf(over)).code).toBe('quota_exceeded');
      expect(over.headers.get('retry-after')).toBe('60');
    } finally {
      await fetch(platform.url('/admin/queues/api/queues/score/resume'), { method: 'PUT', headers: admin });
    }
  });

  it('a sample asked for a version that is not a number is a 400 saying so, not "no such model"', async () => {
    for (const v of ['abc', '-1', '0', '1.5']) {
      const res = await fetch(platform.url(`/models/iris-logreg/sample.csv?version=${v}`));
      expect(res.status, v).toBe(400);
      expect((await errorOf(res)).code).toBe('invalid_version');
    }
    expect((await fetch(platform.url('/models/iris-logreg/sample.csv?version=9'))).status).toBe(404);
    expect((await fetch(platform.url('/models/iris-logreg/sample.csv?version=1'))).status).toBe(200);
  });

  it('a bad email address is a 400', async () => {
    const res = await submit(platform, 'iris.csv', { email: 'not an address\r\nBcc: x@y.z' });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('invalid_email');
    // A domain without a dot: mail to it can never arrive on the internet.
    const dotless = await submit(platform, 'iris.csv', { email: 'bob@example' });
    expect(dotless.status).toBe(400);
    const error = await errorOf(dotless);
    expect(error).toMatchObject({ code: 'invalid_email', field: 'email' });
    expect(error.message).toMatch(/^"email": "bob@example" is not an e-mail address we can send to: its domain "example"/);
  });

  it('says each mistake with one code and one status on every endpoint: malformed JSON, an email that is not an address', async () => {
    const post = (p: string, body: string, headers: Record<string, string> = {}) =>
      fetch(platform.url(p), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    for (const [p, body, headers] of [
      ['/api/links', '{"email":', {}],
      ['/api/keys', '{"name":', { authorization: `Bearer ${ADMIN_TOKEN}` }],
      ['/api/models/iris-logreg/predict', '{"rows":[', {}],
    ] as const) {
      const res = await post(p, body, headers);
      expect([res.status, (await errorOf(res)).code], p).toEqual([400, 'malformed_json']);
    }
    for (const email of ['bob@example', ['a@example.com'], 42, '']) {
      const res = await post('/api/links', JSON.stringify({ email }), { 'x-forwarded-for': '198.51.100.7' });
      expect([res.status, (await errorOf(res)).code], JSON.stringify(email)).toEqual([400, 'invalid_email']);
    }
  });

  it('OPTIONS and a 405 list the same methods for every documented path: the ones the document gives it', async () => {
    const doc = (await (await fetch(platform.url('/api/openapi.json'))).json()) as { paths: Record<string, Record<string, unknown>> };
    // Not the mounts, whose files and bull-board's API are middleware, not routes.
    const paths = Object.entries(doc.paths).filter(([p]) => !/^\/(admin\/queues|static)\//.test(`${p}/`));
    expect(paths.length).toBeGreaterThan(30);
    for (const [template, item] of paths) {
      const methods = Object.keys(item)
        .filter((k) => k !== 'description')
        .map((m) => m.toUpperCase());
      const expected = [...new Set([...methods, ...(methods.includes('GET') ? ['HEAD'] : [])])].sort().join(', ');
      const p = template.replace('{id}', '00000000-0000-4000-8000-000000000000').replace(/\{[^}]+\}/g, 'iris-logreg');
      const options = await fetch(platform.url(p), { method: 'OPTIONS' });
      expect([options.status, options.headers.get('allow')], `OPTIONS ${p}`).toEqual([200, expected]);
      const put = await fetch(platform.url(p), { method: 'PUT' });
      expect([put.status, put.headers.get('allow')], `PUT ${p}`).toEqual([405, expected]);
    }
  });

  it('unknown paths are JSON 404s', async () => {
    const res = await fetch(platform.url('/api/nothing-here'));
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('not_found');
  });
});

describe('the HTTP surface', () => {
  it('a known path asked with another method is a 405 naming the methods in Allow', async () => {
    for (const [method, p, allow] of [
      ['PUT', '/api/jobs', 'GET, HEAD, POST'],
      ['GET', '/api/models/iris-logreg/predict', 'POST'],
      ['PUT', '/api/models/iris-logreg', 'DELETE, GET, HEAD'],
      ['POST', '/api/keys/00000000-0000-4000-8000-000000000000', 'DELETE, GET, HEAD, PATCH'],
    ] as const) {
      const res = await fetch(platform.url(p), { method });
      expect(res.status, `${method} ${p}`).toBe(405);
      expect(res.headers.get('allow'), `${method} ${p}`).toBe(allow);
      const e = await errorOf(res);
      expect(e.code).toBe('method_not_allowed');
      expect(e.message).toContain(allow);
    }
    expect((await fetch(platform.url('/api/nothing-here'), { method: 'PUT' })).status).toBe(404);
  });

  it("an unknown model or key is a 404 that names it, without a job link's advice about tokens", async () => {
    for (const [p, what] of [
      ['/api/models/no-such-model', 'There is no model "no-such-model". Available: '],
      ['/api/keys/00000000-0000-4000-8000-000000000000', 'No such API key'],
    ] as const) {
      const res = await fetch(platform.url(p), { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.status, p).toBe(404);
      const e = await errorOf(res);
      expect(e.message).toContain(what);
      expect(e.message).not.toContain('token');
      if (p.startsWith('/api/models/')) expect(e.code).toBe('model_not_found'); // as predict and DELETE answer
    }
  });

  it('a job list filtered by a state that does not exist names the parameter and the states', async () => {
    const created = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'contract-list', scopes: ['jobs:read'] }),
    });
    const { key } = await created.json();
    for (const status of ['bogus', 'queued,running', '']) {
      const res = await fetch(platform.url(`/api/jobs?status=${status}`), { headers: { authorization: `Bearer ${key}` } });
      expect(res.status, status).toBe(422);
      const e = await errorOf(res);
      expect(e.code).toBe('invalid_status');
      expect(e.message).toBe('"status" is one of receiving, queued, running, succeeded, failed, cancelled (one state per request).');
    }
    // "limit" is digits: what Number() would also read ("0x10" is 16, "1e1" is 10) is refused, not guessed.
    for (const limit of ['0x10', '1e1', '%205', '5.0', '0', '101']) {
      const res = await fetch(platform.url(`/api/jobs?limit=${limit}`), { headers: { authorization: `Bearer ${key}` } });
      expect(res.status, limit).toBe(422);
      expect((await errorOf(res)).code).toBe('invalid_limit');
    }
    expect((await fetch(platform.url('/api/jobs?limit=100'), { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
  });

  it('a query parameter an API endpoint does not take is refused (422 unknown_parameter), not ignored', async () => {
    const created = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'contract-query', scopes: ['jobs:read', 'jobs:write', 'webhooks:write'] }),
    });
    const auth = { authorization: `Bearer ${(await created.json()).key}` };
    const job = await (await submit(platform, 'iris.csv')).json();
    const token = new URL(job.links.self, platform.baseUrl).searchParams.get('token')!;
    for (const [method, p, named, takes] of [
      ['GET', '/api/jobs?stauts=failed', '"stauts"', '"limit", "cursor", "status"'],
      ['GET', '/API/Jobs/?stauts=failed', '"stauts"', '"limit", "cursor", "status"'],
      ['GET', '/api/jobs?limit=5&page=2', '"page"', '"limit", "cursor", "status"'],
      ['GET', `/api/jobs/${job.id}?token=${token}&verbose=1`, '"verbose"', '"token"'],
      ['HEAD', `/api/jobs/${job.id}/results.csv?token=${token}&format=parquet`, null, null],
      ['GET', `/api/jobs/${job.id}/results?token=${token}&format=parquet`, '"format"', '"token"'],
      ['GET', `/api/jobs/${job.id}/summary?token=${token}&rows=100`, '"rows"', '"token"'],
      ['POST', `/api/jobs/${job.id}/cancel?token=${token}&force=1`, '"force"', '"token"'],
      ['GET', '/api/models?name=iris-logreg', '"name"', 'it takes none'],
      ['GET', '/models/iris-logreg/sample.csv?verison=1', '"verison"', '"version"'],
      ['GET', '/api/webhooks/00000000-0000-4000-8000-000000000000/deliveries?limt=5', '"limt"', '"limit", "cursor"'],
    ] as const) {
      const res = await fetch(platform.url(p), { method, headers: auth });
      expect(res.status, `${method} ${p}`).toBe(422);
      if (method === 'HEAD') continue;
      const e = await errorOf(res);
      expect(e.code).toBe('unknown_parameter');
      expect(e.message).toContain(named!);
      expect(e.message).toContain(takes!);
    }
    // An upload's fields go in the body: one put in the query (the model) is not taken as meant.
    const form = new FormData();
    form.set('file', new Blob([await readFile(path.join(examples, 'data/iris.csv'))]), 'iris.csv');
    const upload = await fetch(platform.url('/api/jobs?model=iris-logreg'), { method: 'POST', body: form });
    expect(upload.status).toBe(422);
    expect((await errorOf(upload)).code).toBe('unknown_parameter');
    // The parameters an endpoint takes still work, and pages opened from a link keep their tolerance.
    expect((await fetch(platform.url('/api/jobs?status=failed&limit=5'), { headers: auth })).status).toBe(200);
    expect((await fetch(platform.url(`/jobs/${job.id}?token=${token}&utm_source=email`))).status).toBe(200);
    expect((await fetch(platform.url('/?ref=docs'))).status).toBe(200);
    // An unknown path is still a 404, and a method a path does not take a 405, whatever the query.
    expect((await fetch(platform.url('/api/nothing-here?x=1'))).status).toBe(404);
    expect((await fetch(platform.url('/api/models?x=1'), { method: 'DELETE' })).status).toBe(405);
  });

  it('a misspelt field of a JSON body is refused (422 unknown_field), not ignored with a 200', async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const created = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: 'contract-fields', scopes: ['jobs:read'] }),
    });
    const { id } = await created.json();
    for (const [body, named] of [
      [{ limit: { rowsPerDay: 5 } }, '"limit"'],
      [{ limits: { rowsperday: 5 } }, '"limits.rowsperday"'],
    ] as const) {
      const res = await fetch(platform.url(`/api/keys/${id}`), { method: 'PATCH', headers: admin, body: JSON.stringify(body) });
      expect(res.status).toBe(422);
      const e = await errorOf(res);
      expect(e.code).toBe('unknown_field');
      expect(e.message).toContain(named);
    }
    const key = await (await fetch(platform.url(`/api/keys/${id}`), { headers: admin })).json();
    expect(key.limits.rowsPerDay).toBeNull();
    const res = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: 'contract-typo', scopes: ['jobs:read'], limit: { concurrentJobs: 1 } }),
    });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).code).toBe('unknown_field');
  });

  it('a path whose percent-encoding cannot be decoded is a 400, not a 500', async () => {
    // Paths no route matches too: they were a 404, as if the path had decoded.
    for (const p of ['/api/models/%ZZ', '/api/jobs/%E0%A4%A?token=x', '/api/%zz', '/%zz', '/static/%zz']) {
      const res = await fetch(platform.url(p));
      expect(res.status, p).toBe(400);
      expect((await errorOf(res)).code).toBe('malformed_url');
    }
    const nothing = await fetch(platform.url('/api/nothing-here'));
    expect(nothing.status).toBe(404);
    expect(await errorOf(nothing)).toMatchObject({ code: 'not_found', message: 'Nothing at GET /api/nothing-here.' });
  });

  it('a 401 says how to authenticate (WWW-Authenticate)', async () => {
    const none = await fetch(platform.url('/api/jobs'));
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="batchcast"');
    const wrong = await fetch(platform.url('/api/jobs'), { headers: { authorization: 'Bearer bck_notakey' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="batchcast", error="invalid_token"');
  });

  it('an upload whose bearer is not an API key is refused, not taken as anonymous', async () => {
    const before = await uploadsLeft();
    const form = new FormData();
    form.set('file', fileBlob(await readFile(path.join(examples, 'data/iris.csv'))), 'iris.csv');
    const res = await fetch(platform.url('/api/jobs'), {
      method: 'POST',
      body: form,
      headers: { authorization: 'Bearer r49z6xdNLfWtvG7jCPaPUm' },
    });
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe('invalid_api_key');
    // Nor a key in another scheme, or an empty bearer: each would otherwise make a job of no key.
    for (const authorization of [
      'Token bck_r49z6xdNLfWtvG7jCPaPUm',
      `Basic ${Buffer.from('bck_abc:').toString('base64')}`,
      'Bearer',
      'Bearer ',
    ]) {
      const other = await fetch(platform.url('/api/jobs'), { method: 'POST', body: form, headers: { authorization } });
      expect(other.status, authorization).toBe(401);
      const e = await errorOf(other);
      expect(e.code).toBe('invalid_api_key');
      expect(e.message).toContain('Authorization');
    }
    expect(await uploadsLeft()).toEqual(before);
    // The Basic credentials a password-protecting proxy has the browser send still upload (anonymously).
    const proxied = await fetch(platform.url('/api/jobs'), {
      method: 'POST',
      body: form,
      headers: { authorization: `Basic ${Buffer.from('team:secret').toString('base64')}` },
    });
    expect(proxied.status).toBe(202);
  });

  it('keeps a file name in UTF-8 as it was sent', async () => {
    const res = await submit(platform, 'iris.csv', { filename: 'données ✓ 数据.csv' });
    expect(res.status).toBe(202);
    const job = await waitForEnd(platform, (await res.json()).links.self);
    expect(job.filename).toBe('données ✓ 数据.csv');
    // Downloads keep the name's letters too (filename*), with an ASCII filename= for old clients.
    const results = await fetch(platform.url(job.links.results));
    expect(results.headers.get('content-disposition')).toBe(
      `attachment; filename="donn_es___-predictions.csv"; filename*=UTF-8''donn%C3%A9es_%E6%95%B0%E6%8D%AE-predictions.csv`,
    );
    const errors = await fetch(platform.url(job.links.results.replace('results.csv', 'errors.csv')));
    expect(errors.headers.get('content-disposition')).toContain(`filename*=UTF-8''donn%C3%A9es_%E6%95%B0%E6%8D%AE-errors.csv`);
  });

  it('a JSON endpoint sent another content type is a 415 saying so, not a missing field', async () => {
    const links = await fetch(platform.url('/api/links'), {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"email":"a@example.com"}',
    });
    expect(links.status).toBe(415);
    expect((await errorOf(links)).code).toBe('unsupported_content_type');
    const key = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: '{"name":"crm","scopes":["jobs:read"]}',
    });
    expect(key.status).toBe(415);
    expect((await errorOf(key)).message).toContain('application/json');
  });
});

describe('real-time requests', () => {
  const predict = (body: unknown) =>
    fetch(platform.url('/api/models/iris-logreg/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('no rows answer no predictions', async () => {
    const res = await predict({ rows: [] });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ model: { name: 'iris-logreg', version: 1 }, predictions: [] });
  });

  it('keys spelled two ways (ignoring case) are refused as a JSON Lines upload is, never read as a missing value', async () => {
    const row = { sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };
    const res = await predict({
      rows: [
        { sepal_length: 5.1, ...row },
        { SEPAL_LENGTH: 5.1, ...row },
      ],
    });
    expect(res.status).toBe(422);
    const e = await errorOf(res);
    expect(e.code).toBe('duplicate_column');
    expect(e.message).toBe(
      'rows[1] has the key "SEPAL_LENGTH" and rows[0] has "sepal_length": names are compared ignoring case, ' +
        'so they would be the same column; use one spelling.',
    );
    // One spelling on every row, whatever its case, is the model's column.
    const upper = await predict({
      rows: [
        { SEPAL_LENGTH: 5.1, ...row },
        { SEPAL_LENGTH: 6.1, ...row },
      ],
    });
    expect(upper.status).toBe(200);
    const body = (await upper.json()) as { predictions: { error?: string }[] };
    expect(body.predictions).toHaveLength(2);
    expect(body.predictions.every((p) => p.error === undefined)).toBe(true);
  });

  it('a file sent to the real-time endpoint is told to be JSON or a batch job', async () => {
    const csv = await readFile(path.join(examples, 'data/iris.csv'));
    const res = await fetch(platform.url('/api/models/iris-logreg/predict'), {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csv,
    });
    expect(res.status).toBe(415);
    const e = await errorOf(res);
    expect(e.code).toBe('unsupported_content_type');
    expect(e.message).toContain('POST /api/jobs');
    // JSON under another type (curl -d sends application/x-www-form-urlencoded) is still read.
    const form = await fetch(platform.url('/api/models/iris-logreg/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '{"rows":[{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}]}',
    });
    expect(form.status).toBe(200);
  });

  it('a version written as the pages show it ("v1") is that version; a name of other case or a typo gets the name meant', async () => {
    const predict = (ref: string) =>
      fetch(platform.url(`/api/models/${ref}/predict`), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"rows":[{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}]}',
      });
    const v1 = await predict('iris-logreg@v1');
    expect(v1.status).toBe(200);
    expect((await v1.json()).model).toMatchObject({ name: 'iris-logreg', version: 1 });
    const upload = await submit(platform, 'iris.csv', { model: 'iris-logreg@v1' });
    expect(upload.status).toBe(202);
    await waitForEnd(platform, (await upload.json()).links.self);
    for (const [ref, meant] of [
      ['Iris-Logreg', '"Iris-Logreg". Did you mean "iris-logreg"? (model names are lowercase) Available: '],
      ['iris_logreg@v1', '"iris_logreg@v1". Did you mean "iris-logreg@v1"? Available: '],
      ['iris-logrge', '"iris-logrge". Did you mean "iris-logreg"? Available: '],
    ]) {
      // The model is the address's resource: 404, as GET /api/models/:name and DELETE answer (an upload's field: 422).
      const res = await predict(ref!);
      expect(res.status, ref).toBe(404);
      const e = await errorOf(res);
      expect(e.code).toBe('model_not_found');
      expect(e.message).toContain(`There is no model ${meant}`);
    }
    expect((await errorOf(await predict('xyz'))).message).not.toContain('Did you mean');
  });

  it('a version the model does not have is named as such, with the versions it has', async () => {
    for (const url of ['/api/models/iris-logreg@9/predict']) {
      const res = await fetch(platform.url(url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"rows":[]}' });
      expect(res.status).toBe(404);
      const e = await errorOf(res);
      expect(e.code).toBe('model_not_found');
      expect(e.message).toBe('Model "iris-logreg" has no version 9; its versions are 1 (leave out "@9" for the latest).');
    }
    const upload = await submit(platform, 'iris.csv', { model: 'iris-logreg@2' });
    expect(upload.status).toBe(422);
    expect((await errorOf(upload)).message).toMatch(/^Model "iris-logreg" has no version 2; its versions are 1/);
    // Beyond PostgreSQL's integer (was a 500), and what Number() alone would read as a version ("1e3" as 1000).
    const huge = await submit(platform, 'iris.csv', { model: 'iris-logreg@2147483648' });
    expect(huge.status).toBe(422);
    expect((await errorOf(huge)).message).toMatch(/^Model "iris-logreg" has no version 2147483648; its versions are 1/);
    for (const ref of ['iris-logreg@99999999999999999999', 'iris-logreg@1e3', 'iris-logreg@0x1', 'iris-logreg@1@1']) {
      const res = await fetch(platform.url(`/api/models/${ref}/predict`), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"rows":[]}',
      });
      expect(res.status, ref).toBe(404);
      expect((await errorOf(res)).code, ref).toBe('model_not_found');
    }
  });

  it('GET /api/models/name@version answers that version, as predict, DELETE and an upload take it; /versions/N too', async () => {
    const latest = (await (await fetch(platform.url('/api/models/iris-logreg'))).json()) as { latest: { version: number } };
    for (const p of ['/api/models/iris-logreg@1', '/api/models/iris-logreg@v1', '/api/models/iris-logreg/versions/1']) {
      const res = await fetch(platform.url(p));
      expect(res.status, p).toBe(200);
      expect(await res.json(), p).toEqual(latest.latest);
    }
    for (const [p, said] of [
      ['/api/models/iris-logreg@9', 'Model "iris-logreg" has no version 9; its versions are 1'],
      ['/api/models/iris-logreg/versions/9', 'Model "iris-logreg" has no version 9; its versions are 1'],
      ['/api/models/iris-logreg@x', 'is not a model reference: use a name, or name@version'],
      ['/api/models/iris-logrge@1', 'Did you mean "iris-logreg@1"?'],
    ] as const) {
      const res = await fetch(platform.url(p));
      expect(res.status, p).toBe(404);
      const e = await errorOf(res);
      expect(e.code, p).toBe('model_not_found');
      expect(e.message, p).toContain(said);
    }
  });

  it('a missing column is named in the words of a request, not of a CSV file', async () => {
    const res = await predict({ rows: [{ sepal_length: 5.1, sepal_width: 3.5 }] });
    expect(res.status).toBe(422);
    const e = await errorOf(res);
    expect(e.code).toBe('missing_columns');
    expect(e.message).toMatch(
      /^The request is missing 2 columns the model needs: petal_length, petal_width\. Add them as keys of the rows/,
    );
    expect(e.message).not.toMatch(/CSV|file/);
  });
});

describe('the HTML form', () => {
  it('offers the fields of the contract', async () => {
    const html = await (await fetch(platform.url('/'))).text();
    expect(html).toMatch(/<form[^>]+action="\/jobs"/);
    expect(html).toMatch(/<select name="model" id="model-input">/);
    expect(html).toMatch(/<input type="file" name="file"/);
    expect(html).toMatch(/<input name="email"/);
    expect(html).toMatch(/<button type="submit"/);
    for (const m of ['iris-logreg', 'diabetes-gbr', 'digits-mlp']) expect(html).toContain(`value="${m}@1"`);
  });

  it('answers 303 to the job page on success', async () => {
    const form = new FormData();
    form.set('model', 'iris-logreg');
    form.set('file', new Blob([await readFile(path.join(examples, 'data/iris.csv'))]), 'iris.csv');
    const res = await fetch(platform.url('/jobs'), { method: 'POST', body: form, redirect: 'manual' });
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/^\/jobs\/[0-9a-f-]{36}\?token=/);
    const page = await fetch(platform.url(location));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('iris.csv');
  });

  it('shows the form again with the message when refused', async () => {
    const form = new FormData();
    form.set('model', 'iris-logreg');
    form.set('file', new Blob(['a,b\n1,2\n']), 'wrong.csv');
    const res = await fetch(platform.url('/jobs'), { method: 'POST', body: form, redirect: 'manual' });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain('sepal_length');
    expect(html).toMatch(/<form[^>]+action="\/jobs"/);
  });
});

describe('/healthz', () => {
  it('is 200 when PostgreSQL and Redis answer', async () => {
    const res = await fetch(platform.url('/healthz'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
  });
});
