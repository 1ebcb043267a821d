import type { AdminJobCursor } from '@batchcast/db';
import type { Request } from 'express';

/** A page of /admin's job list: its search (`jobs=`) and where it starts (`jobsBefore=`, the previous page's `next`). */
export interface AdminJobListQuery {
  search: string | null;
  before: AdminJobCursor | null;
}

/** The longest search: a job id is 36 characters, an address at most 254. */
const MAX_SEARCH = 254;
/** A timestamptz as PostgreSQL writes it as text. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `next` as a query value: opaque to the admin's browser, read back by readAdminJobListQuery. */
export const cursorText = (cursor: AdminJobCursor): string =>
  Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');

/** The list's query, or what is wrong with it, in words an operator can act on. */
export function readAdminJobListQuery(req: Request): AdminJobListQuery | { error: string; code: 'invalid_jobs' | 'invalid_jobs_before' } {
  const { jobs, jobsBefore } = req.query;
  if (jobs !== undefined && typeof jobs !== 'string')
    return { code: 'invalid_jobs', error: 'Search the jobs with one "jobs" value at a time.' };
  if (jobsBefore !== undefined && typeof jobsBefore !== 'string')
    return {
      code: 'invalid_jobs_before',
      error: 'The "jobsBefore" value is given more than once: open the list again from its first page.',
    };
  const search = jobs?.trim() ? jobs.trim() : null;
  if (search && search.length > MAX_SEARCH)
    return {
      code: 'invalid_jobs',
      error: `The search is ${search.length} characters long; at most ${MAX_SEARCH} (an address, a file name or the start of a job id).`,
    };
  if (!jobsBefore) return { search, before: null };
  const before = parseCursor(jobsBefore);
  if (!before)
    return {
      code: 'invalid_jobs_before',
      error: 'The link to this page of jobs is damaged (its "jobsBefore" value cannot be read): open the list again from its first page.',
    };
  return { search, before };
}

function parseCursor(text: string): AdminJobCursor | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [createdAt, id] = value as unknown[];
    if (typeof createdAt !== 'string' || !TIMESTAMP.test(createdAt) || typeof id !== 'string' || !UUID.test(id)) return null;
    // As PostgreSQL wrote it ("2026-12-06 02:41:05.443359+00"): a date JavaScript reads too, or not one at all.
    if (Number.isNaN(Date.parse(createdAt.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00')))) return null;
    return { createdAt, id };
  } catch {
    return null;
  }
}
