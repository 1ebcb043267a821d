import type { Request, RequestHandler } from 'express';
import { formatBytes } from '@batchcast/bytes';
import { clientAddress } from './client-address.js';
import { refuse } from './errors.js';

export interface BodyBudgetOptions {
  /** The largest body one request may have (the route's own limit): what a body of unknown length counts as. */
  maxBodyBytes: number;
  /** Bytes of such bodies one client (an API key, else an address) may have in flight at once. */
  perClientBytes: number;
  /** Bytes of such bodies the process holds at once, all clients together. */
  totalBytes: number;
  /** What the requests are, for the refusals ("real-time requests"). */
  what: string;
}

/**
 * Bounds the memory of request bodies a route reads whole (the real-time endpoint holds a body, then its cells,
 * until it has answered). The rate limit counts requests per minute, not requests at once: 30 bodies of 32 MB
 * sent together by one client held 1.1 GB of the web process, and more would have ended it. Each request
 * reserves its declared length (the route's maximum when it declares none) until its answer is sent or its
 * connection closes. A client past `perClientBytes` gets 429; past `totalBytes` for everyone together, 503.
 * Either way with Retry-After, before a byte of the body is read; a request alone always goes through.
 * In-process memory, like the rate limits: per web process.
 */
export function bodyBudget(opts: BodyBudgetOptions): RequestHandler {
  const byClient = new Map<string, number>();
  let total = 0;
  return (req, res, next) => {
    const declared = Number(req.get('content-length'));
    const size = Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, opts.maxBodyBytes) : opts.maxBodyBytes;
    const client = clientOf(req);
    const held = byClient.get(client) ?? 0;
    if (held > 0 && held + size > opts.perClientBytes) {
      res.set('retry-after', '1');
      return next(
        refuse(
          'rate_limited',
          'too_many_at_once',
          `Too many ${opts.what} at once from your ${req.apiKey ? 'API key' : 'address'}: at most ${formatBytes(opts.perClientBytes)} of ` +
            'request bodies are held for one client. Wait for the answers you are waiting for, then send more.',
          { retryAfterSeconds: 1 },
        ),
      );
    }
    if (total > 0 && total + size > opts.totalBytes) {
      res.set('retry-after', '1');
      return next(
        refuse('unavailable', 'busy', `The server is answering as many ${opts.what} as it holds at once. Try again in a second.`, {
          retryAfterSeconds: 1,
        }),
      );
    }
    byClient.set(client, held + size);
    total += size;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      total -= size;
      const left = (byClient.get(client) ?? size) - size;
      if (left > 0) byClient.set(client, left);
      else byClient.delete(client);
    };
    res.once('finish', release);
    res.once('close', release);
    next();
  };
}

/** Whom a request counts for: its API key, or its address (an IPv6 one by its /56, see client-address.ts). */
function clientOf(req: Request): string {
  return req.apiKey ? `key:${req.apiKey.id}` : `ip:${clientAddress(req)}`;
}
