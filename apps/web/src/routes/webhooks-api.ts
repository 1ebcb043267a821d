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
import { answerOnceByKey, jsonBodyPart } from '../http/idempotency-key.js';
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
    const request = parseWith(WebhookRequest, req.body ?? {});
    await answerOnceByKey(ctx, req, res, 'admin', jsonBodyPart(req), async (jobs) => {
      const { secret, ...endpoint } = await registerWebhook(jobs, webhookActor(req), request);
      return { status: 201, location: `/api/webhooks/${endpoint.id}`, body: { ...describeWebhook(endpoint), secret } };
    });
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
    // A retry whose answer was lost gets the secret it made, rather than rotating again past it.
    await answerOnceByKey(ctx, req, res, 'admin', jsonBodyPart(req), async (jobs) => {
      const { secret, ...endpoint } = await rotateWebhookSecret(jobs, webhookActor(req), String(req.params.id), graceSeconds);
      return { status: 200, body: { ...describeWebhook(endpoint), secret } };
    });
  });

  router.get('/api/webhooks/:id/deliveries', read, async (req, res) => {
    const query = parseWith(DeliveryListQuery, req.query, 'query');
    const page = await listWebhookDeliveries(ctx.jobs, webhookActor(req), String(req.params.id), query);
    res.set('cache-control', 'no-store').json({ deliveries: page.deliveries.map(describeDelivery), next: page.next });
  });

  router.post('/api/webhooks/:id/deliveries/:deliveryId/redeliver', write, async (req, res) => {
    await answerOnceByKey(ctx, req, res, 'admin', {}, async (jobs) => {
      const endpoint = await getWebhook(jobs, webhookActor(req), String(req.params.id));
      const delivery = await redeliverWebhook(jobs, webhookActor(req), String(req.params.deliveryId), endpoint.id);
      return { status: 202, body: describeDelivery(delivery) };
    });
  });

  return router;
}
