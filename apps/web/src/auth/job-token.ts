import { JobTokenQuery, parseWith } from '@batchcast/contract';
import type { Request } from 'express';

/** The token from `Authorization: Bearer` or `?token=`. */
export function tokenFrom(req: Request): string | null {
  const auth = req.get('authorization');
  if (auth && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim();
  return queryTokenFrom(req);
}

/** The token from `?token=` alone (with an API key as the bearer, a job link's token can only come here). */
export function queryTokenFrom(req: Request): string | null {
  // Checked as the contract checks any query parameter: `?token=T&token=T` arrives as a list, and was taken for no
  // token at all (404 "check that it was copied whole"); now it is told to send "token" once, as "limit" is.
  const { token } = parseWith(JobTokenQuery, { token: req.query.token }, 'query');
  return token ? token : null;
}
