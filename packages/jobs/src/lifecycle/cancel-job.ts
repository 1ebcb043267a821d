import { finishJob } from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { DomainError, notFound } from '../errors.js';
import { isVisible, type Job, type VisibleJob } from '../records.js';
import { discardEnded, tellWebhooks } from './finalise-job.js';
import { loadJob } from './load-job.js';

/**
 * Ends a queued or running job as cancelled. Workers skip the chunks of a job that is no longer queued or
 * running (a chunk being scored at that moment finishes its run but stores nothing: the job's counts stay the
 * ones this answers with and its webhook tells), and the finaliser leaves its status alone. What its chunks
 * stored before the cancel is deleted once the cancel has committed (no chunk can store after it), as its page
 * and the cancel's confirmation say; the finaliser deletes it again should this fail.
 * A job that has already ended is a conflict (`already_finished`).
 */
export async function cancelJob(ctx: JobsContext, job: Job): Promise<VisibleJob> {
  if (!(await finishJob(ctx.pool, job.id, { status: 'cancelled', error: null }))) {
    const now = (await loadJob(ctx.pool, job.id)) ?? job;
    throw new DomainError(
      'conflict',
      'already_finished',
      `The job has already ended (${now.status}); only a queued or running job can be cancelled.`,
      { status: now.status },
    );
  }
  ctx.log.info({ jobId: job.id }, 'job cancelled by its owner');
  // The cancel stands either way: a failure here leaves the deletion to the job's finaliser, which runs once
  // its chunks have all been skipped.
  await discardEnded(ctx, { id: job.id, status: 'cancelled' }).catch((err) =>
    ctx.log.warn({ jobId: job.id, err: (err as Error).message }, "could not delete a cancelled job's predictions now; its finaliser will"),
  );
  await tellWebhooks(ctx, job.id);
  const now = await loadJob(ctx.pool, job.id);
  if (!now || !isVisible(now)) throw notFound(); // removed meanwhile by retention
  return now;
}
