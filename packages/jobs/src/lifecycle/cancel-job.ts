import { finishJob } from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { DomainError, notFound } from '../errors.js';
import { isVisible, type Job, type VisibleJob } from '../records.js';
import { tellWebhooks } from './finalise-job.js';
import { loadJob } from './load-job.js';

/**
 * Ends a queued or running job as cancelled. Workers skip the chunks of a job that is no longer queued or
 * running (a chunk being scored at that moment finishes its run but stores nothing: the job's counts stay the
 * ones this answers with and its webhook tells), and the finaliser leaves its status alone.
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
  await tellWebhooks(ctx, job.id);
  const now = await loadJob(ctx.pool, job.id);
  if (!now || !isVisible(now)) throw notFound(); // removed meanwhile by retention
  return now;
}
