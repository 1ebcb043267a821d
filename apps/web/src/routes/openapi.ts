import { openApiDocument } from '@batchcast/contract';
import { Router } from 'express';
import type { WebContext } from '../context.js';

/** GET /api/openapi.json: the OpenAPI 3.1 document, generated from @batchcast/contract. */
export function openapi(ctx: WebContext): Router {
  const router = Router();
  const body = JSON.stringify(openApiDocument({ serverUrl: ctx.config.http.publicUrl }));
  router.get('/api/openapi.json', (_req, res) => {
    res.status(200).set({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' }).send(body);
  });
  return router;
}
