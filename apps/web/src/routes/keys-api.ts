import { ApiKeyRequest, ApiKeyUpdate, parseWith } from '@batchcast/contract';
import { createApiKey, findApiKey, listApiKeys, notFound, revokeApiKey, updateApiKey } from '@batchcast/jobs';
import { Router } from 'express';
import { requireAdmin } from '../auth/admin.js';
import type { WebContext } from '../context.js';
import { answerOnceByKey, jsonBodyPart } from '../http/idempotency-key.js';
import { jsonBody } from '../http/json-body.js';
import { describeApiKey } from '../presenters/api-key.js';

/** API keys for services (admin): create (the key is shown once), list, change, revoke. */
export function keysApi(ctx: WebContext): Router {
  const router = Router();
  const admin = requireAdmin(ctx);

  router.post('/api/keys', admin, jsonBody('64kb'), async (req, res) => {
    const request = parseWith(ApiKeyRequest, req.body ?? {});
    await answerOnceByKey(ctx, req, res, 'admin', jsonBodyPart(req), async (jobs) => {
      const { key, ...created } = await createApiKey(jobs, request);
      return { status: 201, location: `/api/keys/${created.id}`, body: { ...describeApiKey(created), key } };
    });
  });

  router.get('/api/keys', admin, async (_req, res) => {
    res.set('cache-control', 'no-store').json({ keys: (await listApiKeys(ctx.jobs)).map(describeApiKey) });
  });

  // Where POST's Location points: one key, as the list shows it.
  router.get('/api/keys/:id', admin, async (req, res) => {
    const key = await findApiKey(ctx.jobs, String(req.params.id));
    if (!key) throw notFound('API key');
    res.set('cache-control', 'no-store').json(describeApiKey(key));
  });

  router.patch('/api/keys/:id', admin, jsonBody('64kb'), async (req, res) => {
    const changed = await updateApiKey(ctx.jobs, String(req.params.id), parseWith(ApiKeyUpdate, req.body ?? {}));
    res.set('cache-control', 'no-store').json(describeApiKey(changed));
  });

  router.delete('/api/keys/:id', admin, async (req, res) => {
    await revokeApiKey(ctx.jobs, String(req.params.id));
    res.status(204).end();
  });

  return router;
}
