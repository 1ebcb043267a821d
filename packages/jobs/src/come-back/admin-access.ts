import { newJobToken } from '@batchcast/access';
import { type AdminJobRow, addJobToken, getAdminJob } from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { DomainError, notFound } from '../errors.js';
import { outcomeMail } from '../lifecycle/notify-owner.js';
import { loadJob } from '../lifecycle/load-job.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One job as operators see it (owner included; admins only, never logged). */
export async function adminJob(ctx: JobsContext, id: string): Promise<AdminJobRow> {
  const job = UUID.test(id) ? await getAdminJob(ctx.pool, id.toLowerCase()) : null;
  if (!job) throw notFound();
  return job;
}

/**
 * A token for an admin to open the job's own page (only its hash is stored, as for every token). Each
 * opening mints one; they go with the job when retention deletes it.
 */
export async function openJobAsAdmin(ctx: JobsContext, id: string): Promise<{ id: string; token: string }> {
  const job = await adminJob(ctx, id);
  const { token, hash } = newJobToken();
  await addJobToken(ctx.pool, job.id, hash, 'admin');
  ctx.log.info({ jobId: job.id }, 'an admin opened a job');
  return { id: job.id, token };
}

/**
 * Sends the job's outcome email to its owner again (a new link; the first one still works), now: the admin
 * sees at once whether it went. Refused for a job with no address, or one that has not ended (its email goes
 * when it does).
 */
export async function resendJobEmail(ctx: JobsContext, id: string): Promise<{ to: string }> {
  const row = await adminJob(ctx, id);
  const job = await loadJob(ctx.pool, row.id);
  if (!job) throw notFound();
  if (!job.email)
    throw new DomainError('conflict', 'no_email', 'This job was submitted without an email address: there is nobody to send it to.');
  const mail = await outcomeMail(ctx, job);
  if (!mail) {
    throw new DomainError('conflict', 'not_finished', `This job is ${job.status}: its email goes to the owner when it ends.`, {
      status: job.status,
    });
  }
  try {
    await ctx.mailer.send(job.email, mail);
  } catch (err) {
    ctx.log.warn({ jobId: job.id, err: (err as Error).message }, 'could not resend a job email');
    throw new DomainError('unavailable', 'mail_unavailable', 'The mail server did not take the message. Try again in a minute.');
  }
  ctx.log.info({ jobId: job.id }, 'job email sent again by an admin');
  return { to: job.email };
}
