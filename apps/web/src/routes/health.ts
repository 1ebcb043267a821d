import { checkDatabase } from '@batchcast/jobs';
import { Router } from 'express';
import type { WebContext } from '../context.js';

/**
 * 200 when PostgreSQL and Redis both answer; 503 naming the one that does not. Anyone may ask, so the answer
 * says only `ok` or `down`: why a dependency is down (host names, ports, driver messages) goes to the log, once
 * per change, for the operators.
 */
export function health(ctx: WebContext): Router {
  const router = Router();
  const lastSeen = new Map<string, string>();
  async function check(name: string, fn: () => Promise<unknown>): Promise<'ok' | 'down'> {
    let why = 'ok';
    try {
      await fn();
    } catch (err) {
      why = (err as Error).message || 'no answer';
    }
    if (lastSeen.get(name) !== why) {
      if (why === 'ok') {
        if (lastSeen.has(name)) ctx.log.info({ dependency: name }, 'health check: back up');
      } else ctx.log.warn({ dependency: name, err: why }, 'health check: down');
      lastSeen.set(name, why);
    }
    return why === 'ok' ? 'ok' : 'down';
  }
  router.get('/healthz', async (_req, res) => {
    const [postgres, redis] = await Promise.all([
      check('postgres', () => checkDatabase(ctx.jobs)),
      check('redis', () =>
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
