import { readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileBlob } from './support/http.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_UPLOAD_BYTES_PER_SECOND, serverTimeouts } from '../apps/web/src/http/timeouts.js';
import { ADMIN_TOKEN, examples, Platform } from './support/platform.js';
import { until } from './support/faults.js';
import { answerToHeadersOnly, sendUntilAnswered } from './support/slow-upload.js';

/**
 * Limits and abuse: the upload size limit (413, nothing left on disk), multer's other limits (files,
 * fields, field sizes), an upload abandoned half-way, per-client-IP rate limits on job creation and
 * real-time predictions (429, the API's error shape, Retry-After), security headers, and timeouts sized
 * for the largest upload. Each test speaks as its own client IP (X-Forwarded-For, trusted only from
 * loopback), so the rate limits of one do not spill into another.
 */
const MAX_UPLOAD = 1024 * 1024;
const JOBS_PER_MINUTE = 5;
const PREDICT_PER_MINUTE = 10;
let platform: Platform;
let iris: Buffer;

beforeAll(async () => {
  platform = await new Platform({
    workers: 1,
    env: {
      MAX_UPLOAD_BYTES: String(MAX_UPLOAD),
      RATE_LIMIT_JOBS_PER_MINUTE: String(JOBS_PER_MINUTE),
      RATE_LIMIT_PREDICT_PER_MINUTE: String(PREDICT_PER_MINUTE),
    },
  }).start();
  iris = await readFile(path.join(examples, 'data/iris.csv'));
});
afterAll(async () => {
  await platform?.stop();
});

let nextClient = 1;
/** A fresh client address for the rate limiter. */
const client = () => ({ 'x-forwarded-for': `198.51.100.${nextClient++}` });
const uploads = () => readdir(path.join(platform.dataDir, 'uploads')).catch(() => [] as string[]);

/** A CSV of about `bytes` bytes that the iris model accepts. */
function irisOfSize(bytes: number): Buffer {
  const [header, ...rows] = iris.toString().trimEnd().split('\n');
  const out = [header];
  let size = header!.length + 1;
  for (let i = 0; size < bytes; i++) {
    const line = rows[i % rows.length]!;
    out.push(line);
    size += line.length + 1;
  }
  return Buffer.from(`${out.join('\n')}\n`);
}

function form(fields: [string, string | Blob, string?][]): FormData {
  const f = new FormData();
  for (const [k, v, name] of fields) {
    if (typeof v === 'string') f.append(k, v);
    else f.append(k, v, name);
  }
  return f;
}

async function post(body: FormData, headers: Record<string, string> = client()) {
  const res = await fetch(platform.url('/api/jobs'), { method: 'POST', body, headers });
  const text = await res.text();
  let json: { error?: { code: string; message: string } } = {};
  try {
    json = JSON.parse(text);
  } catch {
    // checked by the caller through the status
  }
  return { status: res.status, headers: res.headers, json, text };
}

describe('upload size', () => {
  it('refuses a file over MAX_UPLOAD_BYTES with 413 and leaves no partial file', async () => {
    const big = irisOfSize(MAX_UPLOAD * 1.5);
    const res = await post(
      form([
        ['model', 'iris-logreg'],
        ['file', fileBlob(big), 'big.csv'],
      ]),
    );
    expect(res.status, res.text).toBe(413);
    expect(res.json.error?.code).toBe('file_too_large');
    expect(res.json.error?.message).toMatch(/1 MiB/);
    expect(await uploads()).toEqual([]);
  });

  it('refuses a much larger upload (20 MiB) the same way and keeps serving', async () => {
    const res = await post(
      form([
        ['model', 'iris-logreg'],
        ['file', fileBlob(Buffer.alloc(20 * MAX_UPLOAD, 0x31)), 'huge.csv'],
      ]),
    );
    expect(res.status).toBe(413);
    expect(await uploads()).toEqual([]);
    expect((await fetch(platform.url('/healthz'))).status).toBe(200);
  });

  it('a chunked upload is refused as soon as its file passes the limit, not at its end; nothing is kept', async () => {
    const rows = irisOfSize(64 * 1024);
    const header = rows.subarray(0, rows.indexOf('\n') + 1);
    const PIECES = 256; // 16 MiB of rows, 16 times the limit
    const answer = await sendUntilAnswered(platform.url('/api/jobs'), {
      fieldsBefore: { model: 'iris-logreg' },
      head: header,
      piece: rows.subarray(header.length),
      pieces: PIECES,
      headers: { ...client(), accept: 'application/json' },
      holdEnd: true,
    });
    expect(answer.status, answer.body).toBe(413);
    const { error } = JSON.parse(answer.body) as { error: { code: string; message: string } };
    expect(error.code).toBe('file_too_large');
    expect(error.message).toMatch(/larger than the 1 MiB this server accepts.*Compress it .* or split it into smaller files/);
    expect(answer.ended).toBe(false);
    await until('the partial upload removed', async () => (await uploads()).length === 0, 10_000, 50);
  });

  it('a body whose Content-Length is past the limit is answered 413 before a byte of it is sent (API and form)', async () => {
    for (const [route, accept] of [
      ['/api/jobs', 'application/json'],
      ['/jobs', 'text/html'],
    ] as const) {
      const { status, body } = await answerToHeadersOnly(platform.port, route, { ...client(), accept }, 100 * MAX_UPLOAD);
      expect(status, route).toBe(413);
      expect(body, route).toMatch(/larger than the 1 MiB this server accepts/);
      if (accept === 'text/html') expect(body).toMatch(/<html/i);
      else expect(JSON.parse(body).error.code).toBe('file_too_large');
    }
    expect(await uploads()).toEqual([]);
  });

  it('accepts a file just under the limit', async () => {
    const ok = irisOfSize(MAX_UPLOAD - 4096);
    expect(ok.length).toBeLessThanOrEqual(MAX_UPLOAD);
    const res = await post(
      form([
        ['model', 'iris-logreg'],
        ['file', fileBlob(ok), 'ok.csv'],
      ]),
    );
    expect(res.status, res.text).toBe(202);
  });
});

describe('multer limits', () => {
  it('two files: 400, nothing kept', async () => {
    const before = await uploads();
    const res = await post(
      form([
        ['model', 'iris-logreg'],
        ['file', fileBlob(iris), 'a.csv'],
        ['file', fileBlob(iris), 'b.csv'],
      ]),
    );
    expect(res.status, res.text).toBe(400);
    expect(res.json.error?.code).toMatch(/^(too_many_files|unexpected_file)$/);
    expect(await uploads()).toEqual(before);
  });

  it('a file in another field: 400', async () => {
    const res = await post(
      form([
        ['model', 'iris-logreg'],
        ['attachment', fileBlob(iris), 'a.csv'],
      ]),
    );
    expect(res.status).toBe(400);
    expect(res.json.error?.code).toBe('unexpected_file');
  });

  it("too many fields: 400, naming the fields the form takes (an upload's, or a model registration's)", async () => {
    const fields: [string, string][] = Array.from({ length: 15 }, (_, i) => [`f${i}`, 'x']);
    const res = await post(form([...fields, ['file', fileBlob(iris), 'a.csv']]));
    expect(res.status, res.text).toBe(400);
    expect(res.json.error?.code).toBe('too_many_fields');
    expect(res.json.error?.message).toBe(
      'The form has too many fields: send only "file", "model", "email", "delimiter", "decimal", "header", "sheet", "encoding" and "idempotencyKey".',
    );
    // A model registration was told to send "model", "email", "delimiter"...: fields it refuses.
    const model = await fetch(platform.url('/api/models'), {
      method: 'POST',
      body: form([...fields, ['file', fileBlob(iris), 'm.onnx']]),
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const body = (await model.json()) as { error: { code: string; message: string } };
    expect(model.status, JSON.stringify(body)).toBe(400);
    expect(body.error).toMatchObject({
      code: 'too_many_fields',
      message: 'The form has too many fields: send only "file", "name", "features" and "description".',
    });
  });

  it('a field value too large: 400', async () => {
    const res = await post(
      form([
        ['model', 'iris-logreg'],
        ['email', `${'a'.repeat(100 * 1024)}@example.com`],
        ['file', fileBlob(iris), 'a.csv'],
      ]),
    );
    expect(res.status, res.text).toBe(400);
    expect(res.json.error?.code).toBe('field_too_large');
  });

  it('a field name too long: 400', async () => {
    const res = await post(
      form([
        ['n'.repeat(500), 'x'],
        ['file', fileBlob(iris), 'a.csv'],
      ]),
    );
    expect(res.status, res.text).toBe(400);
    expect(res.json.error?.code).toBe('field_name_too_long');
  });

  it('an upload abandoned half-way leaves no partial file', async () => {
    const before = await uploads();
    const boundary = 'xxBOUNDARYxx';
    const head = Buffer.from(
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="a.csv"\r\ncontent-type: text/csv\r\n\r\n`,
    );
    const req = http.request({
      host: '127.0.0.1',
      port: platform.port,
      method: 'POST',
      path: '/api/jobs',
      // Within the limit: a body declared larger is refused before it is read (see 'upload size').
      headers: { ...client(), 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': MAX_UPLOAD },
    });
    req.on('error', () => undefined);
    req.write(head);
    req.write(irisOfSize(256 * 1024));
    await until('the partial upload on disk', async () => (await uploads()).length > before.length, 10_000, 20);
    req.destroy(); // the client goes away mid-upload
    await until('the partial upload removed', async () => (await uploads()).length === before.length, 10_000, 50);
    expect(await uploads()).toEqual(before);
    expect((await fetch(platform.url('/healthz'))).status).toBe(200);
  });
});

describe('rate limits', () => {
  it(`job creation: ${JOBS_PER_MINUTE} a minute per client IP, then 429 with Retry-After`, async () => {
    const me = client();
    for (let i = 0; i < JOBS_PER_MINUTE; i++) {
      const res = await post(
        form([
          ['model', 'iris-logreg'],
          ['file', fileBlob(iris), 'a.csv'],
        ]),
        me,
      );
      expect(res.status, `upload ${i + 1}`).toBe(202);
    }
    const over = await post(
      form([
        ['model', 'iris-logreg'],
        ['file', fileBlob(iris), 'a.csv'],
      ]),
      me,
    );
    expect(over.status).toBe(429);
    expect(over.headers.get('content-type')).toMatch(/application\/json/);
    expect(over.json.error?.code).toBe('rate_limited');
    expect(over.json.error?.message).toMatch(/at most 5 a minute/);
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(over.headers.get('ratelimit-policy')).toMatch(/q=5; w=60/);
    // The HTML form counts against the same limit.
    const page = await fetch(platform.url('/jobs'), {
      method: 'POST',
      body: form([['file', fileBlob(iris), 'a.csv']]),
      headers: me,
      redirect: 'manual',
    });
    expect(page.status).toBe(429);
    // Another client is not affected.
    expect(
      (
        await post(
          form([
            ['model', 'iris-logreg'],
            ['file', fileBlob(iris), 'a.csv'],
          ]),
        )
      ).status,
    ).toBe(202);
    // Reading is not limited.
    for (let i = 0; i < 20; i++) expect((await fetch(platform.url('/api/models'), { headers: me })).status).toBe(200);
  });

  it(`real-time predictions: ${PREDICT_PER_MINUTE} a minute per client IP, then 429 with Retry-After`, async () => {
    const me = { ...client(), 'content-type': 'application/json' };
    const body = JSON.stringify({ rows: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }] });
    for (let i = 0; i < PREDICT_PER_MINUTE; i++) {
      const res = await fetch(platform.url('/api/models/iris-logreg/predict'), { method: 'POST', body, headers: me });
      expect(res.status, `request ${i + 1}`).toBe(200);
    }
    const over = await fetch(platform.url('/api/models/iris-logreg/predict'), { method: 'POST', body, headers: me });
    expect(over.status).toBe(429);
    const json = (await over.json()) as { error: { code: string; message: string } };
    expect(json.error.code).toBe('rate_limited');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    const other = await fetch(platform.url('/api/models/iris-logreg/predict'), {
      method: 'POST',
      body,
      headers: { ...client(), 'content-type': 'application/json' },
    });
    expect(other.status).toBe(200);
  });
});

describe('real-time request bodies held at once', () => {
  const MiB = 1024 * 1024;

  /**
   * A real-time request whose headers declare `length` bytes of body and whose body never comes: the server
   * holds its place until the socket closes. Resolves once the server answered "100 Continue", which Node
   * writes just before it hands the request to the app (whose checks then run before any later request).
   */
  async function heldRequest(length: number, from: string): Promise<net.Socket> {
    const socket = net.connect(Number(new URL(platform.baseUrl).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const continued = new Promise<void>((resolve, reject) => {
      socket.once('data', (d) => (d.toString().startsWith('HTTP/1.1 100') ? resolve() : reject(new Error(d.toString().slice(0, 300)))));
    });
    socket.write(
      `POST /api/models/iris-logreg/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n` +
        `X-Forwarded-For: ${from}\r\nExpect: 100-continue\r\n\r\n`,
    );
    await continued;
    return socket;
  }

  /** One iris row, padded with spaces to `bytes`: a valid body of that size. */
  const paddedBody = (bytes: number) => {
    const json = JSON.stringify({ rows: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }] });
    return json.slice(0, -1) + ' '.repeat(bytes - json.length) + json.slice(-1);
  };
  const predict = (from: string, body: string) =>
    fetch(platform.url('/api/models/iris-logreg/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
      body,
    });

  it('are bounded per client (429) and in all (503), before a byte of the body is read; other clients go on', async () => {
    // 30 bodies of 32 MB sent at once by one client held 1.1 GB of the web process: the rate limit counts per minute.
    const me = client()['x-forwarded-for'];
    const held = [await heldRequest(30_000_000, me), await heldRequest(30_000_000, me)];
    const third = await predict(me, paddedBody(20_000_000));
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('1');
    const refusal = (await third.json()) as { error: { code: string; message: string } };
    expect(refusal.error.code).toBe('too_many_at_once');
    expect(refusal.error.message).toMatch(/at most 64 MiB of request bodies are held for one client/);
    // A small request of the same client still fits, and another client is not held back.
    expect((await predict(me, paddedBody(1000))).status).toBe(200);
    expect((await predict(client()['x-forwarded-for'], paddedBody(20_000_000))).status).toBe(200);

    // Six more clients holding 32 MiB each: 252 MiB in all, and 20 MB more is over the 256 MiB of the process.
    for (let i = 0; i < 6; i++) held.push(await heldRequest(32 * MiB, client()['x-forwarded-for']));
    const busy = await predict(client()['x-forwarded-for'], paddedBody(20_000_000));
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(((await busy.json()) as { error: { code: string } }).error.code).toBe('busy');

    // Their connections closed, the places are free again.
    for (const socket of held) socket.destroy();
    const again = await until(
      'the held bodies to be released',
      async () => (await predict(me, paddedBody(20_000_000))).status === 200 || null,
    );
    expect(again).toBe(true);
  });
});

describe('security headers (helmet)', () => {
  it('are set on pages and on the API', async () => {
    for (const p of ['/', '/api/models', '/healthz', '/api/nothing']) {
      const res = await fetch(platform.url(p));
      const h = res.headers;
      expect(h.get('content-security-policy'), p).toMatch(/default-src 'self'/);
      expect(h.get('content-security-policy')).toMatch(/object-src 'none'/);
      expect(h.get('content-security-policy')).toMatch(/frame-ancestors 'self'/);
      expect(h.get('x-content-type-options')).toBe('nosniff');
      expect(h.get('x-frame-options')).toBe('SAMEORIGIN');
      // Job links carry their token in the URL: it must never leak through a Referer header.
      expect(h.get('referrer-policy')).toBe('no-referrer');
      expect(h.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(h.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(h.get('x-powered-by')).toBeNull();
      // Served over plain http: asking the browser to upgrade would send it to an https port nobody listens on.
      expect(h.get('content-security-policy')).not.toMatch(/upgrade-insecure-requests/);
    }
    // Behind a TLS proxy on this machine, it asks.
    const proxied = await fetch(platform.url('/'), { headers: { 'x-forwarded-proto': 'https' } });
    expect(proxied.headers.get('content-security-policy')).toMatch(/upgrade-insecure-requests/);
  });
});

describe('request timeouts', () => {
  it('are sized for the largest accepted upload on a slow link, and stalled connections are dropped sooner', () => {
    const GiB = 1024 ** 3;
    const t = serverTimeouts(GiB);
    // 1 GiB at the slowest supported rate fits in the request timeout.
    expect(t.requestTimeoutMs).toBeGreaterThanOrEqual((GiB / MIN_UPLOAD_BYTES_PER_SECOND) * 1000);
    expect(t.requestTimeoutMs).toBeLessThan(3 * 3600_000);
    expect(t.headersTimeoutMs).toBeLessThanOrEqual(60_000);
    expect(t.idleTimeoutMs).toBeLessThan(t.requestTimeoutMs);
    // A small limit still leaves minutes for a request.
    expect(serverTimeouts(1024 * 1024).requestTimeoutMs).toBeGreaterThanOrEqual(10 * 60_000);
    // Larger limits, longer timeouts.
    expect(serverTimeouts(4 * GiB).requestTimeoutMs).toBeGreaterThan(t.requestTimeoutMs);
  });
});
