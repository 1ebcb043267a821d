import { createHash, randomUUID } from 'node:crypto';
import { jobPagePath, newJobToken } from '@batchcast/access';
import {
  addJobToken,
  countJobsForEmail,
  countRecentLinkRequests,
  getPendingLinkRequest,
  insertLinkRequest,
  listJobsForEmail,
  markLinkRequestHandled,
  retryWhileDatabaseUnavailable,
} from '@batchcast/db';
import { type JobLinkItem, renderJobLinks } from '@batchcast/mail';
import type { JobsContext } from '../context.js';
import { mailboxOf, parseEmail } from '../email-address.js';
import { DomainError } from '../errors.js';
import { expiresAt } from './expiry.js';

/**
 * How long a request not yet answered is still sent (the reconciler queues it again within this time, should Redis
 * have lost it): another request for the same address meanwhile is answered by it rather than sending a second email.
 */
export const LINK_REQUEST_PENDING_MINUTES = 60;

/** The most jobs one message lists (newest first); it says how many more there are, and where their links are. */
const MAX_JOBS = 20;

/** What the person is told, whether or not the address has jobs: the answer must not say which. */
export const LINKS_REQUESTED =
  'If this address has jobs on this server, a message with their links is on its way. It can take a minute; check the spam folder too.';

/**
 * The rate limit keys on this, not on the address: the table keeps no address once a request is handled. It
 * is the mailbox's (`mailboxOf`: `+tags` removed), so that spellings of one inbox share its limit.
 */
const addressKey = (email: string): Buffer => createHash('sha256').update(mailboxOf(email), 'utf8').digest();

/**
 * "Email me my links": records the request and queues the message; the worker finds the jobs. The caller
 * learns nothing about the address (the answer, the rate limit and the time taken are the same whether it has
 * jobs or not). An address may ask EMAILS_PER_ADDRESS_PER_HOUR times an hour, counted on requests alone.
 */
export async function requestLinks(ctx: JobsContext, rawEmail: unknown): Promise<{ message: string }> {
  const email = parseEmail(rawEmail, ctx.config.mail.localDomains);
  if (!email) throw new DomainError('invalid', 'invalid_email', 'Give the email address your jobs were submitted with.');
  const key = addressKey(email);
  const limit = ctx.config.abuse.emailsPerAddressPerHour;
  if ((await countRecentLinkRequests(ctx.pool, key, 60)) >= limit) {
    throw new DomainError(
      'rate_limited',
      'email_rate_limited',
      `This address has asked for its links ${limit} times in the last hour, the most we send. Try again later, or use the links you already have.`,
      { retryAfterSeconds: 15 * 60 },
    );
  }
  const id = randomUUID();
  // One already waiting for this address lists the same jobs: the same answer, and one email rather than two.
  if (!(await insertLinkRequest(ctx.pool, { id, email, addressKey: key }, LINK_REQUEST_PENDING_MINUTES))) {
    return { message: LINKS_REQUESTED };
  }
  try {
    await ctx.queue.enqueueLinks(id);
  } catch (err) {
    // Recorded in PostgreSQL: the reconciler queues it as soon as Redis answers again.
    ctx.log.warn({ request: id, err: (err as Error).message }, 'could not queue a links message now; the reconciler will');
  }
  return { message: LINKS_REQUESTED };
}

/**
 * Sends one request's message: the recent jobs that named the address, each link with a fresh token (only
 * its hash is stored). Nothing is sent when there are none. The address is forgotten once handled. A
 * failure to send throws, and the queue retries (the tokens minted meanwhile open nothing anyone has).
 */
export async function sendLinks(ctx: JobsContext, requestId: string): Promise<void> {
  const request = await getPendingLinkRequest(ctx.pool, requestId);
  if (!request) return;
  const days = ctx.config.storage.retentionDays;
  // Not a job past its deletion time that the sweep has not reached yet: its link would only answer 410.
  const jobs = await listJobsForEmail(ctx.pool, request.email, days, MAX_JOBS);
  if (jobs.length > 0) {
    // Counted, so that a message listing the newest MAX_JOBS does not call them all the jobs still kept.
    const kept = jobs.length < MAX_JOBS ? jobs.length : await countJobsForEmail(ctx.pool, request.email, days);
    const items: JobLinkItem[] = [];
    for (const job of jobs) {
      const { token, hash } = newJobToken();
      await addJobToken(ctx.pool, job.id, hash, 'email');
      items.push({
        filename: job.filename,
        model: `${job.model} v${job.modelVersion}`,
        // Never `receiving`: listJobsForEmail leaves out uploads still arriving.
        status: job.status as JobLinkItem['status'],
        rows: { total: job.rowsTotal, processed: job.rowsProcessed, failed: job.rowsFailed },
        createdAt: job.createdAt,
        expiresAt: expiresAt(job, days),
        link: ctx.config.http.publicUrl + jobPagePath(job.id, token),
      });
    }
    await ctx.mailer.send(request.email, renderJobLinks({ jobs: items, kept: Math.max(kept, items.length), retentionDays: days }));
  }
  // Sent: from here on a failure must not make the queue send it again, so an outage of PostgreSQL is waited out.
  await retryWhileDatabaseUnavailable(ctx.pool, () => markLinkRequestHandled(ctx.pool, request.id), {
    log: ctx.log,
    what: 'mark a links request handled',
  });
  ctx.log.info({ request: request.id, jobs: jobs.length }, jobs.length ? 'links sent' : 'links request for an address without jobs');
}
