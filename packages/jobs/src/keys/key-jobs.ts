import { type JobStatus, listKeyJobs as listKeyJobRows } from '@batchcast/db';
import { refuseIfPastRetention } from '../access/open-job.js';
import type { JobsContext } from '../context.js';
import { loadJob } from '../lifecycle/load-job.js';
import { decodeCursor, encodeCursor, pageSize } from '../pagination.js';
import { isVisible, jobFromRecord, type VisibleJob } from '../records.js';
import { type ApiKey, isUuid } from './api-keys.js';

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
  return { jobs: page.jobs.map(jobFromRecord).filter(isVisible), next: page.cursor ? encodeCursor(page.cursor) : null };
}

/** A job of this key, or null (another key's, an anonymous upload's, or none: the caller answers 404 alike). */
export async function openKeyJob(ctx: JobsContext, key: ApiKey, id: string): Promise<VisibleJob | null> {
  if (!isUuid(id)) return null;
  const job = await loadJob(ctx.pool, id.toLowerCase());
  if (!job || !isVisible(job) || job.keyId !== key.id) return null;
  refuseIfPastRetention(ctx, job);
  return job;
}
