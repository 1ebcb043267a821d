import { keyJobToken, openJob, openKeyJob, requireScope, type Scope, type VisibleJob } from '@batchcast/jobs';
import type { Request } from 'express';
import { tokenFrom } from '../auth/job-token.js';
import type { WebContext } from '../context.js';

/**
 * The job in the URL (`:id`), opened with the request's credential: an API key opens its own jobs (with
 * `scope`: `jobs:read` to read, `jobs:write` to cancel); otherwise the job's token (query or bearer). 404
 * (or 410 after retention) for anything else. Returns the token the job's links carry.
 */
export async function requestedJob(ctx: WebContext, req: Request, scope: Scope = 'jobs:read'): Promise<{ job: VisibleJob; token: string }> {
  const id = String(req.params.id ?? '');
  const key = req.apiKey;
  if (key) {
    const own = await openKeyJob(ctx.jobs, key, id);
    if (own) {
      requireScope(key, scope);
      return { job: own, token: keyJobToken(key.secret, own.id) };
    }
    // Not the key's: a job link's token (in the query, the bearer being the key) still opens it.
    const query = typeof req.query.token === 'string' && req.query.token ? req.query.token : null;
    return { job: await openJob(ctx.jobs, id, query), token: query! };
  }
  const token = tokenFrom(req);
  const job = await openJob(ctx.jobs, id, token);
  return { job, token: token! };
}
