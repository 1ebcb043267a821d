import type { Readable } from 'node:stream';
import {
  claimDeliverySlot,
  type EndpointDisabled,
  endpointDisabled,
  finishDelivery,
  finishDeliveryAttempt,
  getDeliveryToSend,
  releaseDeliverySlot,
  retryWhileDatabaseUnavailable,
  scheduleDeliveryAttempt,
  startDeliveryAttempt,
} from '@batchcast/db';
import { isIP } from 'node:net';
import { isPublicAddress, OutboundError, type OutboundErrorCode, type Resolver, safeFetch, systemResolver } from '@batchcast/outbound';
import { WEBHOOK_ATTEMPTS, webhookRetryDelay } from '@batchcast/queue';
import type { JobsContext } from '../context.js';
import { secretContext } from './endpoints.js';
import { bodyContext } from './events.js';
import { SecretBoxError, secretBoxOf } from './secret-box.js';
import { signedHeaders } from './signing.js';
import { webhookPolicy } from './url-policy.js';

export type DeliveryOutcome =
  | { status: 'delivered'; attempt: number }
  /** Nothing to do: the delivery is gone (its endpoint or job deleted), ended, or redelivered since. */
  | { status: 'skipped'; reason: string }
  /** The attempt failed; the next is due in `retryInMs`. */
  | { status: 'retry'; attempt: number; retryInMs: number; reason: string }
  /** The last attempt failed: the delivery has failed (a redelivery can start it again). */
  | { status: 'failed'; attempt: number; reason: string }
  /**
   * Its endpoint is disabled (its key revoked, or without the scope webhooks need): the delivery has failed
   * without anything sent, and is not retried.
   */
  | { status: 'disabled'; attempt: number; reason: EndpointDisabled }
  /**
   * Not tried: its endpoint or owner has as many attempts in flight as it may (see MAX_IN_FLIGHT_PER_OWNER).
   * Nothing was recorded or spent; it is to run again in `retryInMs`.
   */
  | { status: 'waiting'; retryInMs: number };

/**
 * How many attempts may be in flight at once to one endpoint, and to the endpoints of one owner (an API key,
 * or the admins together). The worker runs a fixed number of deliveries at once (catalog.ts): without these,
 * one key's receivers that answer slowly or not at all (each attempt holding a slot up to WEBHOOK_TIMEOUT_MS,
 * retried 11 times) took every slot, and every other key's and the admins' deliveries waited behind them for
 * minutes or hours. A delivery over either limit takes no slot: it is put back for a moment (slotWaitMs),
 * and the others go out meanwhile. One per endpoint keeps a slow endpoint from taking both of its owner's.
 */
export const MAX_IN_FLIGHT_PER_ENDPOINT = 1;
export const MAX_IN_FLIGHT_PER_OWNER = 2;
/**
 * How long past WEBHOOK_TIMEOUT_MS a slot counts when its worker never gave it back (it crashed): the attempt
 * cannot be sending any more by then, so the endpoint is free again.
 */
const SLOT_MARGIN_MS = 30_000;

/**
 * How long a delivery without a slot waits before trying again: a quarter of WEBHOOK_TIMEOUT_MS (the longest a
 * slot is held), within 0.2-5 s, from half to one and a half times that at random, so the deliveries waiting on
 * one owner do not all come back at the same instant, and many waiting cost few queries per second.
 */
function slotWaitMs(timeoutMs: number, random = Math.random): number {
  const base = Math.min(5_000, Math.max(200, timeoutMs / 4));
  return Math.round(base * (0.5 + random()));
}

/** What an attempt to a disabled endpoint records as its error (nothing is sent). */
const DISABLED_REASONS: Record<EndpointDisabled, string> = {
  key_revoked: 'not sent: the endpoint is disabled (key_revoked): the API key that registered it was revoked',
  key_scope_removed:
    'not sent: the endpoint is disabled (key_scope_removed): the API key that registered it no longer has the scope webhooks:write',
};

/** The first bytes of a receiver's answer kept with each attempt (for people to see why it failed). */
export const RESPONSE_SNIPPET_BYTES = 1024;

/**
 * One attempt at a delivery: sign its body (stored sealed, the same bytes every time) with the endpoint's
 * secret(s) and a fresh timestamp, POST it (the URL checked again, redirects not followed, WEBHOOK_TIMEOUT_MS
 * for all of it), and record the attempt: when, how long, the status or the error, a snippet of the answer.
 * A 2xx ends the delivery; anything else is retried on the schedule of retry-schedule.ts, until the
 * generation's WEBHOOK_ATTEMPTS attempts are spent. The attempt is recorded before anything is sent, so one
 * cut short by a crash is seen (and counted). Before all that: an endpoint disabled now ends the delivery
 * unsent; one whose endpoint or owner has its attempts in flight already waits (`waiting`), spending nothing.
 */
export async function deliverWebhook(ctx: JobsContext, deliveryId: string, generation: number): Promise<DeliveryOutcome> {
  const delivery = await getDeliveryToSend(ctx.pool, deliveryId);
  if (!delivery) return { status: 'skipped', reason: 'the delivery no longer exists (its endpoint or job was deleted)' };
  if (delivery.generation !== generation) return { status: 'skipped', reason: 'redelivered since' };
  if (delivery.status !== 'pending') return { status: 'skipped', reason: `already ${delivery.status}` };
  const log = ctx.log.child({ deliveryId, jobId: delivery.jobId, endpointId: delivery.endpoint.id });

  // Read now, at every attempt, from PostgreSQL: a key revoked (or stripped of its scope) after the delivery was
  // recorded or between its retries has its endpoints hear of nothing more, and its job links are never sent.
  const disabled = endpointDisabled(delivery.endpoint);
  if (disabled) return endDisabled(ctx, deliveryId, generation, disabled, log);

  const owner = delivery.endpoint.keyId ?? 'admin';
  const claimed = await claimDeliverySlot(ctx.pool, {
    deliveryId,
    endpointId: delivery.endpoint.id,
    owner,
    perEndpoint: MAX_IN_FLIGHT_PER_ENDPOINT,
    perOwner: MAX_IN_FLIGHT_PER_OWNER,
    ttlMs: ctx.config.webhooks.timeoutMs + SLOT_MARGIN_MS,
  });
  if (!claimed) {
    const retryInMs = slotWaitMs(ctx.config.webhooks.timeoutMs);
    // Shown to people and used by the reconciler (should the queue lose it) as when it is due.
    await scheduleDeliveryAttempt(ctx.pool, deliveryId, generation, new Date(Date.now() + retryInMs));
    log.debug({ owner, retryInMs }, 'webhook delivery waits: its endpoint or owner has as many attempts in flight as it may');
    return { status: 'waiting', retryInMs };
  }
  try {
    return await attemptWithSlot(ctx, delivery, generation, log);
  } finally {
    // A slot not given back (PostgreSQL down just now) stops counting at its expiry.
    await releaseDeliverySlot(ctx.pool, deliveryId).catch((err: Error) =>
      log.warn({ err: err.message }, 'could not give back a webhook delivery slot; it expires by itself'),
    );
  }
}

/** Records a delivery to a disabled endpoint as one attempt that sent nothing, and ends it as failed. */
async function endDisabled(
  ctx: JobsContext,
  deliveryId: string,
  generation: number,
  reason: EndpointDisabled,
  log: JobsContext['log'],
): Promise<DeliveryOutcome> {
  // One more than may be sent: the reason is recorded even when crashes spent the generation's attempts.
  const started = await startDeliveryAttempt(ctx.pool, deliveryId, generation, WEBHOOK_ATTEMPTS + 1);
  if (started) {
    await finishDeliveryAttempt(ctx.pool, deliveryId, started.attempt, {
      durationMs: 0,
      statusCode: null,
      error: DISABLED_REASONS[reason],
      errorCode: 'endpoint_disabled',
      response: null,
      internal: false,
    });
  }
  await finishDelivery(ctx.pool, deliveryId, generation, 'failed');
  log.info({ reason }, 'webhook delivery ended unsent: its endpoint is disabled');
  return { status: 'disabled', attempt: started?.attempt ?? 0, reason };
}

type Sendable = NonNullable<Awaited<ReturnType<typeof getDeliveryToSend>>>;

/** The attempt itself, with a slot held. */
async function attemptWithSlot(
  ctx: JobsContext,
  delivery: Sendable,
  generation: number,
  log: JobsContext['log'],
): Promise<DeliveryOutcome> {
  const deliveryId = delivery.id;
  const started = await startDeliveryAttempt(ctx.pool, deliveryId, generation, WEBHOOK_ATTEMPTS);
  if (!started) {
    // Every attempt of this generation was spent (some cut short by crashes): the delivery has failed.
    await finishDelivery(ctx.pool, deliveryId, generation, 'failed');
    return { status: 'failed', attempt: 0, reason: `all ${WEBHOOK_ATTEMPTS} attempts were made` };
  }
  const { attempt, inGeneration } = started;
  const t0 = performance.now();
  const result = await send(ctx, delivery);
  const durationMs = Math.round(performance.now() - t0);
  const delivered = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
  const retryInMs = !delivered && inGeneration < WEBHOOK_ATTEMPTS ? webhookRetryDelay(inGeneration, ctx.config.webhooks.retryBaseMs) : null;
  // When the next attempt is due is stored before this attempt's outcome: whoever reads the failed attempt (the
  // reconciler, a person, a test) also reads when the next one is due, never the time this one was due.
  if (retryInMs !== null) await scheduleDeliveryAttempt(ctx.pool, deliveryId, generation, new Date(Date.now() + retryInMs));
  await finishDeliveryAttempt(ctx.pool, deliveryId, attempt, { durationMs, ...result });

  if (delivered) {
    // Delivered: from here on a failure must not make the queue send it again, so an outage of PostgreSQL is waited out.
    await retryWhileDatabaseUnavailable(ctx.pool, () => finishDelivery(ctx.pool, deliveryId, generation, 'succeeded'), {
      log,
      what: 'mark webhook delivered',
    });
    log.info({ attempt, status: result.statusCode, ms: durationMs }, 'webhook delivered');
    return { status: 'delivered', attempt };
  }
  const reason = result.error ?? `answered ${result.statusCode}`;
  if (retryInMs === null) {
    await finishDelivery(ctx.pool, deliveryId, generation, 'failed');
    log.warn({ attempt, reason }, `webhook delivery failed after ${WEBHOOK_ATTEMPTS} attempts`);
    return { status: 'failed', attempt, reason };
  }
  log.warn({ attempt, reason, retryInMs }, 'webhook attempt failed; will retry');
  return { status: 'retry', attempt, retryInMs, reason };
}

/**
 * Why an attempt failed, stored with it: the outbound request's error code (`http_status` for an answer other
 * than 2xx), or `not_sent` when the worker could not even sign the delivery. What an API key may see of an
 * attempt is decided from it (deliveries.ts).
 */
export type AttemptErrorCode = OutboundErrorCode | 'not_sent' | 'endpoint_disabled';

interface AttemptResult {
  statusCode: number | null;
  error: string | null;
  errorCode: AttemptErrorCode | null;
  response: string | null;
  /** The receiver's address (resolved or written out) is not a public one: WEBHOOK_ALLOW_HOSTS let it through. */
  internal: boolean;
}

/** A URL's host when it is an IP address written out (without IPv6 brackets); else null. */
function literalAddress(url: string): string | null {
  try {
    const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
    return isIP(host) !== 0 ? host : null;
  } catch {
    return null;
  }
}

async function send(ctx: JobsContext, delivery: Sendable): Promise<AttemptResult> {
  const box = secretBoxOf(ctx.config);
  if (!box)
    return {
      statusCode: null,
      error: 'not sent: WEBHOOK_SECRET_KEY is not set in the worker processes',
      errorCode: 'not_sent',
      response: null,
      internal: false,
    };
  let body: string;
  let secrets: string[];
  try {
    body = box.open(delivery.body, bodyContext(delivery.id), 'delivery body').toString('utf8');
    const { endpoint } = delivery;
    // The current secret, then every one rotated out whose grace has not ended: one signature each.
    const now = new Date();
    secrets = [endpoint.secret, ...endpoint.oldSecrets.filter((o) => o.expiresAt > now).map((o) => o.secret)].map((s) =>
      box.open(s, secretContext(endpoint.id), 'endpoint secret').toString('utf8'),
    );
  } catch (err) {
    if (err instanceof SecretBoxError) {
      return { statusCode: null, error: `not sent: ${err.message}`, errorCode: 'not_sent', response: null, internal: false };
    }
    throw err;
  }
  // Every address the receiver's host had for this attempt (safeFetch connects to one of these only), to tell
  // whether the attempt went to an internal address.
  const literal = literalAddress(delivery.endpoint.url);
  const addresses: string[] = literal ? [literal] : [];
  const resolver: Resolver = async (host) => {
    const found = await systemResolver(host);
    addresses.push(...found.map((a) => a.address));
    return found;
  };
  const internal = () =>
    addresses.some((a) => {
      try {
        return !isPublicAddress(a);
      } catch {
        return true;
      }
    });
  try {
    const res = await safeFetch(delivery.endpoint.url, {
      policy: webhookPolicy(ctx.config),
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'batchcast-webhooks',
        ...signedHeaders(secrets, delivery.id, new Date(), body),
      },
      body,
      deadlineMs: ctx.config.webhooks.timeoutMs,
      // Only a snippet is read (the rest is dropped): the cap only bounds what a Content-Length may announce.
      maxBodyBytes: 1024 ** 3,
      maxRedirects: 0,
      acceptStatus: () => true,
      responseType: 'stream',
      resolver,
    });
    if (res.address) addresses.push(res.address);
    const response = await snippet(res.body);
    const ok = res.status >= 200 && res.status < 300;
    return {
      statusCode: res.status,
      error: ok ? null : `answered ${res.status}`,
      errorCode: ok ? null : 'http_status',
      response,
      internal: internal(),
    };
  } catch (err) {
    if (err instanceof OutboundError) {
      return { statusCode: err.status ?? null, error: err.message, errorCode: err.code, response: null, internal: internal() };
    }
    throw err;
  }
}

/** The first RESPONSE_SNIPPET_BYTES of an answer as text (the rest is not read); null when empty or unreadable. */
async function snippet(stream: Readable): Promise<string | null> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      parts.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= RESPONSE_SNIPPET_BYTES) break;
    }
  } catch {
    // The answer broke off or took too long after its status: the status is what counts.
  } finally {
    stream.destroy();
  }
  // NUL cannot be stored in a PostgreSQL text column.
  const text = Buffer.concat(parts)
    .subarray(0, RESPONSE_SNIPPET_BYTES)
    .toString('utf8')
    .replace(/\u0000/g, '')
    .trim();
  return text === '' ? null : text;
}
