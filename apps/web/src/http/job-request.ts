import { type Job, openJob } from '@batchcast/jobs';
import type { Request } from 'express';
import { tokenFrom } from '../auth/job-token.js';
import type { WebContext } from '../context.js';

/** The job in the URL (`:id`), opened with the request's token (query or bearer); 404/410 otherwise. */
export async function requestedJob(ctx: WebContext, req: Request): Promise<{ job: Job; token: string }> {
  const token = tokenFrom(req);
  const job = await openJob(ctx.jobs, String(req.params.id ?? ''), token);
  return { job, token: token! };
}
