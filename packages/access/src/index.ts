import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Job access tokens: 256 random bits, URL-safe. Only their sha256 is stored; a token exists only in the
 * links given to the job's owner (the upload answer and each email).
 */
export function newJobToken(): { token: string; hash: Buffer } {
  let token: string;
  // `bck_` starts API keys (Authorization: Bearer tells them apart by it); base64url can spell it, rarely.
  do token = randomBytes(32).toString('base64url');
  while (token.startsWith('bck_'));
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time comparison of the presented token's hash with each stored hash. */
export function tokenMatches(presented: string | null, storedHashes: Buffer[]): boolean {
  if (!presented || presented.length > 200) return false;
  const h = hashToken(presented);
  let ok = false;
  for (const stored of storedHashes) ok = (stored.length === h.length && timingSafeEqual(h, stored)) || ok;
  return ok;
}

/** The path of a job's page with a token: emails prefix it with PUBLIC_URL, the API returns it as is. */
export function jobPagePath(jobId: string, token: string): string {
  return `/jobs/${jobId}?token=${encodeURIComponent(token)}`;
}
