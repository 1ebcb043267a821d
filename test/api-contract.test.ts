import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submit, waitForEnd } from './support/http.js';
import { examples, Platform } from './support/platform.js';

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
    expect(e.message).toMatch(/^No file was uploaded: choose a data file to score/); // the HTML form shows it too
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

  it('a bad email address is a 400', async () => {
    const res = await submit(platform, 'iris.csv', { email: 'not an address\r\nBcc: x@y.z' });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('invalid_email');
  });

  it('unknown paths are JSON 404s', async () => {
    const res = await fetch(platform.url('/api/nothing-here'));
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('not_found');
  });
});

describe('the HTML form', () => {
  it('offers the fields of the contract', async () => {
    const html = await (await fetch(platform.url('/'))).text();
    expect(html).toMatch(/<form[^>]+action="\/jobs"/);
    expect(html).toMatch(/<select name="model">/);
    expect(html).toMatch(/<input type="file" name="file"/);
    expect(html).toMatch(/<input name="email"/);
    expect(html).toMatch(/<button type="submit"/);
    for (const m of ['iris-logreg', 'diabetes-gbr', 'digits-mlp']) expect(html).toContain(`value="${m}"`);
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
