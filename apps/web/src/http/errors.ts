import { ContractViolation } from '@batchcast/contract';
import { DomainError, type DomainErrorKind } from '@batchcast/jobs';
import type { Logger } from '@batchcast/log';
import type { ErrorRequestHandler, Request } from 'express';
import type multer from 'multer';
import { formatBytes } from '@batchcast/bytes';
import { errorPage } from '../views/error-page.js';
import { MethodNotAllowed } from './method-not-allowed.js';

/** The one place where the domain's kinds of refusal become HTTP statuses. */
const STATUS: Record<DomainErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  too_large: 413,
  unsupported_media: 415,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
  // 504, not 503: the server is up and has scoring processes for other models; the model it runs, like a
  // gateway's upstream, did not answer in time. A 503 would tell clients to retry after Retry-After, and a retry
  // of a model that computes for ever only takes another process for as long.
  model_timeout: 504,
  // 502: the model's scoring process, this server's upstream for the request, failed.
  model_crashed: 502,
  lost: 500,
};

export const statusOf = (err: DomainError): number => STATUS[err.kind];

/**
 * Every 429 and 503 says when to ask again (RFC 9110's Retry-After): clients and their HTTP libraries (the CLI,
 * urllib3's Retry, got) wait for it, and without it retry at once or give up. A refusal that knows when gives
 * `retryAfterSeconds`; the others (a key at its concurrent-jobs quota, a dependency or the disk unavailable) a
 * minute, as their messages say.
 */
const COME_BACK_AFTER_SECONDS: Record<number, number | undefined> = { 429: 60, 503: 60 };
/**
 * PostgreSQL or Redis unreachable is most often one restarting, back within seconds: a minute made clients that
 * honour Retry-After give up instead (the CLI waits 30 s at most, then tells the person), on a one-second restart.
 */
const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

/** A refusal raised by the HTTP layer itself (auth, rate limits, malformed requests): a DomainError of that kind. */
export const refuse = (kind: DomainErrorKind, code: string, message: string, details?: Record<string, unknown>): DomainError =>
  new DomainError(kind, code, message, details);

/**
 * A refusal with an HTTP status no domain kind maps to (406: about the request's headers, not the domain);
 * answered like the others, `{ error: { code, message } }`.
 */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpRefusal';
  }
}

/**
 * An upload whose file is past MAX_UPLOAD_BYTES, said with the limit and what to do: the limit counts the bytes
 * sent, so a compressed file (decompressed by the server on the way) counts compressed.
 */
export function fileTooLarge(maxUploadBytes: number): DomainError {
  return refuse(
    'too_large',
    'file_too_large',
    `The file is larger than the ${formatBytes(maxUploadBytes)} this server accepts (its MAX_UPLOAD_BYTES). ` +
      'Compress it (gzip or zstd: the limit counts the bytes sent) or split it into smaller files.',
  );
}

/**
 * Multer's limit errors, said in words a person can act on. `fields`: the form's fields besides the file
 * (a job upload's and a model registration's differ), named when there are too many.
 */
export function fromMulterError(err: multer.MulterError, maxUploadBytes: number, fields: readonly string[]): DomainError {
  const names = ['file', ...fields].map((f) => `"${f}"`);
  const only = `send only ${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  switch (err.code) {
    case 'LIMIT_FILE_SIZE':
      return fileTooLarge(maxUploadBytes);
    case 'LIMIT_UNEXPECTED_FILE':
      return refuse(
        'invalid',
        'unexpected_file',
        `Send exactly one file, in the form field "file" (got "${String(err.field ?? '').slice(0, 100)}").`,
      );
    case 'LIMIT_FILE_COUNT':
      return refuse('invalid', 'too_many_files', 'Send exactly one file per upload, in the form field "file".');
    case 'LIMIT_FIELD_COUNT':
    case 'LIMIT_PART_COUNT':
      return refuse('invalid', 'too_many_fields', `The form has too many fields: ${only}.`);
    case 'LIMIT_FIELD_VALUE':
      return refuse('invalid', 'field_too_large', `The form field "${String(err.field ?? '').slice(0, 100)}" is too long.`);
    case 'LIMIT_FIELD_KEY':
      return refuse('invalid', 'field_name_too_long', `A form field name is too long: ${only}.`);
    default:
      return refuse('invalid', 'bad_upload', `The upload was refused: ${err.message}.`);
  }
}

/**
 * Errors busboy raises for a body that is not well-formed multipart (cut short, no boundary, broken part
 * headers): the client's mistake (or a dropped connection), a 400 rather than a 500. Disk errors (with a
 * `code` such as ENOSPC) are not among them.
 */
function isMalformedMultipart(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return (
    !!e &&
    e.code === undefined &&
    typeof e.message === 'string' &&
    /^(Unexpected end of (form|file)|Malformed (part header|content type)|Multipart: Boundary not found|Unsupported content type|Missing Content-Type|Request (aborted|closed))/i.test(
      e.message,
    )
  );
}

/**
 * A multipart body busboy could not read (isMalformedMultipart) as `400 malformed_upload`, for data uploads and
 * model registrations alike; null for any other error.
 */
export function fromMalformedMultipart(err: unknown): DomainError | null {
  if (!isMalformedMultipart(err)) return null;
  return refuse(
    'invalid',
    'malformed_upload',
    `The upload is not a complete multipart/form-data body (${(err as Error).message}). Send the file again.`,
  );
}

/**
 * A code has one status wherever it is answered (docs/api.md). `invalid_email` is the domain's 400 for an
 * address mail cannot reach (@batchcast/jobs email-address.ts); the contract's check of the field's type (not
 * a string, missing) gives the same code, so it gets the same status rather than the 422 of other fields.
 */
const CONTRACT_STATUS: Record<string, number | undefined> = { invalid_email: 400 };

function contractStatus(err: ContractViolation): number {
  return CONTRACT_STATUS[err.code] ?? (err.field === null ? 400 : 422);
}

/** What the client is told: a status and `{ error: { code, message, ...details } }`. */
export interface HttpFailure {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

const malformedUrl = (): HttpFailure => ({
  status: 400,
  code: 'malformed_url',
  message: 'The URL is malformed: each "%" in its path must start a percent-encoded UTF-8 byte (%XX); send a literal "%" as %25.',
});

/**
 * What a request no route answered gets: `404 not_found`, or `400 malformed_url` when its path does not decode (a
 * route with a parameter says so when it decodes the parameter; a path no route matched, `/api/%zz`, was a 404).
 */
export function nothingThere(req: Request): HttpRefusal {
  try {
    decodeURIComponent(req.path);
  } catch {
    const { status, code, message } = malformedUrl();
    return new HttpRefusal(status, code, message);
  }
  return new HttpRefusal(404, 'not_found', `Nothing at ${req.method} ${req.path}.`);
}

/**
 * Any error as the answer to send: domain refusals with their kind's status, contract violations (422 for a
 * field, 400 for the body), body-parser errors; anything else is a 503 when a dependency is down, else a
 * 500 whose details stay in the log.
 */
export function toHttpFailure(err: unknown, log: Logger, req: Request): HttpFailure {
  if (err instanceof DomainError)
    return { status: statusOf(err), code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) };
  if (err instanceof ContractViolation) return { status: contractStatus(err), code: err.code, message: err.message };
  if (err instanceof MethodNotAllowed) return { status: 405, code: 'method_not_allowed', message: err.message };
  if (err instanceof HttpRefusal) return { status: err.status, code: err.code, message: err.message };
  // The router could not decode a path parameter (`%ZZ`, a cut multi-byte sequence): the client's URL, not our fault.
  if (err instanceof URIError && (err as URIError & { status?: number }).status === 400) return malformedUrl();
  const e = err as { type?: string; limit?: number; encoding?: string; charset?: string } | null;
  if (e?.type === 'entity.too.large')
    return {
      status: 413,
      code: 'body_too_large',
      message: `The request body is too large${typeof e.limit === 'number' ? ` (at most ${e.limit.toLocaleString('en-US')} bytes here)` : ''}.`,
    };
  // The real-time endpoint's own reader says malformed_json too (with where): one code for one mistake.
  if (e?.type === 'entity.parse.failed') return { status: 400, code: 'malformed_json', message: 'The request body is not valid JSON.' };
  if (e?.type === 'encoding.unsupported')
    return {
      status: 415,
      code: 'unsupported_encoding',
      message: `Send this request's body uncompressed (content-encoding ${e.encoding ?? ''} is not taken here).`,
    };
  if (e?.type === 'charset.unsupported')
    return { status: 415, code: 'unsupported_charset', message: `Send this request's body as UTF-8 (not ${e.charset ?? 'that charset'}).` };
  // A body whose content-encoding (gzip, deflate, br: the real-time endpoint takes them) does not describe it,
  // or cut short: zlib's error, which body-parser hands on as a 400. It was answered 500 "on our side".
  const z = err as { code?: unknown; status?: unknown } | null;
  if (typeof z?.code === 'string' && z.code.startsWith('Z_') && z.status === 400) {
    const encoding = req.get('content-encoding') ?? 'its content-encoding';
    return {
      status: 400,
      code: 'invalid_compressed_body',
      message: `The request body is not whole ${encoding} data (${(err as Error).message}): send it compressed as its content-encoding says, or uncompressed without that header.`,
    };
  }
  // PostgreSQL's text and JSON cannot hold U+0000 (22021 for text, 22P05 for jsonb's \u0000): a value a client sent
  // (a name, a description) holding one is the client's to fix, not a 500. The formats refuse it in files earlier.
  if (z?.code === '22021' || z?.code === '22P05') {
    log.warn({ err, path: req.path }, 'a value with a NUL character refused by PostgreSQL');
    return {
      status: 400,
      code: 'invalid_text',
      message:
        'A value in this request holds a NUL character (U+0000), which batchcast cannot store: remove it and send the request again.',
    };
  }
  log.error({ err, path: req.path }, 'unhandled error');
  return isUnavailable(err)
    ? {
        status: 503,
        code: 'unavailable',
        message: `A service batchcast depends on is unavailable (restarting, most often). Try again in ${DEPENDENCY_RETRY_AFTER_SECONDS} seconds.`,
        details: { retryAfterSeconds: DEPENDENCY_RETRY_AFTER_SECONDS },
      }
    : { status: 500, code: 'internal', message: 'Something went wrong on our side. Try again; if it persists, tell the operators.' };
}

/**
 * Errors as JSON for API clients (`{ error: { code, message, ...details } }`), and as a page saying what
 * happened and what to do for browsers: whoever prefers text/html to JSON (a browser following a link does;
 * fetch, curl and the CLI do not).
 */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const f = toHttpFailure(err, log, req);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const retryAfter = f.details?.retryAfterSeconds ?? COME_BACK_AFTER_SECONDS[f.status];
    if (typeof retryAfter === 'number' && !res.get('retry-after')) res.set('retry-after', String(retryAfter));
    // RFC 9110: a 401 says how to authenticate. Every credential here is a bearer; a key that was sent but
    // refused (invalid, revoked) is an invalid_token in RFC 6750's terms.
    if (f.status === 401) res.set('www-authenticate', wwwAuthenticate(f.code));
    res.status(f.status).vary('accept');
    if (req.accepts(['json', 'html']) === 'html') {
      res.type('html').send(errorPage({ status: f.status, code: f.code, message: f.message, path: req.path }));
      return;
    }
    res.json({ error: { code: f.code, message: f.message, ...(f.details ?? {}) } });
  };
}

function wwwAuthenticate(code: string): string {
  return code === 'invalid_api_key' || code === 'revoked_api_key'
    ? 'Bearer realm="batchcast", error="invalid_token"'
    : 'Bearer realm="batchcast"';
}

/**
 * PostgreSQL or Redis not reachable, restarting, or out of connections (53300: max_connections or a role's
 * limit reached, as many worker hosts' pools can reach it): a 503, not a 500, so clients know to retry.
 */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300', '08006', '08001'].includes(e.code ?? '') ||
    /Connection is closed|Stream isn't writeable|enableOfflineQueue|Connection terminated|timeout exceeded when trying to connect|MaxRetriesPerRequest/i.test(
      e.message ?? '',
    )
  );
}
