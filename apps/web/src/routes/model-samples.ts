import { Router } from 'express';
import { findModel } from '@batchcast/db';
import type { WebContext } from '../context.js';
import { notFound } from '../http/errors.js';
import { MODEL_NAME } from '../services/models.js';
import { sampleCsv } from '../services/sample-csv.js';

/** GET /models/:name/sample.csv[?version=n]: a small CSV in the format the model accepts, to start from. */
export function modelSamples(ctx: WebContext): Router {
  const router = Router();
  router.get('/models/:name/sample.csv', async (req, res) => {
    const name = String(req.params.name);
    const versionText = typeof req.query.version === 'string' ? req.query.version : undefined;
    const version = versionText === undefined ? undefined : Number(versionText);
    if (!MODEL_NAME.test(name) || (version !== undefined && (!Number.isInteger(version) || version < 1))) throw notFound('model');
    const model = await findModel(ctx.pool, name, version);
    if (!model) throw notFound('model');
    res
      .status(200)
      .set({
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${model.name}-sample.csv"`,
        'cache-control': 'no-cache',
      })
      .send(await sampleCsv(ctx.pool, model));
  });
  return router;
}
