import { DeliveryListQuery, parseWith, RotateSecretRequest, WebhookRequest } from '@batchcast/contract';
import {
  getWebhook,
  listWebhookDeliveries,
  listWebhooks,
  redeliverWebhook,
  registerWebhook,
  removeWebhook,
  rotateWebhookSecret,
} from '@batchcast/jobs';
import { Router } from 'express';
import { requireAdminOrKey, webhookActor } from '../auth/api-key.js';
import type { WebContext } from '../context.js';
import { jsonBody } from '../http/json-body.js';
import { describeDelivery, describeWebhook } from '../presenters/webhook.js';

/**
 * Webhook endpoints and their deliveries: an admin manages every endpoint (and an admin's endpoint hears of
 * every job); an API key with `webhooks:write` its own (which hear of its jobs), `webhooks:read` to look.
 */
export function webhooksApi(ctx: WebContext): Router {
  const router = Router();
  const write = requireAdminOrKey(ctx, 'webhooks:write');
  const read = requireAdminOrKey(ctx, 'webhooks:read');

  router.post('/api/webhooks', write, jsonBody('64kb'), async (req, res) => {
    const { secret, ...endpoint } = await registerWebhook(ctx.jobs, webhookActor(req), parseWith(WebhookRequest, req.body ?? {}));
    res
      .status(201)
      .set('cache-control', 'no-store')
      .location(`/api/webhooks/${endpoint.id}`)
      .json({ ...describeWebhook(endpoint), secret });
  });

  router.get('/api/webhooks', read, async (req, res) => {
    res.set('cache-control', 'no-store').json({ webhooks: (await listWebhooks(ctx.jobs, webhookActor(req))).map(describeWebhook) });
  });

  router.get('/api/webhooks/:id', read, async (req, res) => {
    res.set('cache-control', 'no-store').json(describeWebhook(await getWebhook(ctx.jobs, webhookActor(req), String(req.params.id))));
  });

  router.delete('/api/webhooks/:id', write, async (req, res) => {
    await removeWebhook(ctx.jobs, webhookActor(req), String(req.params.id));
    res.status(204).end();
  });

  router.post('/api/webhooks/:id/rotate-secret', write, jsonBody('64kb'), async (req, res) => {
    const { graceSeconds } = parseWith(RotateSecretRequest, req.body ?? {});
    const { secret, ...endpoint } = await rotateWebhookSecret(ctx.jobs, webhookActor(req), String(req.params.id), graceSeconds);
    res.set('cache-control', 'no-store').json({ ...describeWebhook(endpoint), secret });
  });

  router.get('/api/webhooks/:id/deliveries', read, async (req, res) => {
    const query = parseWith(DeliveryListQuery, req.query, 'query');
    const page = await listWebhookDeliveries(ctx.jobs, webhookActor(req), String(req.params.id), query);
    res.set('cache-control', 'no-store').json({ deliveries: page.deliveries.map(describeDelivery), next: page.next });
  });

  router.post('/api/webhooks/:id/deliveries/:deliveryId/redeliver', write, async (req, res) => {
    const endpoint = await getWebhook(ctx.jobs, webhookActor(req), String(req.params.id));
    const delivery = await redeliverWebhook(ctx.jobs, webhookActor(req), String(req.params.deliveryId), endpoint.id);
    res.status(202).set('cache-control', 'no-store').json(describeDelivery(delivery));
  });

  return router;
}
