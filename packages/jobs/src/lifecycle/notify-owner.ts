import { jobPagePath, newJobToken } from '@batchcast/access';
import { addJobToken, listChunks, markNotified, retryWhileDatabaseUnavailable, scheduleOfJob } from '@batchcast/db';
import { type RenderedMail, renderJobOutcome } from '@batchcast/mail';
import { expiresAt } from '../come-back/expiry.js';
import type { JobsContext } from '../context.js';
import { modelById } from '../models/registry.js';
import type { Job } from '../records.js';
import { loadJob } from './load-job.js';
import { FILE_FAULT } from './score-chunk.js';

/** PostgreSQL's foreign_key_violation: a row added for a job deleted meanwhile. */
const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Tells the owner that the job ended, once. The link carries a token of its own (only its hash is stored),
 * built from PUBLIC_URL and nothing the user sent. A failure throws, and the queue retries with backoff
 * until the SMTP server answers.
 */
export async function notifyOwner(ctx: JobsContext, jobId: string): Promise<void> {
  const job = await loadJob(ctx.pool, jobId);
  if (!job?.email || job.notifiedAt) return;
  const mail = await outcomeMail(ctx, job).catch((err: unknown) => {
    // Deleted by its owner since it was read (deleteJob ends it, then deletes it): its link's token has no job
    // to belong to any more, and there is nothing to tell. Not a failure to retry and log as one.
    if ((err as { code?: unknown } | null)?.code === FOREIGN_KEY_VIOLATION) return 'deleted' as const;
    throw err;
  });
  if (mail === 'deleted') {
    ctx.log.info({ jobId: job.id }, 'job deleted before its email was sent; no email');
    return;
  }
  if (!mail) return;
  await ctx.mailer.send(job.email, mail);
  // Sent: from here on a failure must not make the queue send it again, so an outage of PostgreSQL is waited out.
  await retryWhileDatabaseUnavailable(ctx.pool, () => markNotified(ctx.pool, job.id), { log: ctx.log, what: 'mark notified' });
  ctx.log.info({ jobId: job.id, status: job.status }, 'owner notified');
}

/** The email that says how a job ended, with a link holding a new token; null while the job has not ended. */
export async function outcomeMail(ctx: JobsContext, job: Job): Promise<RenderedMail | null> {
  if (job.status !== 'succeeded' && job.status !== 'failed' && job.status !== 'cancelled') return null;
  const model = await modelById(ctx.pool, job.modelId).catch(() => null);
  const { token, hash } = newJobToken();
  await addJobToken(ctx.pool, job.id, hash, 'email');
  return renderJobOutcome({
    status: job.status,
    filename: job.filename,
    model: model ? `${model.name} v${model.version}` : 'unknown',
    rowsTotal: job.rowsTotal,
    rowsFailed: job.rowsFailed,
    rowsProcessed: job.rowsProcessed,
    durationSeconds: job.finishedAt && job.startedAt ? (job.finishedAt.getTime() - job.startedAt.getTime()) / 1000 : null,
    error: job.error,
    // As finaliseJob decided: a chunk given up because its rows cannot be read. The email said "a problem on
    // our side, not in your file" under "write the file again" before.
    fileFault: job.status === 'failed' && (await listChunks(ctx.pool, job.id)).some((c) => !c.done && c.error?.startsWith(FILE_FAULT)),
    link: ctx.config.http.publicUrl + jobPagePath(job.id, token),
    expiresAt: expiresAt(job, ctx.config.storage.retentionDays),
    schedule: await scheduleOfJob(ctx.pool, job.id),
  });
}
