import { jobPagePath } from '@batchcast/access';
import type { JobLinks, JobStatus } from '@batchcast/contract';
import {
  describeInput,
  expiresAt,
  type InputDescription,
  type JobsContext,
  modelById,
  positionalNote,
  type ResultsFormat,
  resultsOffer,
  type UnavailableFormat,
  type VisibleJob,
} from '@batchcast/jobs';

/** The three links of the contract; each carries the job's token. */
export function jobLinks(id: string, token: string): JobLinks {
  const t = encodeURIComponent(token);
  return {
    self: `/api/jobs/${id}?token=${t}`,
    page: jobPagePath(id, token),
    results: `/api/jobs/${id}/results.csv?token=${t}`,
  };
}

/** Links of the job page beyond the contract's three: summary, failed rows, cancelling (API and plain form). */
export function jobActionLinks(id: string, token: string) {
  const t = encodeURIComponent(token);
  return {
    summary: `/api/jobs/${id}/summary?token=${t}`,
    errors: `/api/jobs/${id}/errors.csv?token=${t}`,
    cancel: `/api/jobs/${id}/cancel?token=${t}`,
    cancelForm: `/jobs/${id}/cancel?token=${t}`,
    deleteForm: `/jobs/${id}/delete?token=${t}`,
  };
}
export type JobActionLinks = ReturnType<typeof jobActionLinks>;

/** The job status document of the contract; `mayCancel`: whether the credential it answers may cancel the job. */
export async function jobStatus(ctx: JobsContext, job: VisibleJob, token: string, mayCancel: boolean): Promise<JobStatus> {
  const model = await modelById(ctx.pool, job.modelId);
  return {
    id: job.id,
    status: job.status,
    model: { name: model.name, version: model.version, sha256: model.sha256 },
    filename: job.filename,
    input: withPositionalNote(describeInput(job.layout), positionalNote(model.schema.inputs, job.targets, job.layout.header)),
    rows: { total: job.rowsTotal, processed: job.rowsProcessed, failed: job.rowsFailed },
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    expiresAt: expiresAt(job, ctx.config.storage.retentionDays)?.toISOString() ?? null,
    error: job.error,
    mayCancel,
    links: jobLinks(job.id, token),
  };
}

/** The job's input notes, then the one saying a model without column names read them by position. */
function withPositionalNote(input: InputDescription, note: string | null): InputDescription {
  return note === null ? input : { ...input, notes: [...input.notes, note] };
}

/**
 * The results downloads the job page offers, the input's own format first, each link carrying the token;
 * Excel is marked unavailable (and offered last) when the results have more rows or columns than a sheet holds.
 */
export async function resultsDownloadLinks(
  ctx: JobsContext,
  job: VisibleJob,
  token: string,
): Promise<{ format: ResultsFormat; href: string; unavailable: UnavailableFormat | null }[]> {
  const t = encodeURIComponent(token);
  const model = await modelById(ctx.pool, job.modelId);
  return resultsOffer(job, model.schema).map(({ format, unavailable }) => ({
    format,
    href: `/api/jobs/${job.id}/results.${format}?token=${t}`,
    unavailable,
  }));
}
