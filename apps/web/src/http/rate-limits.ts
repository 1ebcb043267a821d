import { Router, type RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Config } from '@batchcast/config';
import { refuse } from './errors.js';

/**
 * Per-client-IP rate limits on the endpoints that cost real work: creating a job (an upload, a scan, a
 * queued flow), real-time predictions (a model run in the web process) and "email me my links" (a row and a
 * queued task each). Over the limit: 429 with the
 * API's error shape and `Retry-After` (seconds), plus the standard `RateLimit`/`RateLimit-Policy` headers.
 *
 * The client IP is `req.ip`, which honours X-Forwarded-For only from a loopback proxy (app.ts sets
 * `trust proxy` to loopback), so a remote client cannot pick its own address. Counters live in this
 * process's memory: right for the one web process `npm start` runs; several web processes behind a load
 * balancer would each allow the limit (a shared store, e.g. Redis, would be the next step).
 *
 * A request with an API key is counted against its key's own limit instead (`requestsPerMinute`, on every
 * endpoint; none when the key has none), not its address: a service behind a shared egress address is
 * limited by what it was given, and other clients at that address by theirs.
 */
export function rateLimits(config: Pick<Config, 'rateLimits'>): Router {
  const router = Router();
  router.use(keyLimiter());
  const jobs = limiter(config.rateLimits.jobsPerMinute, 'jobs', 'uploads');
  const predict = limiter(config.rateLimits.predictPerMinute, 'predict', 'prediction requests');
  // Each request is a row and a queued task even for an address with no jobs (the answer must not tell).
  const links = limiter(config.rateLimits.linksPerMinute, 'links', '"email me my links" requests');
  if (jobs) router.post(['/api/jobs', '/jobs'], jobs);
  if (predict) router.post('/api/models/:name/predict', predict);
  if (links) router.post(['/api/links', '/links'], links);
  return router;
}

function limiter(perMinute: number, name: string, what: string): RequestHandler | null {
  if (perMinute <= 0) return null;
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: name,
    skip: (req) => req.apiKey !== undefined,
    handler: (_req, res, next) => {
      const retryAfter = Number(res.getHeader('retry-after')) || 60;
      next(
        refuse(
          'rate_limited',
          'rate_limited',
          `Too many ${what} from your address: at most ${perMinute} a minute. Try again in ${retryAfter} s.`,
          { retryAfterSeconds: retryAfter },
        ),
      );
    },
  });
}

/** Requests per minute per API key, each key with its own limit (the key's id is the counter's name). */
function keyLimiter(): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: (req) => req.apiKey?.limits.requestsPerMinute ?? 0,
    skip: (req) => !req.apiKey?.limits.requestsPerMinute,
    keyGenerator: (req) => `key:${req.apiKey!.id}`,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: 'api-key',
    handler: (req, res, next) => {
      const retryAfter = Number(res.getHeader('retry-after')) || 60;
      const key = req.apiKey!;
      next(
        refuse(
          'rate_limited',
          'rate_limited',
          `Too many requests with this API key (${key.prefix}…): at most ${key.limits.requestsPerMinute} a minute. Try again in ${retryAfter} s.`,
          { retryAfterSeconds: retryAfter },
        ),
      );
    },
  });
}
