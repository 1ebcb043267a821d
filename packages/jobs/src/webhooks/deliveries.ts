import {
  type DeliveryStatus,
  getDelivery,
  listDeliveries,
  redeliverDelivery,
  type WebhookAttemptRecord,
  type WebhookDeliveryRecord,
} from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { DomainError, notFound } from '../errors.js';
import { decodeCursor, encodeCursor, pageSize } from '../pagination.js';
import { mayManage, type WebhookActor } from './actor.js';
import { findWebhook } from './endpoints.js';

export type { DeliveryStatus, WebhookAttemptRecord as WebhookAttempt, WebhookDeliveryRecord as WebhookDelivery };

export interface DeliveryPage {
  deliveries: WebhookDeliveryRecord[];
  next: string | null;
}

const DELIVERY_ID = /^msg_[0-9a-f]{32}$/;

/** An endpoint's deliveries, newest first, each with its attempts (newest first), a page at a time. */
export async function listWebhookDeliveries(
  ctx: JobsContext,
  actor: WebhookActor,
  endpointId: string,
  opts: { limit?: number | undefined; cursor?: string | undefined } = {},
): Promise<DeliveryPage> {
  const endpoint = await findWebhook(ctx, actor, endpointId);
  return pageOf(ctx, endpoint.id, opts);
}

/** The latest deliveries to every endpoint (the admin page). */
export async function recentDeliveries(ctx: JobsContext, limit: number): Promise<WebhookDeliveryRecord[]> {
  return (await pageOf(ctx, null, { limit })).deliveries;
}

async function pageOf(
  ctx: JobsContext,
  endpointId: string | null,
  opts: { limit?: number | undefined; cursor?: string | undefined },
): Promise<DeliveryPage> {
  const page = await listDeliveries(ctx.pool, {
    endpointId,
    limit: pageSize(opts.limit),
    after: opts.cursor ? decodeCursor(opts.cursor, DELIVERY_ID) : null,
  });
  return { deliveries: page.deliveries, next: page.cursor ? encodeCursor(page.cursor) : null };
}

/**
 * Sends an ended delivery again (succeeded or failed): a new series of attempts with the same webhook-id
 * and body, queued at once. A delivery still being tried is a conflict (its next attempt is already due).
 */
export async function redeliverWebhook(
  ctx: JobsContext,
  actor: WebhookActor,
  id: string,
  endpointId?: string,
): Promise<WebhookDeliveryRecord> {
  const existing = DELIVERY_ID.test(id) ? await getDelivery(ctx.pool, id) : null;
  if (!existing || !mayManage(actor, existing.keyId) || (endpointId !== undefined && existing.endpointId !== endpointId)) {
    throw notFound('webhook delivery');
  }
  const result = await redeliverDelivery(ctx.pool, id);
  if (result === null) throw notFound('webhook delivery');
  if (result === 'pending') {
    throw new DomainError(
      'conflict',
      'delivery_pending',
      `This delivery is still being tried (next attempt at ${existing.nextAttemptAt.toISOString()}); redeliver it once it has succeeded or failed.`,
    );
  }
  try {
    await ctx.queue.enqueueDelivery(result.id, result.generation);
  } catch (err) {
    ctx.log.warn({ deliveryId: id, err: (err as Error).message }, 'could not queue a redelivery now; the reconciler will');
  }
  ctx.log.info({ deliveryId: id, generation: result.generation }, 'webhook redelivery queued');
  return (await getDelivery(ctx.pool, id)) ?? existing;
}
