import { CsvFormatError, type CsvFormatErrorCode } from '@batchcast/csv';
import { FormatError, type FormatErrorCode } from '@batchcast/formats';
import { DomainError, type DomainErrorKind } from '../errors.js';

/** An error as it crosses from a thread to its parent: what the parent needs to tell the caller the same thing. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  /** FormatError's and CsvFormatError's code, DomainError's, or a system error's (`ENOENT`). */
  code?: string;
  line?: number;
  kind?: DomainErrorKind;
  details?: Record<string, unknown>;
}

/**
 * A thrown value as plain data. Structured cloning keeps an Error's message but not its class nor its own
 * fields (a FormatError's code), which decide the answer: a file that cannot be read is a 422 naming it.
 */
export function toWireError(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const e = err as Error & { code?: unknown; line?: unknown; kind?: unknown; details?: unknown };
  return {
    name: e.name,
    message: e.message,
    stack: e.stack,
    code: typeof e.code === 'string' ? e.code : undefined,
    line: typeof e.line === 'number' ? e.line : undefined,
    kind: err instanceof DomainError ? err.kind : undefined,
    details: err instanceof DomainError ? err.details : undefined,
  };
}

/** The error again, of the class it was thrown as where the callers tell classes apart. */
export function fromWireError(w: WireError): Error {
  let err: Error;
  if (w.name === 'FormatError') err = new FormatError(w.code as FormatErrorCode, w.message, w.line);
  else if (w.name === 'CsvFormatError') err = new CsvFormatError(w.code as CsvFormatErrorCode, w.message, w.line);
  else if (w.name === 'DomainError' && w.kind) err = new DomainError(w.kind, w.code ?? 'error', w.message, w.details);
  else {
    err = Object.assign(new Error(w.message), w.code === undefined ? {} : { code: w.code });
    err.name = w.name;
  }
  if (w.stack) err.stack = w.stack;
  return err;
}
