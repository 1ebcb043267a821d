import type { Request } from 'express';
import { getExpiredJob, getJob, type JobRecord } from '@batchcast/db';
import { jobPagePath, tokenMatches } from '@batchcast/access';
import { tokenFrom } from '../auth/job-token.js';
import type { WebContext } from '../context.js';
import { HttpError, notFound } from '../http/errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The job named in the URL, if the request carries its token. A wrong token, a missing token and an
 * unknown id all answer the same 404, so a job's existence is never revealed to someone without the link.
 */
export async function jobForRequest(ctx: WebContext, req: Request): Promise<{ job: JobRecord; token: string }> {
  const id = String(req.params.id ?? '');
  if (!UUID.test(id)) throw notFound();
  const token = tokenFrom(req);
  const job = await getJob(ctx.pool, id.toLowerCase());
  if (!job && token) await throwIfExpired(ctx, id.toLowerCase(), token);
  if (!job || !token || !tokenMatches(token, job.tokenHashes)) throw notFound();
  return { job, token };
}

/**
 * A job deleted by the retention sweep answers 410 Gone to its own links (the tombstone keeps its token
 * hashes); anything else about it stays a 404, as for a job that never existed.
 */
async function throwIfExpired(ctx: WebContext, id: string, token: string): Promise<void> {
  const expired = await getExpiredJob(ctx.pool, id);
  if (!expired || !tokenMatches(token, expired.tokenHashes)) return;
  const days = ctx.config.storage.retentionDays;
  throw new HttpError(
    410,
    'expired',
    `This job's data was deleted on ${expired.expiredAt.toISOString().slice(0, 10)}: results are kept ${days} day${days === 1 ? '' : 's'} ` +
      'after a job ends. Upload the file again to score it anew.',
    { expiredAt: expired.expiredAt.toISOString() },
  );
}

export function jobLinks(id: string, token: string) {
  const t = encodeURIComponent(token);
  return {
    self: `/api/jobs/${id}?token=${t}`,
    page: jobPagePath(id, token),
    results: `/api/jobs/${id}/results.csv?token=${t}`,
  };
}

/** Links of the job page beyond the contract's three: summary, failed rows, cancelling (API and plain form). */
export function jobActionLinks(id: string, token: string) {
  const t = encodeURIComponent(token);
  return {
    summary: `/api/jobs/${id}/summary?token=${t}`,
    errors: `/api/jobs/${id}/errors.csv?token=${t}`,
    cancel: `/api/jobs/${id}/cancel?token=${t}`,
    cancelForm: `/jobs/${id}/cancel?token=${t}`,
  };
}
