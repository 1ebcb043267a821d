import type { Job } from 'bullmq';
import { jobPagePath, newJobToken } from '@batchcast/access';
import { addJobToken, getJob, getModelById, markNotified, retryWhileDatabaseUnavailable } from '@batchcast/db';
import { renderJobOutcome } from '@batchcast/mail';
import type { Payload } from '@batchcast/queue';
import type { WorkerContext } from '../context.js';

/**
 * Tells the owner that the job ended, once. The link carries a token of its own (only its hash is
 * stored), built from PUBLIC_URL and nothing the user sent. A failure throws, and BullMQ retries with
 * backoff until the SMTP server answers.
 */
export async function sendEmail(ctx: WorkerContext, payload: Payload<'send-email'>, _job: Job): Promise<void> {
  const job = await getJob(ctx.pool, payload.jobId);
  if (!job?.email || job.notifiedAt) return;
  if (job.status !== 'succeeded' && job.status !== 'failed' && job.status !== 'cancelled') return;
  const model = await getModelById(ctx.pool, job.modelId);
  const { token, hash } = newJobToken();
  await addJobToken(ctx.pool, job.id, hash, 'email');
  const mail = renderJobOutcome({
    status: job.status,
    filename: job.filename,
    model: model ? `${model.name} v${model.version}` : 'unknown',
    rowsTotal: job.rowsTotal,
    rowsFailed: job.rowsFailed,
    rowsProcessed: job.rowsProcessed,
    durationSeconds: job.finishedAt && job.startedAt ? (job.finishedAt.getTime() - job.startedAt.getTime()) / 1000 : null,
    error: job.error,
    link: ctx.config.http.publicUrl + jobPagePath(job.id, token),
  });
  await ctx.mailer.send(job.email, mail);
  // Sent: from here on a failure must not make BullMQ send it again, so an outage of PostgreSQL is waited out.
  await retryWhileDatabaseUnavailable(ctx.pool, () => markNotified(ctx.pool, job.id), { log: ctx.log, what: 'mark notified' });
  ctx.log.info({ jobId: job.id, status: job.status }, 'owner notified');
}
