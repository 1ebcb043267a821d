import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, lstat, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { z } from 'zod';
import { UsageError } from './args.js';
import { type Destination, openDirect, resultsDestination, writeDirect, writeReplacing } from './out-file.js';
import { NEVER_THERE, TRANSIENT, withRetries } from './retry.js';

/** A refusal or failure reported by the server (`{ error: { code, message } }`), or a network problem. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string | null,
    /** The server could not be reached at all (no answer): the command says where the address came from. */
    readonly unreachable = false,
    /** When the server said to ask again (Retry-After, in seconds; a 429 or 503), or null. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** For an upload the server answered before the file's end: the file bytes sent by then, else null. */
  sentBeforeAnswer: number | null = null;
}

const agentFor = (url: URL) => (url.protocol === 'https:' ? https : http);
const USER_AGENT = 'batchcast-cli/0.1';

function networkError(base: URL, err: Error): ApiError {
  const code = (err as { code?: string }).code;
  const why =
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ENOTFOUND'
        ? 'unknown host'
        : // An https:// URL at a server that answers plain HTTP: OpenSSL's own words ("wrong version number") said nothing.
          /wrong version number/.test(err.message)
          ? `the server there speaks plain http, not https: try http://${base.host}`
          : err.message;
  return new ApiError(`cannot reach batchcast at ${base.origin} (${why})`, null, code ?? null, true);
}

async function readBody(res: http.IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const d of res) parts.push(d as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function fromResponse(url: URL, res: http.IncomingMessage, text: string): ApiError {
  const status = res.statusCode ?? 0;
  const retryAfter = retryAfterOf(res.headers['retry-after']);
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error?.message) return new ApiError(body.error.message, status, body.error.code ?? null, false, retryAfter);
  } catch {
    // not JSON
  }
  return notBatchcast(url, res, retryAfter);
}

/**
 * An answer that is not one of batchcast's (--url at another web server, a proxy's error page): said as such,
 * with its status and content type, never its body (a whole HTML page in the terminal said nothing useful).
 */
function notBatchcast(url: URL, res: http.IncomingMessage, retryAfter: number | null = null): ApiError {
  const status = res.statusCode ?? 0;
  const type = res.headers['content-type']?.split(';')[0]?.trim() || 'no content type';
  return new ApiError(
    `the server at ${url.origin} did not answer as batchcast does (${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}, ${type})`,
    status,
    'not_batchcast',
    false,
    retryAfter,
  );
}

/** Retry-After in seconds: its delay-seconds form, or its HTTP date (a gateway's) from now; null without one. */
function retryAfterOf(value: string | undefined): number | null {
  if (value === undefined) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/**
 * A JSON answer checked against its contract schema: an answer that does not match (another version of
 * batchcast, or not batchcast at all) is said as such rather than failing later on a missing field.
 */
export function checked<S extends z.ZodType>(url: URL, schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new ApiError(
    `the server at ${url.origin} answered something this batchcast CLI does not understand` +
      `${issue ? ` (${issue.path.join('.') || 'body'}: ${issue.message})` : ''}; is it the same version?`,
    null,
    'off_contract',
  );
}

/** GET a JSON document, checked against its contract schema. */
export async function getJson<S extends z.ZodType>(url: URL, schema: S, headers: Record<string, string> = {}): Promise<z.infer<S>> {
  return checked(url, schema, await requestRaw(url, 'GET', headers, undefined, false));
}

/**
 * A JSON request (POST, DELETE…) with an optional JSON body; the answer checked against `schema`, or
 * undefined for an answer without a body (204).
 */
export async function requestJson<S extends z.ZodType>(
  url: URL,
  opts: { method: string; schema: S; body?: unknown; headers?: Record<string, string> },
): Promise<z.infer<S> | undefined> {
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body), 'utf8');
  const headers = {
    ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
    ...opts.headers,
  };
  const raw = await requestRaw(url, opts.method, headers, payload, true);
  return raw === undefined ? undefined : checked(url, opts.schema, raw);
}

/**
 * One request and its answer's JSON: a refusal (4xx/5xx) thrown as the server said it, an answer that is not
 * JSON said as not batchcast's, and an answer without a body undefined where `bodyless` allows one (204).
 */
function requestRaw(
  url: URL,
  method: string,
  headers: Record<string, string>,
  payload: Buffer | undefined,
  bodyless: boolean,
): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    const req = agentFor(url).request(
      url,
      { method, headers: { accept: 'application/json', 'user-agent': USER_AGENT, ...headers }, timeout: 60_000 },
      (res) => {
        readBody(res).then((text) => {
          const status = res.statusCode ?? 0;
          if (status >= 400) return reject(fromResponse(url, res, text));
          if (bodyless && (status === 204 || text === '')) return resolve(undefined);
          try {
            resolve(JSON.parse(text) as unknown);
          } catch {
            reject(notBatchcast(url, res));
          }
        }, reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 60 s')));
    req.on('error', (err) => reject(networkError(url, err)));
    req.end(payload);
  });
}

/** The file name the server suggests (Content-Disposition), reduced to a plain name; null when it gives none. */
function suggestedName(res: http.IncomingMessage): string | null {
  const disposition = res.headers['content-disposition'] ?? '';
  // filename* (UTF-8, percent-encoded) first: the name as it is ("données-predictions.csv"); filename="…" has
  // its non-ASCII letters replaced.
  const extended = /filename\*=UTF-8''([^;\s]+)/i.exec(disposition)?.[1];
  let name = /filename="([^"]+)"/.exec(disposition)?.[1];
  if (extended) {
    try {
      name = decodeURIComponent(extended);
    } catch {
      // malformed: keep the ASCII name
    }
  }
  // Never a hidden file (.bashrc, .npmrc, .env: a server, or a link that names another one, chooses this name).
  const plain = name ? path.basename(name.replace(/\\/g, '/')).replace(/^\.+/, '') : '';
  return plain || null;
}

/**
 * Downloads into `target`: a name given with --out (see resultsDestination: a regular file is replaced
 * atomically, a link's target gets the results, a FIFO or device is written to directly), `-` for stdout, or
 * null for the name the server suggests, in the current directory: a plain name that is not hidden, and never
 * over anything that is there. Returns the bytes written and where they went (the name as given).
 *
 * A server restarting is waited for as an upload's is (withRetries: 1, 2, 4, 8, 15 s): a refused or reset
 * connection, a gateway's 502/503/504, or a download cut off before its end is asked again, from the start (the
 * results have no ranges). A file is written under a temporary name and renamed once whole, so a cut download
 * leaves nothing under the final name, and the next attempt writes a new temporary file. Stdout, a FIFO or a
 * device cannot take back what they were given: once a byte went there, a cut ends the command, saying so.
 * `serverKnown`: the server is known to be there (the job link's own, or one just reached), so that a refused
 * connection at the first attempt is a restart too, rather than a wrong --url that fails at once.
 */
export async function downloadTo(
  url: URL,
  target: string | null,
  headers: Record<string, string> = {},
  opts: { serverKnown?: boolean } = {},
): Promise<{ bytes: number; file: string }> {
  const named = target === null || target === '-' ? null : target;
  // Found again now, not taken from the check before the job ran: what is at the name may have changed since.
  const dest =
    named === null
      ? null
      : await resultsDestination(named).catch((err: unknown) => {
          throw err instanceof UsageError ? new Error(`the results were not written: ${err.message}`) : err;
        });
  // A FIFO is opened before the results are asked for: it waits there for its reader, not with the server's
  // answer held unread until the download's stall timeout.
  const direct = named !== null && dest?.kind === 'direct' ? await openDirect(dest, named) : null;
  const state = { given: false, closed: false };
  try {
    return await withRetries(
      () => downloadOnce(url, target, dest, direct, headers, state),
      (err, attempt) => !state.given && downloadWorthRetrying(err, attempt, opts.serverKnown ?? false),
      (wait) => `downloading again from the start in ${wait} s`,
    );
  } finally {
    // Not handed to a stream (which closes it), as when every attempt failed before the answer.
    if (direct && !state.closed) await direct.close().catch(() => undefined);
  }
}

/**
 * Whether a failed download is worth asking again: a network failure of a server going away or coming back
 * (a refused connection at the first attempt only when the server is known to be there), a gateway's
 * 502/503/504, or a download cut before its end. A refusal (404, 409 not_ready, a job that failed) is not.
 */
function downloadWorthRetrying(err: unknown, attempt: number, serverKnown: boolean): boolean {
  if (!(err instanceof ApiError)) return false;
  if (err.code === 'download_cut') return true;
  if (err.unreachable) {
    const code = err.code ?? '';
    if ((attempt > 1 || serverKnown) && TRANSIENT.includes(code)) return true;
    return !NEVER_THERE.includes(code);
  }
  return err.status === 502 || err.status === 503 || err.status === 504;
}

/**
 * One attempt of downloadTo. `state.given` is set once a byte went where it cannot be taken back (stdout, a
 * FIFO or device), `state.closed` once the direct destination was handed to its stream (which closes it).
 */
async function downloadOnce(
  url: URL,
  target: string | null,
  dest: Destination | null,
  direct: FileHandle | null,
  headers: Record<string, string>,
  state: { given: boolean; closed: boolean },
): Promise<{ bytes: number; file: string }> {
  const named = target === null || target === '-' ? null : target;
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = agentFor(url).request(
      url,
      { method: 'GET', headers: { 'user-agent': USER_AGENT, accept: '*/*', ...headers }, timeout: 120_000 },
      resolve,
    );
    req.on('timeout', () => req.destroy(new Error('the download stalled for 120 s')));
    req.on('error', (err) => reject(networkError(url, err)));
    req.end();
  });
  if ((res.statusCode ?? 0) >= 400) throw fromResponse(url, res, await readBody(res));
  // Counted from when the answer is piped (a listener before would start it flowing, into nothing).
  let received = 0;
  const counted = (stream: http.IncomingMessage) => {
    stream.on('data', (d: Buffer) => {
      received += d.length;
    });
    return stream;
  };
  // The answer ended before its end (the server went away mid-download): said as such, worth another attempt
  // unless part of it went where it cannot be taken back. A failure to write is said as it is.
  const cut = (err: unknown, where: string | null): unknown => {
    if (res.complete || (err as NodeJS.ErrnoException).syscall === 'write' || (err as NodeJS.ErrnoException).path !== undefined) return err;
    const why = (err as Error).message;
    if (where !== null && state.given)
      return new ApiError(
        `the download from ${url.origin} was cut off after ${received} bytes (${why}): ${where} has only the start of the results; download them again`,
        null,
        'download_cut_written',
      );
    return new ApiError(`the download from ${url.origin} was cut off after ${received} bytes (${why})`, null, 'download_cut');
  };
  const given = () => {
    state.given = true;
  };
  if (target === '-' || dest?.kind === 'stdout') {
    res.once('data', given);
    try {
      await pipeline(counted(res), process.stdout, { end: false });
    } catch (err) {
      throw cut(err, 'stdout');
    }
    return { bytes: received, file: named ?? '-' };
  }
  if (named !== null && direct) {
    res.once('data', given);
    state.closed = true;
    try {
      return { bytes: await writeDirect(counted(res), direct, named), file: named };
    } catch (err) {
      throw cut(err, named);
    }
  }
  try {
    if (named !== null && dest?.kind === 'replace') return { bytes: await writeReplacing(counted(res), dest.file, named), file: named };
  } catch (err) {
    throw cut(err, null);
  }
  const file = suggestedName(res) ?? 'results';
  // A name the server chose never replaces anything that is there (as curl -OJ), not even a link: only a name
  // the user gave does.
  if (
    await lstat(file).then(
      () => true,
      () => false,
    )
  ) {
    res.destroy();
    // The command's own refusal (nothing of the results read, nothing written), put right on the command line: a
    // usage error (exit 2), not the server's refusal or a failed job (exit 1) that a script would take it for.
    throw new UsageError(`${file} is already here: the results were not written. Give --out ${file} to replace it, or --out another name`);
  }
  try {
    return { bytes: await writeReplacing(counted(res), path.resolve(file), file), file };
  } catch (err) {
    throw cut(err, null);
  }
}

export interface MultipartUpload {
  fields: Record<string, string>;
  file: { path: string; field: string; contentType: string };
  headers?: Record<string, string>;
  /** Called with the number of file bytes sent so far. */
  onProgress?: (sent: number, total: number) => void;
}

/**
 * POSTs a multipart/form-data body with one file, streamed from disk (bounded memory), with a
 * Content-Length (so the server can refuse an oversized file before reading it) and progress reports.
 * Resolves with the status and the parsed JSON answer.
 */
export async function postMultipart<S extends z.ZodType>(
  url: URL,
  schema: S,
  upload: MultipartUpload,
): Promise<{ status: number; body: z.infer<S> }> {
  const size = (await stat(upload.file.path)).size;
  const boundary = `----batchcast${randomBytes(12).toString('hex')}`;
  const safe = (s: string) => s.replace(/["\r\n\\]/g, '_');
  let head = '';
  for (const [name, value] of Object.entries(upload.fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${safe(name)}"\r\n\r\n${value}\r\n`;
  }
  head += `--${boundary}\r\nContent-Disposition: form-data; name="${safe(upload.file.field)}"; filename="${safe(path.basename(upload.file.path))}"\r\nContent-Type: ${upload.file.contentType}\r\n\r\n`;
  const headBytes = Buffer.from(head, 'utf8');
  const tailBytes = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');

  return new Promise((resolve, reject) => {
    let settled = false;
    const req = agentFor(url).request(url, {
      method: 'POST',
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(headBytes.length + size + tailBytes.length),
        accept: 'application/json',
        'user-agent': USER_AGENT,
        ...upload.headers,
      },
    });
    req.setTimeout(120_000, () => req.destroy(new Error('the upload stalled for 120 s')));
    // The file bytes handed to the connection when the server answered, if it answered before the end of the
    // file: the rest is not sent (a server that refused early reads no more of it, and dropping what it still
    // gets says nothing), and the progress stops there rather than counting it.
    let sentWhenAnswered: number | null = null;
    req.on('response', (res) => {
      if (sent < size && sentWhenAnswered === null) {
        sentWhenAnswered = sent;
        stopSending();
      }
      readBody(res).then((text) => {
        settled = true;
        // What was cut short is ended now: its answer is read.
        if (sentWhenAnswered !== null) req.destroy();
        const status = res.statusCode ?? 0;
        if (status >= 400) {
          const err = fromResponse(url, res, text);
          err.sentBeforeAnswer = sentWhenAnswered;
          return reject(err);
        }
        try {
          resolve({ status, body: checked(url, schema, JSON.parse(text)) });
        } catch (err) {
          // checked()'s own words for JSON off the contract; not JSON at all is another server's answer.
          reject(err instanceof ApiError ? err : notBatchcast(url, res));
        }
      }, reject);
    });
    req.on('error', (err) => {
      // A server that refuses early (too large, rate limited) may close while we still send: its answer,
      // if it came, is what counts.
      if (!settled) setTimeout(() => !settled && reject(networkError(url, err)), 200);
    });
    let sent = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        if (sentWhenAnswered !== null) return done();
        sent += chunk.length;
        upload.onProgress?.(sent, size);
        done(null, chunk);
      },
    });
    let file: ReturnType<typeof createReadStream> | null = null;
    const stopSending = () => {
      count.unpipe(req);
      file?.unpipe(count);
      file?.destroy();
    };
    // The file is read only once the connection is up: before that, every byte would go into the request's
    // buffer at once and the progress would reach 100% for a server that was never reached.
    const send = () => {
      req.write(headBytes);
      if (sentWhenAnswered !== null) return;
      file = createReadStream(upload.file.path, { highWaterMark: 256 * 1024 });
      file.on('error', (err) => req.destroy(err));
      file.pipe(count).pipe(req, { end: false });
      count.on('end', () => sentWhenAnswered === null && req.end(tailBytes));
    };
    req.once('socket', (socket) => {
      if (socket.connecting) socket.once('connect', send);
      else send();
    });
  });
}
