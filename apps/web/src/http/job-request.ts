import { grants, keyJobToken, linkMay, openJob, openKeyJob, requireScope, type Scope, type VisibleJob } from '@batchcast/jobs';
import type { Request } from 'express';
import { queryTokenFrom, tokenFrom } from '../auth/job-token.js';
import type { WebContext } from '../context.js';

/**
 * The job in the URL (`:id`), opened with the request's credential: an API key opens its own jobs (with
 * `scope`: `jobs:read` to read, `jobs:write` to cancel); otherwise the job's token (query or bearer). A write
 * through a link made from a key needs the key to have `scope` now (403 insufficient_scope); reading through
 * one does not (a key that may only submit follows the links its uploads were answered with). 404 (or 410
 * after retention) for anything else. Returns the token the job's links carry.
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
    const query = queryTokenFrom(req);
    return { job: await openJob(ctx.jobs, id, query, linkScope(scope)), token: query! };
  }
  const token = tokenFrom(req);
  const job = await openJob(ctx.jobs, id, token, linkScope(scope));
  return { job, token: token! };
}

/**
 * Whether the request that opened `job` (with requestedJob) may cancel it, as POST /api/jobs/:id/cancel would
 * decide: the key's own job needs the key to have `jobs:write`; a link made from a key, the key to have it now;
 * any other link may. The job page shows its Cancel button, and its status says `mayCancel`, only then.
 */
export async function mayCancel(ctx: WebContext, req: Request, job: VisibleJob, token: string): Promise<boolean> {
  const key = req.apiKey;
  if (key && job.keyId === key.id) return grants(key.scopes, 'jobs:write');
  return linkMay(ctx.jobs, job, token, 'jobs:write');
}

/** The scope a job link must carry from its key: writes only (see requestedJob). */
const linkScope = (scope: Scope): Scope | undefined => (scope === 'jobs:read' ? undefined : scope);
