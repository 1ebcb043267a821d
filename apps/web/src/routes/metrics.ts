import { Router } from 'express';
import { requireAdmin } from '../auth/admin.js';
import type { WebContext } from '../context.js';
import { Metrics } from '../metrics/exposition.js';

/** GET /metrics: Prometheus text format; needs the admin token unless METRICS_PUBLIC=true. */
export function metrics(ctx: WebContext): Router {
  const router = Router();
  const m = new Metrics(ctx);
  const guard = ctx.config.metrics.public ? [] : [requireAdmin(ctx)];
  router.get('/metrics', ...guard, async (_req, res) => {
    const body = await m.render();
    res.status(200).set({ 'content-type': m.contentType, 'cache-control': 'no-store' }).send(body);
  });
  return router;
}
