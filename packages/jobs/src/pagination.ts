import { DomainError } from './errors.js';

/**
 * Opaque cursors of keyset pagination: where the next page starts (the last row's creation time, to the
 * microsecond as PostgreSQL prints it, and its id), base64url-encoded so that clients pass them back as
 * they are. They are not signed: every list is filtered by its owner anyway, so a made-up cursor only
 * pages through what the caller may see.
 */
export interface Cursor {
  createdAt: string;
  id: string;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

const PG_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/;

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.createdAt, c.id])).toString('base64url');
}

/** A cursor given back by a client; `unprocessable` (`invalid_cursor`) when it is not one we made. */
export function decodeCursor(text: string, id: RegExp): Cursor {
  const invalid = new DomainError(
    'unprocessable',
    'invalid_cursor',
    'The "cursor" is not one this server gave: pass the "next" of the previous page as it is, or leave it out for the first page.',
  );
  if (text.length > 200 || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalid;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid;
  const [createdAt, rowId] = parsed as unknown[];
  if (typeof createdAt !== 'string' || typeof rowId !== 'string' || !PG_TIMESTAMP.test(createdAt) || !id.test(rowId)) throw invalid;
  // Of PostgreSQL's form but no date (month 13): PostgreSQL would refuse it with a 500, not this 422.
  if (Number.isNaN(Date.parse(createdAt.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00')))) throw invalid;
  return { createdAt, id: rowId };
}

/** Checks a page size: 1 to MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE when not given. */
export function pageSize(limit: number | undefined): number {
  const n = limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw new DomainError(
      'unprocessable',
      'invalid_limit',
      `"limit" is a whole number from 1 to ${MAX_PAGE_SIZE} (${DEFAULT_PAGE_SIZE} when not given).`,
    );
  }
  return n;
}
