import type { Job } from 'bullmq';
import { finishJob, firstRowError, getJob, listChunks } from '@batchcast/db';
import type { Payload } from '@batchcast/queue';
import type { WorkerContext } from '../context.js';

/**
 * Runs once every chunk has finished or given up. Reads the outcome from PostgreSQL (never from Redis,
 * which may have been emptied meanwhile), ends the job, and queues the email as a job of its own so that
 * an SMTP outage is retried without re-running any inference.
 */
export async function finalizeJob(ctx: WorkerContext, payload: Payload<'finalize-job'>, _job: Job): Promise<void> {
  const log = ctx.log.child({ jobId: payload.jobId });
  const job = await getJob(ctx.pool, payload.jobId);
  if (!job) return;
  if (job.status === 'queued' || job.status === 'running') {
    const chunks = await listChunks(ctx.pool, job.id);
    const broken = chunks.find((c) => !c.done);
    let outcome: { status: 'succeeded' | 'failed'; error: string | null };
    if (broken) {
      outcome = {
        status: 'failed',
        error:
          `Rows ${broken.firstRow + 1} to ${broken.firstRow + broken.rows} could not be scored after ${broken.attempts} attempts` +
          (broken.error ? `: ${broken.error}` : '') +
          '. This is a problem on our side; please try again later.',
      };
    } else {
      const fresh = (await getJob(ctx.pool, job.id))!;
      if (fresh.rowsTotal > 0 && fresh.rowsFailed === fresh.rowsTotal) {
        const sample = await firstRowError(ctx.pool, job.id);
        outcome = {
          status: 'failed',
          error: `No row could be scored${sample ? ` (row ${sample.row + 1}: ${sample.error})` : ''}. Fix the file and upload it again.`,
        };
      } else {
        outcome = { status: 'succeeded', error: null };
      }
    }
    if (await finishJob(ctx.pool, job.id, outcome)) log.info({ status: outcome.status }, 'job finished');
  }
  const ended = await getJob(ctx.pool, job.id);
  if (ended?.email && !ended.notifiedAt) await ctx.producer.add('send-email', { jobId: job.id });
}
