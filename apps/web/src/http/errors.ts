import type { ErrorRequestHandler, Request } from 'express';
import type multer from 'multer';
import type { Logger } from '@batchcast/log';
import { Refusal } from '@batchcast/submit';

/**
 * A client's mistake or a refusal: becomes `{ "error": { "code", "message" } }` with this status. A
 * Refusal from @batchcast/submit (shared with scheduled runs) is answered the same way.
 */
export class HttpError extends Refusal {
  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(status, code, message, details);
    this.name = 'HttpError';
  }
}

export const notFound = (what = 'job'): HttpError =>
  new HttpError(404, 'not_found', `No such ${what}. If you followed a link, check that it was copied whole, token included.`);

/** Multer's limit errors, said in words a person can act on. */
export function fromMulterError(err: multer.MulterError, maxUploadBytes: number): HttpError {
  switch (err.code) {
    case 'LIMIT_FILE_SIZE':
      return new HttpError(
        413,
        'file_too_large',
        `The file is larger than the ${formatBytes(maxUploadBytes)} this server accepts. Split it into smaller files.`,
      );
    case 'LIMIT_UNEXPECTED_FILE':
      return new HttpError(400, 'unexpected_file', `Send exactly one file, in the form field "file" (got "${err.field}").`);
    case 'LIMIT_FILE_COUNT':
      return new HttpError(400, 'too_many_files', 'Send exactly one file per upload, in the form field "file".');
    case 'LIMIT_FIELD_COUNT':
    case 'LIMIT_PART_COUNT':
      return new HttpError(400, 'too_many_fields', 'The form has too many fields: send only "file", "model" and "email".');
    case 'LIMIT_FIELD_VALUE':
      return new HttpError(400, 'field_too_large', `The form field "${String(err.field ?? '').slice(0, 100)}" is too long.`);
    case 'LIMIT_FIELD_KEY':
      return new HttpError(400, 'field_name_too_long', 'A form field name is too long: send only "file", "model" and "email".');
    default:
      return new HttpError(400, 'bad_upload', `The upload was refused: ${err.message}.`);
  }
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Number.isInteger(n) ? n : n.toFixed(1)} ${units[i]}`;
}

/** JSON errors for the API; anything unexpected is a 500 whose details stay in the log. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req: Request, res, _next) => {
    let e: Refusal;
    if (err instanceof Refusal) e = err;
    else if (err?.type === 'entity.too.large') e = new HttpError(413, 'body_too_large', 'The request body is too large.');
    else if (err?.type === 'entity.parse.failed') e = new HttpError(400, 'invalid_json', 'The request body is not valid JSON.');
    else {
      log.error({ err, path: req.path }, 'unhandled error');
      e = new HttpError(
        503 * Number(isUnavailable(err)) || 500,
        isUnavailable(err) ? 'unavailable' : 'internal',
        isUnavailable(err)
          ? 'A service batchcast depends on is unavailable. Try again in a minute.'
          : 'Something went wrong on our side. Try again; if it persists, tell the operators.',
      );
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(e.status).json({ error: { code: e.code, message: e.message, ...(e.details ?? {}) } });
  };
}

/** PostgreSQL or Redis not reachable: a 503, not a 500, so clients know to retry. */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P03', '08006', '08001'].includes(e.code ?? '') ||
    /Connection is closed|Stream isn't writeable|enableOfflineQueue|Connection terminated|timeout exceeded when trying to connect|MaxRetriesPerRequest/i.test(
      e.message ?? '',
    )
  );
}
