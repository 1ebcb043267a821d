import { UnrecoverableError } from 'bullmq';
import { runSchedule } from '@batchcast/jobs';
import type { Handler } from './handler.js';

/**
 * One firing of a schedule's timer. A run that could not make a job has been recorded as a failed job (the
 * owner is told); the queue job then fails for good instead of retrying.
 */
export const scheduledRunHandler: Handler<'scheduled-run'> = (ctx) => async (payload, job) => {
  const outcome = await runSchedule(ctx, {
    schedule: payload.schedule,
    runKey: job.id ?? `${payload.schedule}:${job.timestamp}`,
    lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
    signal: job.signal,
  });
  if (outcome.status === 'failed') throw new UnrecoverableError(outcome.reason);
};
