/**
 * safeFetch and checkUrl against real HTTP servers on loopback addresses. Loopback stands for every
 * internal target: it is refused unless the policy allows it, so the tests that need to reach a server
 * allow it by name, address or CIDR, and the refusals check that the server never saw a request.
 */
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkUrl, OutboundError, safeFetch } from '../src/index.js';
import type { OutboundErrorCode, OutboundPolicy, Resolver, SafeFetchOptions } from '../src/index.js';
import { closedPort, startServer, text } from './servers.js';
import type { TestServer } from './servers.js';

const CA = readFileSync(new URL('./fixtures/ca.pem', import.meta.url));
const STRICT: OutboundPolicy = { allowHosts: [], allowHttp: 'always' };
const BASE = { deadlineMs: 5000, maxBodyBytes: 1024 * 1024 };

/** A resolver with a fixed table: names we control, no /etc/hosts. Counts its calls. */
function table(entries: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolver = async (hostname: string) => {
    calls.push(hostname);
    const found = entries[hostname];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) }));
  };
  return Object.assign(resolver, { calls });
}

async function failure(p: Promise<unknown>): Promise<OutboundError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(OutboundError);
  return e as OutboundError;
}

async function expectCode(p: Promise<unknown>, code: OutboundErrorCode, message?: RegExp): Promise<OutboundError> {
  const e = await failure(p);
  expect({ code: e.code, message: e.message }).toEqual({ code, message: message ? expect.stringMatching(message) : expect.any(String) });
  return e;
}

let main: TestServer; // 127.0.0.1: every route
let second: TestServer; // 127.0.0.2: must only be reached when allowed
let v6: TestServer; // ::1
let tls: TestServer; // https on 127.0.0.1 with a certificate for receiver.test

beforeAll(async () => {
  main = await startServer('127.0.0.1', (req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/ok':
        return text(200, 'hello')(req, res, body);
      case '/echo':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization ?? null }));
      case '/secret-404':
        return text(404, 'SECRET-BODY-TEXT')(req, res, body);
      case '/redirect':
        res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: url.searchParams.get('to') ?? '/' });
        return res.end('moved');
      case '/loop':
        res.writeHead(302, { location: '/loop' });
        return res.end();
      case '/slow': {
        // One byte a second, ten in all: only a total deadline stops it early.
        res.writeHead(200, { 'content-type': 'text/plain' });
        let sent = 0;
        const timer = setInterval(() => {
          res.write('x');
          if (++sent === 10) {
            clearInterval(timer);
            res.end();
          }
        }, 1000);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case '/cut':
        // Promises 100 bytes, sends 10, then drops the connection.
        res.writeHead(200, { 'content-length': '100' });
        res.write('0123456789');
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      case '/big':
        res.writeHead(200, { 'content-length': String(1024 * 1024) });
        return res.end(Buffer.alloc(1024 * 1024, 0x41));
      case '/big-chunked': {
        res.writeHead(200, { 'content-type': 'text/plain' });
        let left = 64;
        const more = () => {
          while (left > 0) {
            left--;
            if (!res.write(Buffer.alloc(16 * 1024, 0x42))) return res.once('drain', more);
          }
          res.end();
        };
        return more();
      }
      default:
        return text(404, 'no route')(req, res, body);
    }
  });
  second = await startServer('127.0.0.2', text(200, 'second'));
  v6 = await startServer('::1', text(200, 'over ipv6'));
  tls = await startServer('127.0.0.1', text(200, 'secure'), { tls: true });
});

afterAll(async () => {
  await Promise.all([main, second, v6, tls].map((s) => s?.close()));
});

describe('internal addresses are refused unless allowed', () => {
  it('refuses 127.0.0.2 by literal; allows it when listed by address or CIDR', async () => {
    await expectCode(
      safeFetch(`${second.origin}/`, { ...BASE, policy: STRICT }),
      'address_not_allowed',
      /^The address of 127\.0\.0\.2 is not allowed\.$/,
    );
    expect(second.requests).toHaveLength(0);
    for (const allow of ['127.0.0.2:*', '127.0.0.0/8:*']) {
      const res = await safeFetch(`${second.origin}/`, { ...BASE, policy: { allowHosts: [allow], allowHttp: 'always' } });
      expect({ status: res.status, body: res.body.toString(), address: res.address }).toEqual({
        status: 200,
        body: 'second',
        address: '127.0.0.2',
      });
    }
    expect(second.requests).toHaveLength(2);
  });

  it('refuses the cloud metadata address and the other spellings of loopback', async () => {
    const port = main.port;
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:169.254.169.254]/',
      `http://[::ffff:127.0.0.1]:${port}/ok`,
      `http://0x7f.1:${port}/ok`, // the URL parser makes this 127.0.0.1
      `http://2130706433:${port}/ok`,
      `http://0.0.0.0:${port}/ok`,
      `http://[::1]:${v6.port}/`,
      `http://[::]:${port}/ok`,
      `http://10.1.2.3:${port}/`,
      'http://[fd00::1]/',
      'http://[64:ff9b::a9fe:a9fe]/',
    ]) {
      await expectCode(safeFetch(url, { ...BASE, policy: STRICT }), 'address_not_allowed', /^The address of \S+ is not allowed\.$/);
    }
    expect(main.requests.filter((r) => r.url === '/ok')).toHaveLength(0);
    expect(v6.requests).toHaveLength(0);
  });

  it('refuses a public-looking name that resolves to an internal address, or to any one among public ones', async () => {
    const resolver = table({
      'files.example.com': ['127.0.0.1'],
      'mixed.example.com': ['93.184.216.34', '10.0.0.7'],
      'metadata.example.com': ['169.254.169.254'],
      'v6.example.com': ['2606:4700::1111', '::1'],
    });
    for (const host of ['files.example.com', 'mixed.example.com', 'metadata.example.com', 'v6.example.com']) {
      await expectCode(
        safeFetch(`http://${host}:${main.port}/ok`, { ...BASE, policy: STRICT, resolver }),
        'address_not_allowed',
        new RegExp(`^The address of ${host.replaceAll('.', '\\.')} is not allowed\\.$`),
      );
    }
    expect(main.requests.filter((r) => r.url === '/ok')).toHaveLength(0);
  });

  it('reaches an internal host allowed by name, and over IPv6', async () => {
    const resolver = table({ 'receiver.internal': ['127.0.0.1'] });
    const policy = { allowHosts: ['receiver.internal:*', '[::1]:*'], allowHttp: 'always' } as const;
    const res = await safeFetch(`http://receiver.internal:${main.port}/ok`, { ...BASE, policy, resolver });
    expect({ status: res.status, body: res.body.toString(), url: res.url }).toEqual({
      status: 200,
      body: 'hello',
      url: `http://receiver.internal:${main.port}/ok`,
    });
    expect(main.requests.at(-1)!.headers.host).toBe(`receiver.internal:${main.port}`);
    const wildcard = await safeFetch(`http://a.receiver.internal:${main.port}/ok`, {
      ...BASE,
      policy: { allowHosts: ['*.receiver.internal:*'], allowHttp: 'always' },
      resolver: table({ 'a.receiver.internal': ['127.0.0.1'] }),
    });
    expect(wildcard.status).toBe(200);
    const overV6 = await safeFetch(`${v6.origin}/`, { ...BASE, policy });
    expect({ body: overV6.body.toString(), address: overV6.address }).toEqual({ body: 'over ipv6', address: '::1' });
  });

  it('connects to the address that was checked: a second DNS answer (rebinding) is never asked for', async () => {
    // First answer 127.0.0.2 (allowed by address), any later one 127.0.0.1 (not allowed).
    let calls = 0;
    const rebinding: Resolver = async () => {
      calls++;
      return [{ address: calls === 1 ? '127.0.0.2' : '127.0.0.1', family: 4 }];
    };
    const before = { second: second.requests.length, main: main.requests.length };
    const res = await safeFetch(`http://rebind.example.com:${second.port}/`, {
      ...BASE,
      policy: { allowHosts: ['127.0.0.2:*'], allowHttp: 'always' },
      resolver: rebinding,
    });
    expect({ body: res.body.toString(), address: res.address, calls }).toEqual({ body: 'second', address: '127.0.0.2', calls: 1 });
    expect(second.requests.length).toBe(before.second + 1);
    expect(main.requests.length).toBe(before.main);
  });

  it('fails identically for an open and a closed internal port, without connecting', async () => {
    const closed = await closedPort('127.0.0.1');
    const before = main.requests.length;
    const open = await failure(safeFetch(`http://127.0.0.1:${main.port}/ok`, { ...BASE, policy: STRICT }));
    const shut = await failure(safeFetch(`http://127.0.0.1:${closed}/ok`, { ...BASE, policy: STRICT }));
    expect({ code: open.code, message: open.message }).toEqual({ code: shut.code, message: shut.message });
    expect(open.code).toBe('address_not_allowed');
    expect(main.requests.length).toBe(before);
  });
});

describe('redirects', () => {
  const policy: OutboundPolicy = { allowHosts: ['receiver.internal:*'], allowHttp: 'always' };
  const resolver = table({ 'receiver.internal': ['127.0.0.1'], 'elsewhere.example.com': ['127.0.0.2'] });
  const redirect = (to: string, status = 302) =>
    `http://receiver.internal:${main.port}/redirect?to=${encodeURIComponent(to)}&status=${status}`;

  it('follows a redirect between allowed hosts and reports the final URL', async () => {
    const res = await safeFetch(redirect('/ok'), { ...BASE, policy, resolver });
    expect({ status: res.status, body: res.body.toString(), url: res.url }).toEqual({
      status: 200,
      body: 'hello',
      url: `http://receiver.internal:${main.port}/ok`,
    });
  });

  it('refuses a redirect from an allowed host to a host that is not allowed, by address or by name', async () => {
    const before = second.requests.length;
    await expectCode(safeFetch(redirect(`${second.origin}/`), { ...BASE, policy, resolver }), 'address_not_allowed', /127\.0\.0\.2/);
    await expectCode(
      safeFetch(redirect(`http://elsewhere.example.com:${second.port}/`, 307), { ...BASE, policy, resolver }),
      'address_not_allowed',
      /elsewhere\.example\.com/,
    );
    await expectCode(safeFetch(redirect('http://169.254.169.254/latest/'), { ...BASE, policy, resolver }), 'address_not_allowed');
    expect(second.requests.length).toBe(before);
  });

  it("says that a redirect's target was refused, naming the redirecting URL and the target's host and port", async () => {
    const listedOnly: OutboundPolicy = { allowHosts: [`receiver.internal:${main.port}`], allowHttp: 'always', reach: 'listed-only' };
    const to = `http://receiver.internal:${second.port}/`;
    const e = await expectCode(safeFetch(redirect(to), { ...BASE, policy: listedOnly, resolver }), 'host_not_allowed');
    expect(e.message).toBe(
      `http://receiver.internal:${main.port}/redirect redirected to a URL that was refused: receiver.internal:${second.port} is not allowed: ` +
        `the port is what is refused. receiver.internal is one of the hosts this server may request, on port ${main.port} only, not on port ${second.port}.`,
    );
  });

  it('refuses a redirect to another scheme', async () => {
    await expectCode(safeFetch(redirect('file:///etc/passwd'), { ...BASE, policy, resolver }), 'scheme_not_allowed', /file:/);
  });

  it('follows no redirect when maxRedirects is 0 (webhooks), and stops a loop', async () => {
    await expectCode(
      safeFetch(redirect('/ok'), { ...BASE, policy, resolver, maxRedirects: 0, method: 'POST', body: '{}' }),
      'too_many_redirects',
      /answered with a redirect \(302\); redirects are not followed/,
    );
    await expectCode(
      safeFetch(`http://receiver.internal:${main.port}/loop`, { ...BASE, policy, resolver, maxRedirects: 3 }),
      'too_many_redirects',
      /redirected more than 3 times/,
    );
  });

  it('turns a POST into a GET on 303 and keeps it on 307; drops credentials when leaving the origin', async () => {
    const opts: SafeFetchOptions & { responseType?: 'buffer' } = {
      ...BASE,
      policy: { allowHosts: ['receiver.internal:*', 'other.internal:*'], allowHttp: 'always' },
      resolver: table({ 'receiver.internal': ['127.0.0.1'], 'other.internal': ['127.0.0.1'] }),
      method: 'POST',
      body: 'payload',
      headers: { Authorization: 'Bearer t0ken' },
    };
    const seeOther = await safeFetch(redirect('/echo', 303), opts);
    expect(JSON.parse(seeOther.body.toString())).toEqual({ method: 'GET', body: '', auth: 'Bearer t0ken' });
    const temporary = await safeFetch(redirect('/echo', 307), opts);
    expect(JSON.parse(temporary.body.toString())).toEqual({ method: 'POST', body: 'payload', auth: 'Bearer t0ken' });
    const away = await safeFetch(redirect(`http://other.internal:${main.port}/echo`, 307), opts);
    expect(JSON.parse(away.body.toString())).toEqual({ method: 'POST', body: 'payload', auth: null });
  });
});

describe('deadline and size', () => {
  const policy: OutboundPolicy = { allowHosts: ['127.0.0.1:*'], allowHttp: 'always' };

  it('gives up a body that trickles one byte a second at the total deadline', async () => {
    const e = await expectCode(
      safeFetch(`${main.origin}/slow`, { ...BASE, policy, deadlineMs: 1500 }),
      'timeout',
      /No complete answer from http:\/\/127\.0\.0\.1:\d+\/slow within 1500 ms/,
    );
    expect(e.message).not.toContain('x');
  });

  it('fails a streamed body at the deadline too', async () => {
    const res = await safeFetch(`${main.origin}/slow`, { ...BASE, policy, deadlineMs: 1500, responseType: 'stream' });
    expect(res.status).toBe(200);
    const e = await failure(drain(res.body));
    expect(e.code).toBe('timeout');
  });

  it('gives up a DNS lookup that never answers', async () => {
    const never: Resolver = () => new Promise(() => undefined);
    await expectCode(
      safeFetch('http://hangs.example.com/', { ...BASE, policy, deadlineMs: 300, resolver: never }),
      'timeout',
      /hangs\.example\.com.*within 300 ms/,
    );
    await expectCode(checkUrl('https://hangs.example.com/', STRICT, { resolver: never, deadlineMs: 300 }), 'timeout');
  });

  it('refuses a body larger than maxBodyBytes, declared or streamed', async () => {
    await expectCode(safeFetch(`${main.origin}/big`, { ...BASE, policy, maxBodyBytes: 1000 }), 'too_large', /larger than 1000 bytes/);
    await expectCode(
      safeFetch(`${main.origin}/big-chunked`, { ...BASE, policy, maxBodyBytes: 100_000 }),
      'too_large',
      /larger than 100000 bytes/,
    );
    const res = await safeFetch(`${main.origin}/big-chunked`, { ...BASE, policy, maxBodyBytes: 100_000, responseType: 'stream' });
    const e = await failure(drain(res.body));
    expect(e.code).toBe('too_large');
    const whole = await safeFetch(`${main.origin}/big-chunked`, { ...BASE, policy, maxBodyBytes: 1024 * 1024 });
    expect(whole.body.length).toBe(1024 * 1024);
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = safeFetch(`${main.origin}/slow`, { ...BASE, policy, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expectCode(pending, 'aborted');
  });
});

describe('answers and errors', () => {
  const policy: OutboundPolicy = { allowHosts: ['127.0.0.1:*'], allowHttp: 'always' };

  it('a non-2xx answer fails with its status, never with its body', async () => {
    const e = await expectCode(safeFetch(`${main.origin}/secret-404`, { ...BASE, policy }), 'http_status', /answered 404 Not Found\.$/);
    expect(e.status).toBe(404);
    expect(JSON.stringify({ ...e, message: e.message })).not.toContain('SECRET');
    const accepted = await safeFetch(`${main.origin}/secret-404`, { ...BASE, policy, acceptStatus: () => true });
    expect(accepted.status).toBe(404);
  });

  it('posts a body (a webhook delivery)', async () => {
    const res = await safeFetch(`${main.origin}/echo`, {
      ...BASE,
      policy,
      method: 'POST',
      body: JSON.stringify({ event: 'job.succeeded' }),
      headers: { 'content-type': 'application/json' },
      maxRedirects: 0,
    });
    expect(JSON.parse(res.body.toString())).toEqual({ method: 'POST', body: '{"event":"job.succeeded"}', auth: null });
  });

  it('a connection dropped in the middle of the body', async () => {
    await expectCode(safeFetch(`${main.origin}/cut`, { ...BASE, policy }), 'response_failed', /broke while reading the answer/);
  });

  it('a closed port of an allowed host is a connect failure', async () => {
    await expectCode(
      safeFetch(`http://127.0.0.1:${await closedPort('127.0.0.1')}/`, { ...BASE, policy }),
      'connect_failed',
      /ECONNREFUSED/,
    );
  });

  it('a name that does not resolve', async () => {
    await expectCode(
      safeFetch('http://nowhere.example.com/', { ...BASE, policy, resolver: table({}) }),
      'dns_failed',
      /nowhere\.example\.com \(ENOTFOUND\)/,
    );
  });

  it('bad URLs and schemes', async () => {
    await expectCode(safeFetch('not a url', { ...BASE, policy }), 'invalid_url');
    await expectCode(safeFetch('ftp://example.com/x.csv', { ...BASE, policy }), 'scheme_not_allowed', /ftp:/);
    await expectCode(safeFetch('file:///etc/passwd', { ...BASE, policy }), 'scheme_not_allowed');
    await expectCode(safeFetch(`http://user:pw@127.0.0.1:${main.port}/ok`, { ...BASE, policy }), 'invalid_url', /user name or password/);
  });

  it('plain http only for allowed hosts when allowHttp is allowed-hosts-only', async () => {
    const resolver = table({ 'public.example.com': ['93.184.216.34'], 'receiver.internal': ['127.0.0.1'] });
    const only: OutboundPolicy = { allowHosts: ['receiver.internal:*'], allowHttp: 'allowed-hosts-only' };
    await expectCode(
      safeFetch('http://public.example.com/', { ...BASE, policy: only, resolver }),
      'scheme_not_allowed',
      /Use https:\/\/ for public\.example\.com/,
    );
    const res = await safeFetch(`http://receiver.internal:${main.port}/ok`, { ...BASE, policy: only, resolver });
    expect(res.body.toString()).toBe('hello');
  });
});

describe('TLS keeps the host name', () => {
  const policy: OutboundPolicy = { allowHosts: ['receiver.test:*', 'impostor.test:*'], allowHttp: 'allowed-hosts-only' };
  const resolver = table({ 'receiver.test': ['127.0.0.1'], 'impostor.test': ['127.0.0.1'] });

  it('verifies the certificate against the name while connecting to the pinned address', async () => {
    const res = await safeFetch(`https://receiver.test:${tls.port}/`, { ...BASE, policy, resolver, ca: CA });
    expect({ body: res.body.toString(), address: res.address }).toEqual({ body: 'secure', address: '127.0.0.1' });
  });

  it('refuses a certificate for another name, or from an untrusted CA', async () => {
    await expectCode(
      safeFetch(`https://impostor.test:${tls.port}/`, { ...BASE, policy, resolver, ca: CA }),
      'tls_failed',
      /impostor\.test/,
    );
    await expectCode(safeFetch(`https://receiver.test:${tls.port}/`, { ...BASE, policy, resolver }), 'tls_failed', /certificate/);
  });

  it('says a server that speaks plain HTTP did not answer with TLS, not that its certificate is wrong', async () => {
    // main is a plain HTTP server: OpenSSL's "wrong version number" (EPROTO) was said as a certificate problem.
    const e = await expectCode(
      safeFetch(`https://receiver.test:${main.port}/ok`, { ...BASE, policy, resolver, ca: CA }),
      'tls_failed',
      /did not answer with TLS .*plain HTTP.*http:\/\//,
    );
    expect(e.message).not.toMatch(/certificate/);
  });
});

describe('checkUrl', () => {
  const resolver = table({ 'hooks.example.com': ['93.184.216.34'], 'intranet.example.com': ['192.168.1.20'] });

  it('accepts a public https URL and refuses internal, malformed and non-http ones', async () => {
    await expect(checkUrl('https://hooks.example.com/batchcast', STRICT, { resolver })).resolves.toBeUndefined();
    await expectCode(checkUrl('https://intranet.example.com/hook', STRICT, { resolver }), 'address_not_allowed');
    await expectCode(checkUrl('http://169.254.169.254/', STRICT, { resolver }), 'address_not_allowed');
    await expectCode(checkUrl('gopher://hooks.example.com/', STRICT, { resolver }), 'scheme_not_allowed');
    await expectCode(checkUrl('https://', STRICT, { resolver }), 'invalid_url');
    await expectCode(
      checkUrl('http://hooks.example.com/', { allowHosts: [], allowHttp: 'allowed-hosts-only' }, { resolver }),
      'scheme_not_allowed',
    );
    await expect(
      checkUrl('https://intranet.example.com/hook', { allowHosts: ['192.168.0.0/16'], allowHttp: 'always' }, { resolver }),
    ).resolves.toBeUndefined();
    // An IPv4-mapped answer is its IPv4 address, for the allowed ranges too.
    const mapped = table({ 'mapped.example.com': ['::ffff:10.0.0.5'] });
    await expectCode(checkUrl('https://mapped.example.com/', STRICT, { resolver: mapped }), 'address_not_allowed');
    await expect(
      checkUrl('https://mapped.example.com/', { allowHosts: ['10.0.0.0/8'], allowHttp: 'always' }, { resolver: mapped }),
    ).resolves.toBeUndefined();
  });

  it('refuses a policy with an entry that is no host, address or CIDR', async () => {
    await expect(
      checkUrl('https://hooks.example.com/', { allowHosts: ['10.0.0.0/33'], allowHttp: 'always' }, { resolver }),
    ).rejects.toThrow(/10\.0\.0\.0\/33/);
    await expect(checkUrl('https://hooks.example.com/', { allowHosts: ['not a host'], allowHttp: 'always' }, { resolver })).rejects.toThrow(
      TypeError,
    );
  });
});

async function drain(stream: Readable): Promise<number> {
  let n = 0;
  for await (const chunk of stream) n += (chunk as Buffer).length;
  return n;
}
