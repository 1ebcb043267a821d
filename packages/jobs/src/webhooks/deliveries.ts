import {
  type DeliveryStatus,
  endpointDisabled,
  getDelivery,
  getWebhookEndpoint,
  listDeliveries,
  redeliverDelivery,
  type WebhookAttemptRecord,
  type WebhookDeliveryRecord,
} from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { DomainError, notFound } from '../errors.js';
import { decodeCursor, encodeCursor, pageSize } from '../pagination.js';
import { mayManage, type WebhookActor } from './actor.js';
import type { AttemptErrorCode } from './deliver.js';
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
  const page = await pageOf(ctx, endpoint.id, opts);
  return { ...page, deliveries: page.deliveries.map((d) => deliveryAsSeenBy(actor, d)) };
}

/** What an API key is told of a failed attempt to an internal receiver (unless the policy refused it before sending). */
export const INTERNAL_RECEIVER_FAILED =
  'not delivered: the receiver could not be reached, gave no complete answer or did not answer 2xx (an internal address: the details are shown to administrators only)';

/**
 * What an API key is told of an attempt whose receiver's host did not resolve, or resolved to an address the policy
 * refuses (an internal one WEBHOOK_ALLOW_HOSTS does not list), in one sentence for both: telling them apart would
 * let a key that may register webhooks map the server's internal DNS (the names that resolve inside). Admins and
 * the worker's log see which.
 */
export const DESTINATION_NOT_ALLOWED =
  "not delivered: the receiver's host does not resolve to a public address from this server (not reachable or not allowed; administrators see which)";

/** The attempt codes a key reads as DESTINATION_NOT_ALLOWED, under one code of its own. */
const DESTINATION_CODES: ReadonlySet<string> = new Set<AttemptErrorCode>(['address_not_allowed', 'dns_failed']);
export const DESTINATION_NOT_ALLOWED_CODE = 'destination_not_allowed';

/**
 * Failures that are the policy's own (or the worker's), said before anything is sent to the receiver: they tell
 * nothing of what listens there, so an API key reads them as they are.
 */
const SAID_BEFORE_SENDING: ReadonlySet<string> = new Set<AttemptErrorCode>([
  'not_sent',
  'endpoint_disabled',
  'invalid_url',
  'scheme_not_allowed',
  'host_not_allowed',
]);

/**
 * A delivery as `actor` may see it. An attempt that went to an internal address (one WEBHOOK_ALLOW_HOSTS let
 * through; or not known to have gone to a public one) shows an API key only whether it was delivered or failed,
 * and when: not the status code, the duration, the first KiB of the answer, nor the connection's error
 * (ECONNRESET, a TLS failure, a timeout). Each of them tells what listens at the address (a 400 from an HTTP
 * admin API, a reset from Redis, a quick refusal from a closed port), which would make a key that may register
 * webhooks a reader and port scanner of internal services. A refusal by the policy itself, said before anything
 * was sent, is shown as it is: it tells nothing of the receiver; but a host that does not resolve and one that
 * resolves to a refused address both read DESTINATION_NOT_ALLOWED, without their durations. Admins see everything.
 *
 * Hiding `durationMs` is not enough: the attempt's `startedAt` and the delivery's `finishedAt` (set as the attempt
 * ends), to the millisecond, give it by their difference. So of an attempt whose duration is hidden a key reads
 * `startedAt` to the second (floored), and of a delivery whose last attempt is such, `finishedAt` is that same
 * floored start (it ended with that attempt), and `nextAttemptAt` is floored too. Rounding both ends instead
 * would still tell a 900 ms answer from a 5 ms one whenever a second's boundary fell between them; the floored
 * start alone carries nothing of the duration, and "when, to the second" is what a key needs to match attempts
 * with its receiver's logs. The next attempt's time still includes the duration, but behind the retry delay's
 * ±20 % jitter (a second or more), floored to the second: no longer a reading of it.
 */
export function deliveryAsSeenBy(actor: WebhookActor, d: WebhookDeliveryRecord): WebhookDeliveryRecord {
  if (actor.kind === 'admin') return d;
  const attempts = d.attempts.map((a) => {
    const seen = attemptAsSeenByKey(a);
    return durationHidden(a, seen) ? { ...seen, startedAt: toSecond(a.startedAt) } : seen;
  });
  // Attempts are newest first: the last one made decides the delivery's own times.
  const [original, seen] = [d.attempts[0], attempts[0]];
  if (!original || !seen || !durationHidden(original, seen)) return { ...d, attempts };
  return { ...d, attempts, finishedAt: d.finishedAt ? seen.startedAt : null, nextAttemptAt: toSecond(d.nextAttemptAt) };
}

/** Whether a key's view of an attempt hides a duration it has. */
const durationHidden = (original: WebhookAttemptRecord, seen: WebhookAttemptRecord): boolean =>
  original.durationMs !== null && seen.durationMs === null;

/** A time floored to its second. */
const toSecond = (at: Date): Date => new Date(Math.floor(at.getTime() / 1000) * 1000);

/** One attempt as an API key sees it, its time aside (see deliveryAsSeenBy). */
function attemptAsSeenByKey(a: WebhookAttemptRecord): WebhookAttemptRecord {
  // Before the receiver's own failures: a name that does not resolve was never "internal", and was shown whole
  // (message and duration), where one resolving to an internal address was "not allowed".
  if (a.outcome === 'failed' && a.errorCode !== null && DESTINATION_CODES.has(a.errorCode)) {
    return {
      ...a,
      durationMs: null,
      statusCode: null,
      error: DESTINATION_NOT_ALLOWED,
      errorCode: DESTINATION_NOT_ALLOWED_CODE,
      response: null,
    };
  }
  if (a.internal === false || a.outcome === null) return a;
  const saidBeforeSending = a.statusCode === null && a.errorCode !== null && SAID_BEFORE_SENDING.has(a.errorCode);
  const error = a.outcome === 'delivered' ? null : saidBeforeSending ? a.error : INTERNAL_RECEIVER_FAILED;
  return { ...a, durationMs: null, statusCode: null, error, response: null };
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
 * and body, queued at once. A delivery still being tried is a conflict (its next attempt is already due), and
 * so is one whose endpoint is disabled (`endpoint_disabled`).
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
  // A disabled endpoint hears of nothing, not even by a redelivery (asked by an admin: the key may not redeliver then):
  // it would send a revoked key's job links to a receiver its key may no longer manage.
  const endpoint = await getWebhookEndpoint(ctx.pool, existing.endpointId);
  const disabled = endpoint ? endpointDisabled(endpoint) : null;
  if (disabled) {
    throw new DomainError(
      'conflict',
      'endpoint_disabled',
      disabled === 'key_revoked'
        ? 'This delivery’s endpoint is disabled (key_revoked): the API key that registered it was revoked, so nothing is sent to it any more, not even a redelivery. Remove the endpoint.'
        : 'This delivery’s endpoint is disabled (key_scope_removed): the API key that registered it no longer has the scope webhooks:write, so nothing is sent to it while so. Give the key webhooks:write again to redeliver, or remove the endpoint.',
    );
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
  return deliveryAsSeenBy(actor, (await getDelivery(ctx.pool, id)) ?? existing);
}
