import { tokenMatches } from '@batchcast/access';
import { getExpiredJob } from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { DomainError, notFound } from '../errors.js';
import { loadJob } from '../lifecycle/load-job.js';
import { isVisible, type VisibleJob } from '../records.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The job `id`, if `token` opens it. A wrong token, a missing token and an unknown id are all the same
 * `not_found`, so a job's existence is never revealed to someone without the link. A job deleted by the
 * retention sweep is `gone` to its own links (the tombstone keeps its token hashes).
 */
export async function openJob(ctx: JobsContext, id: string, token: string | null): Promise<VisibleJob> {
  if (!UUID.test(id)) throw notFound();
  const jobId = id.toLowerCase();
  const job = await loadJob(ctx.pool, jobId);
  if (!job && token) await throwIfExpired(ctx, jobId, token);
  if (!job || !isVisible(job) || !token || !tokenMatches(token, job.tokenHashes)) throw notFound();
  return job;
}

async function throwIfExpired(ctx: JobsContext, id: string, token: string): Promise<void> {
  const expired = await getExpiredJob(ctx.pool, id);
  if (!expired || !tokenMatches(token, expired.tokenHashes)) return;
  const days = ctx.config.storage.retentionDays;
  throw new DomainError(
    'gone',
    'expired',
    `This job's data was deleted on ${expired.expiredAt.toISOString().slice(0, 10)}: results are kept ${days} day${days === 1 ? '' : 's'} ` +
      'after a job ends. Upload the file again to score it anew.',
    { expiredAt: expired.expiredAt.toISOString() },
  );
}
