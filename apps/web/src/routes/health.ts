import { checkDatabase } from '@batchcast/jobs';
import { Router } from 'express';
import type { WebContext } from '../context.js';

async function check(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return 'ok';
  } catch (err) {
    return `down: ${(err as Error).message}`;
  }
}

/** 200 when PostgreSQL and Redis both answer; 503 naming the one that does not. */
export function health(ctx: WebContext): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    const [postgres, redis] = await Promise.all([
      check(() => checkDatabase(ctx.jobs)),
      check(() =>
        Promise.race([
          ctx.redis.ping(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 2000 ms')), 2_000).unref()),
        ]),
      ),
    ]);
    const ok = postgres === 'ok' && redis === 'ok';
    res
      .status(ok ? 200 : 503)
      .set('cache-control', 'no-store')
      .json({ status: ok ? 'ok' : 'unavailable', checks: { postgres, redis } });
  });
  return router;
}
