import { type JobOwner, type KeyUsage, keyUsage } from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { DomainError } from '../errors.js';
import type { ApiKey } from './api-keys.js';

/**
 * Per-key quotas: jobs queued or running at once, and rows submitted per day (the UTC calendar day: the
 * quota resets at 00:00 UTC, the same instant for every client). Both are checked before an upload is read
 * (a key already at its limit stores nothing), and again, exactly, when the job is recorded: with the key's
 * row locked, so that parallel uploads cannot overrun a quota; only then is the file's row count known.
 * A refusal is `rate_limited` (429) saying which quota, its limit and when it resets.
 *
 * An upload scored while it arrives is recorded `receiving` at its first chunk (JobWhileReceiving), and from then
 * on it counts like a queued job: one of the key's concurrent jobs, and its rows so far towards the day's. So a
 * second upload of a one-job key is refused before it is read, rather than taking the slot and leaving the first
 * to be refused at its end after its rows were scored. At the end of its own upload the job is not counted
 * against itself (completeReceivingJob leaves it out, and counts its rows whole). One whose lease has passed
 * (its web process died) counts no more.
 */

/** 00:00 UTC of the day `now` falls in: where a day's rows are counted from. */
export function quotaDayStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/** First check, before the upload is read: the key is not at a limit already. */
export async function checkQuotasBeforeUpload(ctx: JobsContext, key: ApiKey, now = new Date()): Promise<void> {
  if (key.limits.concurrentJobs === null && key.limits.rowsPerDay === null) return;
  const usage = await keyUsage(ctx.pool, key.id, quotaDayStart(now));
  refuseOverQuota(key, usage, 0, now);
}

/** The exact check when a job of `rows` rows is recorded for the key (run by insertJob with the key locked). */
export function jobOwner(key: ApiKey, rows: number, now = new Date()): JobOwner {
  return { keyId: key.id, since: quotaDayStart(now), check: (usage) => refuseOverQuota(key, usage, rows, now) };
}

function refuseOverQuota(key: ApiKey, usage: KeyUsage, rows: number, now: Date): void {
  if (usage.revoked) {
    throw new DomainError(
      'unauthorized',
      'revoked_api_key',
      `This API key (${key.prefix}…) has been revoked. Ask an administrator for a new one.`,
    );
  }
  const { concurrentJobs, rowsPerDay } = key.limits;
  if (concurrentJobs !== null && usage.activeJobs >= concurrentJobs) {
    throw new DomainError(
      'rate_limited',
      'quota_exceeded',
      `This API key may have ${plural(concurrentJobs, 'job')} queued or running at once, uploads still arriving included, and has ${usage.activeJobs}. ` +
        'Submit this file again once one of them has ended (GET /api/jobs?status=running lists those already received).',
      { quota: 'concurrentJobs', limit: concurrentJobs, used: usage.activeJobs },
    );
  }
  // Every file has a row at least: at the limit exactly, nothing more can be submitted.
  if (rowsPerDay !== null && usage.rowsSince + Math.max(rows, 1) > rowsPerDay) {
    const resetsAt = new Date(quotaDayStart(now).getTime() + 24 * 3600_000);
    const retryAfterSeconds = Math.max(1, Math.ceil((resetsAt.getTime() - now.getTime()) / 1000));
    const left = Math.max(0, rowsPerDay - usage.rowsSince);
    const what = rows > 0 ? `This file has ${plural(rows, 'row')}, more than the ${plural(left, 'row')} ` : `No rows `;
    throw new DomainError(
      'rate_limited',
      'quota_exceeded',
      `${what}left today of this API key's quota of ${plural(rowsPerDay, 'row')} a day (${usage.rowsSince} used since 00:00 UTC). ` +
        `The quota resets at ${resetsAt.toISOString()} (in ${duration(retryAfterSeconds)}).`,
      { quota: 'rowsPerDay', limit: rowsPerDay, used: usage.rowsSince, rows, resetsAt: resetsAt.toISOString(), retryAfterSeconds },
    );
  }
}

const plural = (n: number, word: string): string => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.ceil((seconds % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : `${m} min`;
}
