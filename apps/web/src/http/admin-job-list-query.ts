import { type Cursor, decodeCursor, DomainError } from '@batchcast/jobs';
import type { Request } from 'express';

/** A page of /admin's job list: its search (`jobs=`) and where it starts (`jobsBefore=`, the previous page's `next`). */
export interface AdminJobListQuery {
  search: string | null;
  before: Cursor | null;
}

/** The longest search: a job id is 36 characters, an address at most 254. */
const MAX_SEARCH = 254;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The list's query, or what is wrong with it, in words an operator can act on. Its pages' cursors are the API's
 * (`encodeCursor` in @batchcast/jobs), read back by the same check; only the words of a damaged one are the page's.
 */
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
  try {
    return { search, before: decodeCursor(jobsBefore, UUID) };
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    return {
      code: 'invalid_jobs_before',
      error: 'The link to this page of jobs is damaged (its "jobsBefore" value cannot be read): open the list again from its first page.',
    };
  }
}
