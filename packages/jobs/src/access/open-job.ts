import { hashToken, tokenMatches } from '@batchcast/access';
import { getApiKey, getExpiredJob, jobTokenPurpose } from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { expiresAt } from '../come-back/expiry.js';
import { DomainError, notFound } from '../errors.js';
import { loadJob } from '../lifecycle/load-job.js';
import { describeKey, requireScope } from '../keys/api-keys.js';
import type { Scope } from '../keys/scopes.js';
import type { VisibleJob } from '../records.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The job `id`, if `token` opens it. A wrong token, a missing token and an unknown id are all the same
 * `not_found`, so a job's existence is never revealed to someone without the link. A job deleted by the
 * retention sweep is `gone` to its own links (the tombstone keeps its token hashes).
 */
export async function openJob(ctx: JobsContext, id: string, token: string | null, scope?: Scope): Promise<VisibleJob> {
  if (!UUID.test(id)) throw notFound();
  const jobId = id.toLowerCase();
  const job = await loadJob(ctx.pool, jobId);
  if (!job && token) await refuseIfExpired(ctx, jobId, token);
  if (!job || !token || !tokenMatches(token, job.tokenHashes)) throw notFound();
  refuseIfPastRetention(ctx, job);
  if (scope && job.keyId) await requireKeyLinkScope(ctx, job.keyId, job.id, token, scope);
  return job;
}

/**
 * Whether `token`, which opened `job`, may also do what needs `scope` (cancel it: `jobs:write`): the job page and
 * status say so, so that nobody is offered a button the server then refuses. Only a link made from an API key is
 * bound to scopes (see requireKeyLinkScope); any other token of the job may.
 */
export async function linkMay(ctx: JobsContext, job: VisibleJob, token: string, scope: Scope): Promise<boolean> {
  if (!job.keyId) return true;
  try {
    await requireKeyLinkScope(ctx, job.keyId, job.id, token, scope);
    return true;
  } catch (err) {
    // insufficient_scope; or not_found: the key is gone (its links with it), so this one may do nothing more.
    if (err instanceof DomainError && (err.code === 'insufficient_scope' || err.code === 'not_found')) return false;
    throw err;
  }
}

/**
 * A link made from an API key (the token of a key's job that POST /api/jobs and GET /api/jobs give, derived from
 * the key: purpose `upload`) acts for the key: it ends when the key is revoked (revokeApiKey deletes it), and it
 * does what the key's scopes allow now, not when the link was made: cancelling through it needs `jobs:write`
 * (403 insufficient_scope, as with the key itself). Links sent by email or webhook are the recipient's own and
 * are not bound to the key's scopes.
 */
async function requireKeyLinkScope(ctx: JobsContext, keyId: string, jobId: string, token: string, scope: Scope): Promise<void> {
  if ((await jobTokenPurpose(ctx.pool, jobId, hashToken(token))) !== 'upload') return;
  const row = await getApiKey(ctx.pool, keyId);
  // A revoked key's links were deleted with it; should one remain, it opens nothing.
  if (!row || row.revokedAt) throw notFound();
  requireScope(describeKey(row), scope);
}

/**
 * A job past its retention time is gone to its links from that moment, as its page and emails promised ("kept
 * until …, then deleted"), not only once the retention sweep (every RETENTION_SWEEP_INTERVAL_MS, or later while
 * a download holds it) has removed its data: otherwise a page reloaded just after the time still offered
 * downloads that the next sweep then cut off. A download started before the time goes on (its hold).
 */
export function refuseIfPastRetention(ctx: JobsContext, job: { finishedAt: Date | null }, now = new Date()): void {
  const at = expiresAt(job, ctx.config.storage.retentionDays);
  if (at && at <= now) throw expiredError(ctx, at);
}

/** `gone` (`expired`) when the retention sweep deleted job `id` and `token` was one of its tokens (its tombstone keeps their hashes). */
export async function refuseIfExpired(ctx: JobsContext, id: string, token: string): Promise<void> {
  const expired = await getExpiredJob(ctx.pool, id);
  if (!expired || !tokenMatches(token, expired.tokenHashes)) return;
  if (expired.reason === 'owner') throw deletedError(expired.expiredAt);
  // When it was due, as the page said (the sweep may have come a little later).
  const due = expiresAt(expired, ctx.config.storage.retentionDays)!;
  throw expiredError(ctx, new Date(Math.min(due.getTime(), expired.expiredAt.getTime())));
}

/** "5 Dec 2026" (UTC): a day as the pages write dates, which show these messages. */
const dayText = (d: Date): string =>
  new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(d);

/** `gone` (`deleted`): someone with the job's link or key deleted it and its data (deleteJob). */
export function deletedError(deletedAt: Date): DomainError {
  return new DomainError(
    'gone',
    'deleted',
    `This job and its data (the uploaded file, its predictions and failed rows) were deleted on ${dayText(deletedAt)} ` +
      'at the request of someone with its link or API key. Upload the file again to score it anew.',
    { deletedAt: deletedAt.toISOString() },
  );
}

function expiredError(ctx: JobsContext, deletedAt: Date): DomainError {
  const days = ctx.config.storage.retentionDays;
  return new DomainError(
    'gone',
    'expired',
    `This job's data was deleted on ${dayText(deletedAt)}: results are kept ${days} day${days === 1 ? '' : 's'} ` +
      'after a job ends. Upload the file again to score it anew.',
    { expiredAt: deletedAt.toISOString() },
  );
}
