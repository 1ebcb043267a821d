import type { Request } from 'express';

/** The token from `Authorization: Bearer` or `?token=`. */
export function tokenFrom(req: Request): string | null {
  const auth = req.get('authorization');
  if (auth && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim();
  const q = req.query.token;
  return typeof q === 'string' && q.length > 0 ? q : null;
}
