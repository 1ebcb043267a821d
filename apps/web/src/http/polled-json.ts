import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';

/**
 * A JSON answer that clients poll (a job's status and summary, a key's job list), with an ETag of its body and
 * `304 Not Modified` to an `If-None-Match` that holds it. Express answers 304 only when the request is "fresh",
 * which it never is with `Cache-Control: no-cache` (a cache's rule, not an origin server's: RFC 9110 evaluates
 * If-None-Match whatever Cache-Control says), and the Fetch standard adds exactly that header to every request
 * that sets If-None-Match itself: a browser's or Node's fetch always got the whole body again.
 */
export function sendPolledJson(req: Request, res: Response, body: unknown): void {
  const text = JSON.stringify(body);
  const etag = `W/"${Buffer.byteLength(text).toString(16)}-${createHash('sha1').update(text).digest('base64url')}"`;
  res.set({ 'cache-control': 'no-store', etag });
  if (matches(req.get('if-none-match'), etag)) {
    res.status(304).end();
    return;
  }
  res.type('json').send(text);
}

/** If-None-Match's weak comparison (RFC 9110 13.1.2): `*`, or any listed entity-tag with the same opaque tag. */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => opaque(tag) === opaque(etag));
}
