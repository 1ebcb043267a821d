import type { Request } from 'express';
import { getJob, type JobRecord } from '@batchcast/db';
import { jobPagePath, tokenMatches } from '@batchcast/access';
import { tokenFrom } from '../auth/job-token.js';
import type { WebContext } from '../context.js';
import { notFound } from '../http/errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The job named in the URL, if the request carries its token. A wrong token, a missing token and an
 * unknown id all answer the same 404, so a job's existence is never revealed to someone without the link.
 */
export async function jobForRequest(ctx: WebContext, req: Request): Promise<{ job: JobRecord; token: string }> {
  const id = String(req.params.id ?? '');
  if (!UUID.test(id)) throw notFound();
  const token = tokenFrom(req);
  const job = await getJob(ctx.pool, id.toLowerCase());
  if (!job || !token || !tokenMatches(token, job.tokenHashes)) throw notFound();
  return { job, token };
}

export function jobLinks(id: string, token: string) {
  const t = encodeURIComponent(token);
  return {
    self: `/api/jobs/${id}?token=${t}`,
    page: jobPagePath(id, token),
    results: `/api/jobs/${id}/results.csv?token=${t}`,
  };
}
