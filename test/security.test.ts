import { spawnSync } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerClientErrors } from '../apps/web/src/http/client-errors.js';
import { onnx } from '../packages/inference/src/onnx-proto.js';
import { cookiesOf, cookieValue, signIn } from './support/admin.js';
import { fileBlob, submit, waitForEnd } from './support/http.js';
import { tensorInfo } from './support/onnx-graphs.js';
import { ADMIN_TOKEN, examples, Platform, repoRoot } from './support/platform.js';

/**
 * The holes a security review of a default installation found, each closed: the outbox, guessing the admin
 * token, external data in models, wide JSON bodies, the event loop during real-time predictions, file names,
 * emails to any address, trickling bodies, file modes, /healthz, revocable admin sessions, placeholder tokens.
 */
let platform: Platform;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  platform = await new Platform({
    workers: 1,
    env: {
      NODE_ENV: 'development',
      ADMIN_FAILURES_PER_15_MINUTES: '3',
      EMAILS_PER_ADDRESS_PER_HOUR: '2',
      BODY_STALL_MS: '2000',
      PREDICT_PROCESSES: '1',
      // Webhooks on, with no internal host allowed: names that resolve to loopback are refused.
      WEBHOOK_SECRET_KEY: 'security-test-webhook-key-0123456789abcdef',
    },
  }).start();
});
afterAll(async () => {
  await platform?.stop();
});

/** The web process's resident memory, from /proc (kB). */
async function webRssKb(): Promise<number> {
  const web = platform.descendants().find((p) => p.cmd.includes('apps/web/dist/server.js'))!;
  const status = await readFile(`/proc/${web.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

describe('the development outbox', () => {
  it('is refused without the admin token whatever NODE_ENV is, and served with it', async () => {
    await waitForEnd(platform, (await (await submit(platform, 'iris.csv', { email: 'outbox@example.com' })).json()).links.self);
    const anonymous = await fetch(platform.url('/dev/outbox'), { headers: { accept: 'application/json' } });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain('token=');
    const res = await fetch(platform.url('/dev/outbox'), { headers: { ...admin, accept: 'application/json' } });
    expect(res.status).toBe(200);
  });
});

describe('webhook hosts', () => {
  it('a key is told the same of a host that does not resolve as of one that resolves to an internal address; the admin which', async () => {
    const created = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'dns-mapper', scopes: ['webhooks:write'] }),
    });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    const tryAs = async (headers: Record<string, string>, host: string) => {
      const res = await fetch(platform.url('/api/webhooks'), {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `https://${host}/hook`, events: ['job.succeeded'] }),
      });
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      return { status: res.status, ...error };
    };
    const bearer = { authorization: `Bearer ${key}` };
    // localhost resolves to 127.0.0.1; .invalid never resolves.
    const internal = await tryAs(bearer, 'localhost');
    const nowhere = await tryAs(bearer, 'no-such-host.invalid');
    expect(internal).toMatchObject({ status: 422, code: 'url_not_allowed' });
    expect({ ...nowhere, message: nowhere.message.replace('no-such-host.invalid', 'HOST') }).toEqual({
      ...internal,
      message: internal.message.replace('localhost', 'HOST'),
    });
    const adminInternal = await tryAs(admin, 'localhost');
    const adminNowhere = await tryAs(admin, 'no-such-host.invalid');
    expect(adminInternal.message).toContain('Shown to administrators only: The address of localhost is not allowed.');
    expect(adminNowhere.message).toMatch(/Shown to administrators only: .*no-such-host\.invalid/);
    expect(adminNowhere.message).not.toContain('is not allowed.)');
  });
});

describe('request bodies that are JSON', () => {
  it('are parsed only by the routes that take one: a malformed body to a path that takes none is a 404, not a parse', async () => {
    const res = await fetch(platform.url('/nothing-here'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    });
    expect(res.status).toBe(404);
    // The same body where JSON is taken is named for what it is.
    const links = await fetch(platform.url('/api/links'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    });
    expect(links.status).toBe(400);
    expect((await links.json()).error.code).toBe('malformed_json');
  });

  it('are refused compressed (415, not inflated), and an admin route reads none before the admin token is checked', async () => {
    const gz = gzipSync(JSON.stringify({ email: 'someone@example.com' }));
    const res = await fetch(platform.url('/api/links'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gz,
    });
    expect(res.status).toBe(415);
    expect((await res.json()).error.code).toBe('unsupported_encoding');
    const unauthorized = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    });
    expect(unauthorized.status).toBe(401);
  });

  it('of real-time requests are taken compressed, and one its content-encoding does not describe is a 400, not a 500', async () => {
    const body = JSON.stringify({ rows: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }] });
    const predict = (encoding: string, bytes: Buffer) =>
      fetch(platform.url('/api/models/iris-logreg/predict'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        body: new Uint8Array(bytes),
      });
    const whole = await predict('gzip', gzipSync(body));
    expect(whole.status).toBe(200);
    expect((await whole.json()).predictions[0].prediction).toBe('setosa');
    const gz = gzipSync(body);
    for (const [encoding, bytes] of [
      ['gzip', Buffer.from(body)],
      ['deflate', Buffer.from(body)],
      ['gzip', gz.subarray(0, gz.length - 12)],
    ] as const) {
      const res = await predict(encoding, bytes);
      expect(res.status, `${encoding} ${bytes.length}`).toBe(400);
      const { error } = await res.json();
      expect(error.code).toBe('invalid_compressed_body');
      expect(error.message).toMatch(new RegExp(`^The request body is not whole ${encoding} data \\(.+\\): send it compressed`));
    }
    expect(platform.output).not.toContain('unhandled error');
  });

  it('of real-time requests are read by their own reader whatever the URL adds (a trailing slash, other letter case)', async () => {
    const body = JSON.stringify({ rows: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }] });
    for (const p of ['/api/models/iris-logreg/predict/', '/api/models/iris-logreg/Predict']) {
      const res = await fetch(platform.url(p), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.status, p).toBe(200);
      expect((await res.json()).predictions[0].prediction).toBe('setosa');
    }
    // A query string it does not take is refused before the body is read (422 unknown_parameter), in any case.
    for (const p of ['/api/models/iris-logreg/predict?trace=1', '/API/models/iris-logreg/Predict/?trace=1']) {
      const res = await fetch(platform.url(p), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.status, p).toBe(422);
      expect((await res.json()).error.code).toBe('unknown_parameter');
    }
  });
});

describe('cross-site requests', () => {
  const evil = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
  // Each its own client and email address, so that the limits of "email me my links" are not what answers.
  const linksForm = (headers: Record<string, string>, address = '203.0.113.90') =>
    fetch(platform.url('/links'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': address, ...headers },
      body: new URLSearchParams({ email: `victim-${address}@example.com` }),
    });
  const iris = '{"rows":[{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}]}';
  const predict = (headers: Record<string, string>) =>
    fetch(platform.url('/api/models/iris-logreg/predict'), {
      method: 'POST',
      headers: { 'content-type': 'text/plain', ...headers },
      body: iris,
    });

  it("are refused (403 cross_site) when a browser says another site's page sent them: the forms, and a CORS-simple real-time request", async () => {
    const links = await linksForm(evil);
    expect(links.status).toBe(403);
    const body = (await links.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('cross_site');
    expect(body.error.message).toContain('Sec-Fetch-Site: cross-site');
    // A browser asks for HTML: the error page, saying the same.
    const page = await linksForm({ ...evil, accept: 'text/html' });
    expect(page.status).toBe(403);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('another site');

    const uploadsBefore = await readdir(path.join(platform.dataDir, 'uploads')).catch(() => []);
    const form = new FormData();
    form.set('model', 'iris-logreg');
    form.set('file', fileBlob(await readFile(path.join(examples, 'data', 'iris.csv')), 'text/csv'), 'iris.csv');
    const job = await fetch(platform.url('/jobs'), { method: 'POST', body: form, headers: evil, redirect: 'manual' });
    expect(job.status).toBe(403);
    expect((await readdir(path.join(platform.dataDir, 'uploads')).catch(() => [])).sort()).toEqual(uploadsBefore.sort());

    // Without Sec-Fetch-Site (an older browser), by its Origin: another site's, another port of ours, or null.
    for (const origin of ['https://evil.example', platform.baseUrl.replace('127.0.0.1', 'localhost'), 'null'])
      expect((await predict({ origin })).status, origin).toBe(403);
    for (const site of ['cross-site', 'same-site']) expect((await predict({ 'sec-fetch-site': site })).status, site).toBe(403);
    const api = await fetch(platform.url('/api/links'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...evil },
      body: '{"email":"victim@example.com"}',
    });
    expect(api.status).toBe(403);
  });

  it('are let through from our own pages, and from clients that are no browser (neither header)', async () => {
    // Chromium posts our no-referrer pages' forms with Origin: null and Sec-Fetch-Site: same-origin.
    expect((await linksForm({ origin: 'null', 'sec-fetch-site': 'same-origin' }, '203.0.113.91')).status).toBe(200);
    expect((await linksForm({ origin: platform.baseUrl }, '203.0.113.92')).status).toBe(200);
    expect((await linksForm({}, '203.0.113.93')).status).toBe(200);
    expect((await predict({ 'sec-fetch-site': 'same-origin', origin: platform.baseUrl })).status).toBe(200);
    expect((await predict({ 'sec-fetch-site': 'none' })).status).toBe(200);
    expect((await predict({})).status).toBe(200);
    // Reading is never refused: a link followed from another site opens.
    expect((await fetch(platform.url('/api/models'), { headers: evil })).status).toBe(200);
  });
});

describe('"email me my links"', () => {
  it('is limited per client address (429 with Retry-After), whatever addresses it names', async () => {
    const ask = (i: number) =>
      fetch(platform.url('/api/links'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.77' },
        body: JSON.stringify({ email: `someone-${i}@example.com` }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await ask(i)).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(202));
    expect(statuses[10]).toBe(429);
  });
});

describe('guessing the admin token', () => {
  it('gets 429 after a few wrong tries, even for the right token, with Retry-After', async () => {
    const guess = (token: string) =>
      fetch(platform.url('/api/schedules'), { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': '203.0.113.9' } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await guess(`wrong-guess-number-${i}-abcdef`)).status);
    expect(statuses).toEqual([403, 403, 403]);
    const blocked = await guess('wrong-guess-number-4-abcdef');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await guess(ADMIN_TOKEN)).status).toBe(429);
  });

  it('counts an IPv6 client by its /56, as the rate limits do: a new address in the same block is still refused', async () => {
    // Counted address by address, one IPv6 subscriber's 2^64 addresses each had their own guesses.
    const guess = (token: string, from: string) =>
      fetch(platform.url('/api/schedules'), { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': from } });
    const statuses: number[] = [];
    for (let i = 1; i <= 3; i++) statuses.push((await guess(`wrong-guess-number-${i}-abcdef`, `2001:db8:77:${i}::${i}`)).status);
    expect(statuses).toEqual([403, 403, 403]);
    expect((await guess('wrong-guess-number-4-abcdef', '2001:db8:77:4::4')).status).toBe(429);
    // Another block is another client.
    expect((await guess('wrong-guess-number-5-abcdef', '2001:db8:78::5')).status).toBe(403);
  });
});

/** An ONNX model (IR 8, opset 17) of one graph, named `g`, as bytes. */
function onnxModel(graph: Omit<Parameters<typeof onnx.GraphProto.create>[0] & object, 'name'>): Uint8Array {
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 17 })],
      graph: onnx.GraphProto.create({ name: 'g', ...graph }),
    }),
  ).finish();
}

describe('models that read files', () => {
  it('a Constant whose tensor lives in package.json is refused with 422 before ONNX Runtime loads it', async () => {
    const leak = onnx.TensorProto.create({
      name: 'leak',
      dataType: 2,
      dims: [16],
      dataLocation: 1,
      externalData: [
        onnx.StringStringEntryProto.create({ key: 'location', value: 'package.json' }),
        onnx.StringStringEntryProto.create({ key: 'length', value: '16' }),
      ],
    });
    const bytes = onnxModel({
      node: [
        onnx.NodeProto.create({
          opType: 'Constant',
          output: ['secret'],
          attribute: [onnx.AttributeProto.create({ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: leak })],
        }),
      ],
      input: [tensorInfo('x', 1, [1, 1])],
      output: [tensorInfo('secret', 2, [16])],
    });
    const form = new FormData();
    form.set('name', 'leaky');
    form.set('file', fileBlob(bytes), 'leaky.onnx');
    const res = await fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: admin });
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.error.code).toBe('external_data');
    expect(JSON.stringify(body)).not.toContain('"name": "batchcast"');
  });
});

describe('models that ask for more memory than there is', () => {
  it('fail each row saying the model is at fault, not that the row holds a value the model was not built for', async () => {
    // ConstantOfShape of a constant 10^9 x 10^9 float tensor: 4 EB, which no server allocates, whatever the row.
    const shape = onnx.TensorProto.create({ name: 'shape', dataType: 7, dims: [2], int64Data: [1_000_000_000, 1_000_000_000] });
    const axes = onnx.TensorProto.create({ name: 'axes', dataType: 7, dims: [1], int64Data: [1] });
    const bytes = onnxModel({
      node: [
        onnx.NodeProto.create({ opType: 'ConstantOfShape', input: ['shape'], output: ['huge'] }),
        onnx.NodeProto.create({
          opType: 'ReduceSum',
          input: ['input', 'axes'],
          output: ['variable'],
          attribute: [onnx.AttributeProto.create({ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 1 })],
        }),
      ],
      initializer: [shape, axes],
      input: [tensorInfo('input', 1, ['N', 4])],
      output: [tensorInfo('variable', 1, ['N', 1])],
    });
    const form = new FormData();
    form.set('name', 'greedy');
    form.set('features', 'a,b,c,d');
    form.set('file', fileBlob(bytes), 'greedy.onnx');
    const registered = await fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: admin });
    expect(registered.status, await registered.clone().text()).toBe(201);
    const res = await fetch(platform.url('/api/models/greedy/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        rows: [
          { a: 1, b: 2, c: 3, d: 4 },
          { a: 5, b: 6, c: 7, d: 8 },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const { predictions } = (await res.json()) as { predictions: { prediction: null; error: string }[] };
    expect(predictions).toHaveLength(2);
    for (const p of predictions) {
      expect(p.error).toBe(
        'the model could not score this row: its ConstantOfShape node asked ONNX Runtime for 4,000,000,000,000,000,000 bytes of memory, ' +
          'more than this server can give it; the model, not the row, is at fault: whoever published it should check that node',
      );
    }
    expect((await fetch(platform.url('/healthz'))).status).toBe(200);
  });
});

describe("a model's column names a spreadsheet would run", () => {
  it('are written behind a guard in sample.csv, and a file with the guarded header is scored as the model expects', async () => {
    const bytes = onnxModel({
      node: [onnx.NodeProto.create({ opType: 'Add', input: ['=cmd|x', '+b'], output: ['y'] })],
      input: [tensorInfo('=cmd|x', 1, ['N', 1]), tensorInfo('+b', 1, ['N', 1])],
      output: [tensorInfo('y', 1, ['N', 1])],
    });
    const form = new FormData();
    form.set('name', 'formula-names');
    form.set('file', fileBlob(bytes), 'formula-names.onnx');
    expect((await fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: admin })).status).toBe(201);

    const sample = await (await fetch(platform.url('/models/formula-names/sample.csv'))).text();
    expect(sample.split('\n')[0]).toBe("'=cmd|x,'+b");
    // The sample, as downloaded, is a file the model takes: its guarded names are the model's columns.
    const job = await (await submit(platform, Buffer.from(sample), { model: 'formula-names' })).json();
    const done = await waitForEnd(platform, job.links.self);
    expect(done.status).toBe('succeeded');
    expect(done.rows).toMatchObject({ total: 5, processed: 5, failed: 0 });
  });
});

describe('real-time predictions', () => {
  it('refuse a body of many distinct keys at once, without growing the web process', async () => {
    const rows: string[] = [];
    for (let r = 0; r < 10_000; r++) {
      const cells: string[] = [];
      for (let k = 0; k < 100; k++) cells.push(`"k${r}_${k}":1`);
      rows.push(`{${cells.join(',')}}`);
    }
    const body = `{"rows":[${rows.join(',')}]}`;
    expect(body.length).toBeGreaterThan(12_000_000);
    const before = await webRssKb();
    const res = await fetch(platform.url('/api/models/iris-logreg/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect([413, 422]).toContain(res.status);
    expect((await res.json()).error.code).toBe('too_many_distinct_keys');
    // The body itself is held while it is read (13 MB); nothing is built from it.
    expect((await webRssKb()) - before).toBeLessThan(100 * 1024);
  });

  it('run off the web process main thread: health checks keep answering while rounds of six large requests are scored', async () => {
    const header = (await readFile(path.join(examples, 'data', 'breast_cancer.csv'), 'utf8')).split('\n')[0]!.trim().split(',');
    const row = Object.fromEntries(header.slice(1).map((h, i) => [h, 10 + i]));
    const body = JSON.stringify({ rows: Array.from({ length: 10_000 }, () => row) });
    // Rounds of six requests until three health checks were answered while a round was being scored: the forest
    // evaluator scores 10,000 rows in milliseconds, so on a busy machine (the whole suite running) one round's
    // window has held only one; five rounds make the window long enough whatever the machine's speed.
    const round = (): Promise<unknown> =>
      Promise.all(
        [0, 1, 2, 3, 4, 5].map(() =>
          fetch(platform.url('/api/models/breast-cancer-rf/predict'), {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          }).then(async (r) => {
            expect(r.status).toBe(200);
            expect((await r.json()).predictions).toHaveLength(10_000);
          }),
        ),
      );
    let answered = 0;
    for (let rounds = 0; rounds < 5 && answered <= 2; rounds++) {
      let done = false;
      const predictions = round().finally(() => {
        done = true;
      });
      while (!done) {
        const res = await fetch(platform.url('/healthz'));
        if (res.status === 200 && !done) answered++;
      }
      await predictions;
    }
    // A blocked event loop answers nothing while the models run; the pool keeps it free to answer.
    expect(answered).toBeGreaterThan(2);
  });
});

describe('file names and emails', () => {
  it("a NUL byte (filename*=UTF-8''a%00b.csv) or a 5,000-character file name is accepted and stored cleaned and capped", async () => {
    const csv = await readFile(path.join(examples, 'data', 'iris.csv'));
    for (const disposition of [`filename*=UTF-8''a%00b.csv`, `filename="${'x'.repeat(5000)}.csv"`]) {
      const body = Buffer.concat([
        Buffer.from(`--b\r\nContent-Disposition: form-data; name="file"; ${disposition}\r\nContent-Type: text/csv\r\n\r\n`),
        csv,
        Buffer.from('\r\n--b--\r\n'),
      ]);
      const res = await fetch(platform.url('/api/jobs'), {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=b' },
        body,
      });
      expect(res.status, disposition.slice(0, 30)).toBe(202);
      const job = await (await fetch(platform.url((await res.json()).links.self))).json();
      expect(job.filename).not.toContain('\u0000');
      expect([...job.filename].length).toBeLessThanOrEqual(200);
    }
  });

  it('an address is sent a limited number of job emails an hour: more is a 429 before anything is queued', async () => {
    const email = 'flooded@example.com';
    expect((await submit(platform, 'iris.csv', { email })).status).toBe(202);
    expect((await submit(platform, 'iris.csv', { email: 'FLOODED@example.com' })).status).toBe(202);
    const refused = await submit(platform, 'iris.csv', { email });
    expect(refused.status).toBe(429);
    expect((await refused.json()).error.code).toBe('email_rate_limited');
    expect((await submit(platform, 'iris.csv', { email: 'someone-else@example.com' })).status).toBe(202);
  });

  it('counts a mailbox, not its spellings: +tags of one address share its limit', async () => {
    // Subaddresses reach the same inbox: counted apart, each gave a flooder another EMAILS_PER_ADDRESS_PER_HOUR.
    expect((await submit(platform, 'iris.csv', { email: 'tagged+1@example.com' })).status).toBe(202);
    expect((await submit(platform, 'iris.csv', { email: 'Tagged+news.x@Example.com' })).status).toBe(202);
    for (const email of ['tagged+2@example.com', 'tagged@example.com']) {
      const refused = await submit(platform, 'iris.csv', { email });
      expect(refused.status, email).toBe(429);
      expect((await refused.json()).error.code).toBe('email_rate_limited');
    }
    expect((await submit(platform, 'iris.csv', { email: 'tagged-other+1@example.com' })).status).toBe(202);
  });
});

describe('request bodies that trickle in', () => {
  it('are cut off (408) instead of holding a connection for the whole request timeout', async () => {
    const { port } = new URL(platform.baseUrl);
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      'POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b',
    );
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString();
    });
    const timer = setInterval(() => socket.write('x'), 1_500); // one byte now and then: never idle
    await new Promise((resolve) => socket.once('close', resolve));
    clearInterval(timer);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toContain('body_stalled');
  });
});

/** Writes `request` on a new connection to `port` and reads the answer until the server closes it. */
function rawExchange(port: number, request: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      resolve({ status: Number(text.slice(9, 12)), headers: text.slice(0, end), body: text.slice(end + 4) });
    });
  });
}

describe('refusals before there is a request', () => {
  it('headers over the limit are a 431 with the JSON error shape, not an empty answer', async () => {
    const port = Number(new URL(platform.baseUrl).port);
    const res = await rawExchange(port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(res.status).toBe(431);
    expect(res.headers).toMatch(/content-type: application\/json/i);
    const body = JSON.parse(res.body) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('headers_too_large');
    expect(body.error.message).toContain('headers');
  });

  it("headers that never finish arriving are a 408 with the JSON error shape (the web server's handler, on a short headers timeout)", async () => {
    const server = http.createServer({ headersTimeout: 300, requestTimeout: 1000, connectionsCheckingInterval: 50 }, (_req, res) =>
      res.end('ok'),
    );
    answerClientErrors(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await rawExchange((server.address() as net.AddressInfo).port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      expect(res.status).toBe(408);
      expect(JSON.parse(res.body).error.code).toBe('request_timeout');
      // Bytes that are not HTTP: a 400 in the same shape.
      const garbage = await rawExchange((server.address() as net.AddressInfo).port, 'HELLO\r\n\r\n');
      expect([garbage.status, JSON.parse(garbage.body).error.code]).toEqual([400, 'malformed_request']);
    } finally {
      server.close();
    }
  });
});

describe('files under DATA_DIR', () => {
  it('are readable by their owner only (0600 files, 0700 directories)', async () => {
    const modes: string[] = [];
    const walk = async (dir: string) => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        const mode = (await stat(p)).mode & 0o777;
        modes.push(`${path.relative(platform.dataDir, p)} ${mode.toString(8)}`);
        if (entry.isDirectory()) await walk(p);
      }
    };
    await walk(platform.dataDir);
    expect(modes.some((m) => m.startsWith('uploads/'))).toBe(true);
    expect(modes.some((m) => m.startsWith('outbox/'))).toBe(true);
    for (const m of modes) expect(m, m).toMatch(/ (600|700)$/);
  });
});

describe('/healthz', () => {
  it('says ok or down and nothing more', async () => {
    const body = await (await fetch(platform.url('/healthz'))).json();
    expect(body).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
  });
});

describe('admin sessions', () => {
  it('end on the server when signing out: a copy of the cookie no longer opens /admin', async () => {
    const { cookie, csrf } = await signIn(platform);
    const asJson = { cookie, accept: 'application/json' };
    expect((await fetch(platform.url('/admin'), { headers: asJson })).status).toBe(200);
    const out = await fetch(platform.url('/admin/logout'), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: platform.baseUrl },
      body: new URLSearchParams({ _csrf: csrf }),
    });
    expect(out.status).toBe(303);
    expect((await fetch(platform.url('/admin'), { headers: asJson })).status).toBe(401);
  });

  it('all end at once with "sign out everywhere", while the admin token stays valid', async () => {
    const a = await signIn(platform);
    const b = await signIn(platform);
    const end = await fetch(platform.url('/admin/sessions/end-all'), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: a.cookie, 'content-type': 'application/x-www-form-urlencoded', origin: platform.baseUrl },
      body: new URLSearchParams({ _csrf: a.csrf }),
    });
    expect(end.status).toBe(303);
    expect(cookieValue(cookiesOf(end), 'bc_admin')).toBe('');
    for (const s of [a, b])
      expect((await fetch(platform.url('/admin'), { headers: { cookie: s.cookie, accept: 'application/json' } })).status).toBe(401);
    expect((await fetch(platform.url('/admin'), { headers: { ...admin, accept: 'application/json' } })).status).toBe(200);
    expect((await signIn(platform)).cookie).toBeTruthy(); // signing in again works
  });
});

describe('configuration', () => {
  it('refuses a placeholder admin token at start, naming the variable', () => {
    const run = spawnSync(process.execPath, [path.join(repoRoot, 'apps/web/dist/server.js')], {
      env: { ...process.env, ADMIN_TOKEN: 'change-me-to-a-long-random-string', DATABASE_URL: platform.databaseUrl },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain('ADMIN_TOKEN');
    expect(run.stderr).toContain('placeholder');
  });

  // The README's `$(openssl rand -base64 24)` copied where no shell runs it (an .env file, a systemd unit), and a
  // token whose trailing space no Authorization header can carry: both started, the first with a token anyone
  // could read in the README, the second locking the admin out.
  it.each([
    ['$(openssl rand -base64 24)', /shell command that was never run.*run the command/],
    ['`openssl rand -base64 24`', /shell command that was never run/],
    ['Zq8vN3kLp0xR7tYw2mHc ', /visible ASCII characters without spaces/],
    ['Zq8vN3kL p0xR7tYw2mHc', /visible ASCII characters without spaces/],
  ])('refuses ADMIN_TOKEN=%j at start, saying what to do', (token, message) => {
    const run = spawnSync(process.execPath, [path.join(repoRoot, 'apps/web/dist/server.js')], {
      env: { ...process.env, ADMIN_TOKEN: token, DATABASE_URL: platform.databaseUrl },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain('ADMIN_TOKEN');
    expect(run.stderr).toMatch(message);
  });
});
