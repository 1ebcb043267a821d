import { DomainError, findModelVersion, type Model, notFound, sampleCsv, writeSample } from '@batchcast/jobs';
import { type Request, Router } from 'express';
import type { WebContext } from '../context.js';

/**
 * GET /models/:name/sample.{csv,jsonl,xlsx}[?version=n]: a small file in the format the model accepts, to
 * start from, in each form an upload may take.
 */
export function modelSamples(ctx: WebContext): Router {
  const router = Router();

  async function requestedModel(req: Request): Promise<Model> {
    const versionText = typeof req.query.version === 'string' ? req.query.version : undefined;
    const version = versionText === undefined ? undefined : Number(versionText);
    // Not a version at all is the link's fault, not a missing model: said as such.
    if (version !== undefined && (!/^[1-9][0-9]{0,8}$/.test(versionText!) || !Number.isInteger(version))) {
      throw new DomainError(
        'invalid',
        'invalid_version',
        `"version" is a whole number of 1 or more (got ${JSON.stringify(versionText!.slice(0, 50))}).`,
      );
    }
    const model = await findModelVersion(ctx.jobs.pool, String(req.params.name), version);
    if (!model) throw notFound('model');
    return model;
  }

  router.get('/models/:name/sample.csv', async (req, res) => {
    const model = await requestedModel(req);
    res
      .status(200)
      .set({
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${model.name}-sample.csv"`,
        'cache-control': 'no-cache',
      })
      .send(await sampleCsv(ctx.jobs.pool, model));
  });

  const OTHER_SAMPLES = {
    jsonl: 'application/jsonl; charset=utf-8',
    xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  } as const;
  for (const [format, contentType] of Object.entries(OTHER_SAMPLES) as [keyof typeof OTHER_SAMPLES, string][]) {
    router.get(`/models/:name/sample.${format}`, async (req, res) => {
      const model = await requestedModel(req);
      res.status(200).set({
        'content-type': contentType,
        'content-disposition': `attachment; filename="${model.name}-sample.${format}"`,
        'cache-control': 'no-cache',
      });
      await writeSample(ctx.jobs.pool, model, format, res);
    });
  }
  return router;
}
