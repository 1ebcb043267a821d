import { findModelVersion, notFound, sampleCsv } from '@batchcast/jobs';
import { Router } from 'express';
import type { WebContext } from '../context.js';

/** GET /models/:name/sample.csv[?version=n]: a small CSV in the format the model accepts, to start from. */
export function modelSamples(ctx: WebContext): Router {
  const router = Router();
  router.get('/models/:name/sample.csv', async (req, res) => {
    const versionText = typeof req.query.version === 'string' ? req.query.version : undefined;
    const version = versionText === undefined ? undefined : Number(versionText);
    if (version !== undefined && (!Number.isInteger(version) || version < 1)) throw notFound('model');
    const model = await findModelVersion(ctx.jobs.pool, String(req.params.name), version);
    if (!model) throw notFound('model');
    res
      .status(200)
      .set({
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${model.name}-sample.csv"`,
        'cache-control': 'no-cache',
      })
      .send(await sampleCsv(ctx.jobs.pool, model));
  });
  return router;
}
