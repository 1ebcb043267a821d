import { type JobStatus, listKeyJobs as listKeyJobRows } from '@batchcast/db';
import { refuseIfExpired, refuseIfPastRetention } from '../access/open-job.js';
import type { JobsContext } from '../context.js';
import { loadJob } from '../lifecycle/load-job.js';
import { decodeCursor, encodeCursor, pageSize } from '../pagination.js';
import { jobFromRecord, type VisibleJob } from '../records.js';
import { type ApiKey, type ApiKeyPrincipal, isUuid, keyJobToken } from './api-keys.js';

export interface JobPage {
  jobs: VisibleJob[];
  /** Opaque: where the next page starts (give it back as `cursor`); null on the last page. */
  next: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The jobs a key submitted, newest first, a page at a time (keyset pagination behind an opaque cursor). */
export async function listKeyJobs(
  ctx: JobsContext,
  key: ApiKey,
  opts: { limit?: number | undefined; cursor?: string | undefined; status?: JobStatus | undefined } = {},
): Promise<JobPage> {
  const page = await listKeyJobRows(ctx.pool, key.id, {
    limit: pageSize(opts.limit),
    after: opts.cursor ? decodeCursor(opts.cursor, UUID) : null,
    status: opts.status ?? null,
    retentionDays: ctx.config.storage.retentionDays,
  });
  return { jobs: page.jobs.map(jobFromRecord), next: page.cursor ? encodeCursor(page.cursor) : null };
}

/**
 * A job of this key, or null (another key's, an anonymous upload's, or none: the caller answers 404 alike).
 * Past its retention time it is `gone` (`expired`), before the sweep and after it alike, as it is to its
 * links: a service polling its job must not see 410 and then 404 for the same id. After the sweep, the job's
 * tombstone keeps its token hashes, and the key's token of the job is derived from the key (keyJobToken):
 * only the key that submitted it is told it expired.
 */
export async function openKeyJob(ctx: JobsContext, key: ApiKeyPrincipal, id: string): Promise<VisibleJob | null> {
  if (!isUuid(id)) return null;
  const job = await loadJob(ctx.pool, id.toLowerCase());
  if (!job) await refuseIfExpired(ctx, id.toLowerCase(), keyJobToken(key.secret, id.toLowerCase()));
  if (!job || job.keyId !== key.id) return null;
  refuseIfPastRetention(ctx, job);
  return job;
}
