/**
 * HTTP requests on someone else's behalf (a schedule's CSV URL, a webhook receiver) that cannot be turned
 * against the server or its network:
 *  - every hop's scheme, host and every resolved address is checked against the policy (address-class.ts);
 *  - the connection goes to an address that was checked: node:http's `lookup` is replaced by one that
 *    answers with the addresses resolved for the check, so no second DNS answer (rebinding) can slip in
 *    between check and connect; the Host header, TLS SNI and the certificate check still use the host name;
 *  - redirects are followed by hand (at most maxRedirects, 0 for webhooks) and each target is checked again;
 *  - one deadline covers DNS, connect, every redirect and the whole body; the body is counted as it streams
 *    and the connection dropped as soon as it passes maxBodyBytes.
 * Node's http client ignores HTTP(S)_PROXY variables, so nothing bypasses the pinning through a proxy.
 */
import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { type Readable, Transform } from 'node:stream';
import type { IPv6 } from 'ipaddr.js';
import { parseIp } from './address-class.js';
import { displayUrl, OutboundError } from './errors.js';
import { checkTarget } from './policy.js';
import type { CheckedTarget, OutboundPolicy } from './policy.js';
import type { Resolver } from './resolve.js';

export interface SafeFetchOptions {
  policy: OutboundPolicy;
  /** Default GET. */
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Total time for DNS, connecting, every redirect and the whole body; past it the request fails with `timeout`. */
  deadlineMs: number;
  /** The most body bytes accepted; more fails with `too_large` (a larger Content-Length fails before reading). */
  maxBodyBytes: number;
  /** Redirects followed (each target checked like the first); default 5. 0: a redirect answer is an error. */
  maxRedirects?: number;
  signal?: AbortSignal;
  /** Which statuses are answers; any other fails with `http_status` (body discarded). Default: 2xx. */
  acceptStatus?: (status: number) => boolean;
  /** Name resolution; default the system resolver. Tests map names to addresses with it. */
  resolver?: Resolver;
  /** Extra trusted CA certificates (PEM), e.g. an internal receiver's private CA; host names are still verified. */
  ca?: string | Buffer | (string | Buffer)[];
  /** `buffer` (default): the whole body in memory (bounded by maxBodyBytes); `stream`: a Readable to consume. */
  responseType?: 'buffer' | 'stream';
}

export interface OutboundResponse<B extends Buffer | Readable> {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body; as a stream it fails (`too_large`, `timeout`, `response_failed`) with an OutboundError. */
  body: B;
  /** The final URL, after redirects. */
  url: string;
  /** The address the final request was connected to. */
  address: string;
}

const DEFAULT_MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Headers that carry credentials for one origin: dropped when a redirect leaves it. */
const ORIGIN_CREDENTIALS = ['authorization', 'cookie', 'proxy-authorization'];
const TLS_ERROR = /CERT|SSL|TLS|EPROTO|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/;
/**
 * The TLS errors about the server's certificate (expired, self-signed, another name, an unknown issuer); the
 * others (EPROTO, ERR_SSL_WRONG_VERSION_NUMBER...) are the handshake's: a server that speaks plain HTTP on the
 * port was told "its certificate is not valid", and its admin looked for a certificate problem it did not have.
 */
const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/;

const isSuccess = (status: number) => status >= 200 && status < 300;

export function safeFetch(url: string | URL, opts: SafeFetchOptions & { responseType?: 'buffer' }): Promise<OutboundResponse<Buffer>>;
export function safeFetch(url: string | URL, opts: SafeFetchOptions & { responseType: 'stream' }): Promise<OutboundResponse<Readable>>;
export async function safeFetch(url: string | URL, opts: SafeFetchOptions): Promise<OutboundResponse<Buffer | Readable>> {
  if (!(opts.deadlineMs > 0)) throw new TypeError('safeFetch: deadlineMs must be a positive number of milliseconds.');
  if (!(opts.maxBodyBytes >= 0)) throw new TypeError('safeFetch: maxBodyBytes must be a non-negative number.');
  const maxRedirects = opts.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const accept = opts.acceptStatus ?? isSuccess;

  const controller = new AbortController();
  const { signal } = controller;
  let current: URL | null = null;
  const timer = setTimeout(() => {
    const where = current ? displayUrl(current) : describeRaw(url);
    controller.abort(new OutboundError('timeout', `No complete answer from ${where} within ${formatMs(opts.deadlineMs)}.`));
  }, opts.deadlineMs);
  const onCallerAbort = () => controller.abort(new OutboundError('aborted', 'The request was cancelled.'));
  if (opts.signal?.aborted) onCallerAbort();
  else opts.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const finish = () => {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onCallerAbort);
  };

  try {
    let method = (opts.method ?? 'GET').toUpperCase();
    let body = opts.body;
    let headers: Record<string, string> = lowerCaseKeys(opts.headers ?? {});
    let target: string | URL = url;
    for (let hop = 0; ; hop++) {
      const from = hop > 0 ? current : null;
      const checked = await checkTarget(target, opts.policy, { resolver: opts.resolver, signal }).catch((err: unknown) => {
        // A hop after a redirect: said as the redirect's target, not as the URL that was given (which was allowed).
        if (!from || !(err instanceof OutboundError)) throw err;
        throw new OutboundError(err.code, `${displayUrl(from)} redirected to a URL that was refused: ${err.message}`, err.details);
      });
      current = checked.url;
      const { res, address } = await send(checked, { method, headers, body, ca: opts.ca }, signal);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (REDIRECTS.has(status) && location) {
        res.destroy();
        if (hop >= maxRedirects) {
          throw new OutboundError(
            'too_many_redirects',
            maxRedirects === 0
              ? `${displayUrl(checked.url)} answered with a redirect (${status}); redirects are not followed for this request.`
              : `${displayUrl(checked.url)} redirected more than ${maxRedirects} times.`,
            { url: displayUrl(checked.url), status },
          );
        }
        const next = nextUrl(location, checked.url);
        if (status === 303 || ((status === 301 || status === 302) && method !== 'GET' && method !== 'HEAD')) {
          // As browsers do: the redirected request is a GET without the body.
          method = method === 'HEAD' ? 'HEAD' : 'GET';
          body = undefined;
          headers = without(headers, ['content-type', 'content-length']);
        }
        if (next.origin !== checked.url.origin) headers = without(headers, ORIGIN_CREDENTIALS);
        target = next;
        continue;
      }
      if (!accept(status)) {
        res.destroy();
        throw new OutboundError('http_status', `${displayUrl(checked.url)} answered ${status}${reason(status)}.`, {
          url: displayUrl(checked.url),
          status,
        });
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > opts.maxBodyBytes) {
        res.destroy();
        throw tooLarge(checked.url, opts.maxBodyBytes);
      }
      const limited = limitBody(res, checked.url, opts.maxBodyBytes, signal);
      const response = { status, headers: res.headers, url: checked.url.href, address };
      if (opts.responseType === 'stream') {
        limited.once('close', finish);
        return { ...response, body: limited };
      }
      const buffer = await collect(limited);
      finish();
      return { ...response, body: buffer };
    }
  } catch (err) {
    finish();
    throw err;
  }
}

/** Checks a URL for later use (a webhook at registration): scheme, host and addresses, within a deadline. */
export async function checkUrl(
  url: string | URL,
  policy: OutboundPolicy,
  opts: { resolver?: Resolver; deadlineMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const deadlineMs = opts.deadlineMs ?? 10_000;
  const signals = [AbortSignal.timeout(deadlineMs), ...(opts.signal ? [opts.signal] : [])];
  const controller = new AbortController();
  const onAbort = () =>
    controller.abort(
      opts.signal?.aborted
        ? new OutboundError('aborted', 'The check was cancelled.')
        : new OutboundError('timeout', `Could not check ${describeRaw(url)} within ${formatMs(deadlineMs)}.`),
    );
  for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
  try {
    if (signals.some((s) => s.aborted)) onAbort();
    await checkTarget(url, policy, { resolver: opts.resolver, signal: controller.signal });
  } finally {
    for (const s of signals) s.removeEventListener('abort', onAbort);
  }
}

interface Outgoing {
  method: string;
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
  ca: SafeFetchOptions['ca'];
}

/** One request to the checked target, connected only to its checked addresses; resolves at the response head. */
function send(target: CheckedTarget, out: Outgoing, signal: AbortSignal): Promise<{ res: IncomingMessage; address: string }> {
  const { url, hostname, port, addresses } = target;
  const allowed = new Set(addresses.map((a) => normalizeAddress(a.address)));
  const pinned: LookupFunction = (_host, options, callback) => {
    const family = options.family === 4 || options.family === 6 ? options.family : 0;
    const list = family ? addresses.filter((a) => a.family === family) : addresses;
    if (list.length === 0) {
      callback(Object.assign(new Error(`no IPv${family} address`), { code: 'ENOTFOUND' }), '', 0);
    } else if (options.all) {
      (callback as unknown as (err: null, list: { address: string; family: number }[]) => void)(null, list);
    } else {
      callback(null, list[0]!.address, list[0]!.family);
    }
  };
  const headers: Record<string, string> = { 'user-agent': 'batchcast', ...out.headers };
  if (out.body !== undefined) headers['content-length'] = String(Buffer.byteLength(out.body));
  const options: https.RequestOptions = {
    host: hostname,
    port,
    path: `${url.pathname}${url.search}`,
    method: out.method,
    headers,
    lookup: pinned,
    agent: false,
    signal,
    ...(out.ca ? { ca: out.ca } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(options);
    let address = '';
    req.once('socket', (socket) => {
      // Belt and braces: whatever connected must be one of the checked addresses.
      socket.once('connect', () => {
        address = normalizeAddress(socket.remoteAddress ?? '');
        if (!allowed.has(address)) req.destroy(new OutboundError('address_not_allowed', `The address of ${url.hostname} is not allowed.`));
      });
    });
    req.once('response', (res) => resolve({ res, address }));
    req.once('error', (err) => {
      if (signal.aborted) return reject(signal.reason);
      if (err instanceof OutboundError) return reject(err);
      const code = (err as { code?: unknown }).code;
      const codeText = typeof code === 'string' ? code : '';
      const tls = url.protocol === 'https:' && TLS_ERROR.test(codeText);
      const why = CERTIFICATE_ERROR.test(codeText)
        ? 'its certificate is not valid for that name or not trusted'
        : 'the handshake failed, the server did not answer with TLS (it may speak plain HTTP on that port: then use an http:// URL, or set up TLS on the server)';
      reject(
        new OutboundError(
          tls ? 'tls_failed' : 'connect_failed',
          tls
            ? `The TLS connection to ${url.host} failed (${codeText}): ${why}.`
            : `Could not connect to ${url.host}${codeText ? ` (${codeText})` : ''}.`,
          { url: displayUrl(url) },
        ),
      );
    });
    req.end(out.body);
  });
}

/** The response body, counted: more than `max` bytes, a broken connection or the deadline fail it. */
function limitBody(res: IncomingMessage, url: URL, max: number, signal: AbortSignal): Readable {
  let seen = 0;
  const limited = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > max) return done(tooLarge(url, max));
      done(null, chunk);
    },
  });
  const onAbort = () => limited.destroy(signal.reason as Error);
  signal.addEventListener('abort', onAbort, { once: true });
  res.once('error', (err) => {
    limited.destroy(
      signal.aborted
        ? (signal.reason as Error)
        : new OutboundError('response_failed', `The connection to ${url.host} broke while reading the answer (${errorCode(err)}).`, {
            url: displayUrl(url),
          }),
    );
  });
  limited.once('close', () => {
    signal.removeEventListener('abort', onAbort);
    res.destroy();
  });
  res.pipe(limited);
  return limited;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function nextUrl(location: string, base: URL): URL {
  try {
    return new URL(location, base);
  } catch {
    throw new OutboundError('invalid_url', `${displayUrl(base)} redirected to an invalid URL.`, { url: displayUrl(base) });
  }
}

const tooLarge = (url: URL, max: number) =>
  new OutboundError('too_large', `The answer of ${displayUrl(url)} is larger than ${max} bytes.`, { url: displayUrl(url) });

/** A standard reason phrase for a status; the server's own phrase is not shown (it is the server's text). */
const reason = (status: number) => (http.STATUS_CODES[status] ? ` ${http.STATUS_CODES[status]}` : '');

const errorCode = (err: unknown) => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'closed early';
};

/** One text per address: `::ffff:127.0.0.1` is `127.0.0.1`, `0:0:0:0:0:0:0:1` is `::1`. */
function normalizeAddress(address: string): string {
  const ip = parseIp(address);
  if (!ip) return address;
  if (ip.kind() === 'ipv6' && (ip as IPv6).isIPv4MappedAddress()) return (ip as IPv6).toIPv4Address().toString();
  return ip.toString();
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function without(headers: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !names.includes(k)));
}

/** A URL not parsed yet, as messages show it: without credentials or query when it parses, else generically. */
function describeRaw(url: string | URL): string {
  try {
    return displayUrl(new URL(String(url)));
  } catch {
    return 'the URL';
  }
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
