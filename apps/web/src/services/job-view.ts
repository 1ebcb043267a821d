import type { JobRecord } from '@batchcast/db';
import type { WebContext } from '../context.js';
import { jobLinks } from './job-access.js';
import { modelById } from '@batchcast/submit';

/** The job status document of the HTTP contract. */
export async function jobView(ctx: WebContext, job: JobRecord, token: string) {
  const model = await modelById(ctx.pool, job.modelId);
  return {
    id: job.id,
    status: job.status,
    model: { name: model.name, version: model.version, sha256: model.sha256 },
    filename: job.filename,
    rows: { total: job.rowsTotal, processed: job.rowsProcessed, failed: job.rowsFailed },
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    error: job.error,
    links: jobLinks(job.id, token),
  };
}
