import { type Reseal, resealDeliveryBodies, resealEndpointSecrets, withAdvisoryLock } from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { secretContext } from './endpoints.js';
import { bodyContext } from './events.js';
import { type SealedWhat, SecretBoxError, secretBoxOf } from './secret-box.js';

/** What a re-seal pass did. */
export interface ResealOutcome {
  /** Endpoint secrets (current, or rotated out and still signing) re-sealed with the first key. */
  secrets: number;
  /** Delivery bodies re-sealed with the first key. */
  bodies: number;
  /** Values sealed with a key no longer configured (or damaged): left as they are, named in the log. */
  unreadable: number;
}

/** Rows locked and re-sealed per transaction: a pass over many deliveries never holds them all at once. */
export const RESEAL_BATCH = 200;

/**
 * While WEBHOOK_SECRET_KEY lists several keys (a rotation, docs/api.md), seals again with the first key
 * every endpoint secret and every delivery body still sealed with another, so that once a pass has run with
 * `new,old` the old key may be dropped: without this, deliveries recorded before the rotation (pending ones
 * and those one may redeliver) could never be sent again once it was, and rotating an endpoint's secret does
 * not touch them.
 *
 * Safe with every process starting at once: one pass at a time everywhere (an advisory lock; null when
 * another process holds it), each batch a transaction of its own with its rows locked as a rotation locks them
 * (a secret rotated meanwhile is never overwritten), and a value already sealed with the first key is left as
 * it is, so running it again changes nothing. Null without WEBHOOK_SECRET_KEY or with one key only.
 */
export async function resealWebhookSecrets(ctx: JobsContext, opts: { batch?: number } = {}): Promise<ResealOutcome | null> {
  const box = secretBoxOf(ctx.config);
  if (!box?.rotating) return null;
  const batch = opts.batch ?? RESEAL_BATCH;
  return withAdvisoryLock(ctx.pool, 'webhookReseal', async () => {
    const outcome: ResealOutcome = { secrets: 0, bodies: 0, unreadable: 0 };
    const resealing =
      (what: SealedWhat, context: (id: string) => string): Reseal =>
      (sealed, id) => {
        try {
          return box.reseal(sealed, context(id), what);
        } catch (err) {
          if (!(err instanceof SecretBoxError)) throw err;
          outcome.unreadable++;
          ctx.log.warn({ [what === 'delivery body' ? 'deliveryId' : 'endpointId']: id, err: err.message }, `webhook ${what} not re-sealed`);
          return null;
        }
      };
    const keyId = box.sealingKeyId;
    for (let after: string | null = null; ; ) {
      const done = await resealEndpointSecrets(ctx.pool, keyId, after, batch, resealing('endpoint secret', secretContext));
      outcome.secrets += done.changed;
      if (done.seen < batch) break;
      after = done.last;
    }
    for (let after: string | null = null; ; ) {
      const done = await resealDeliveryBodies(ctx.pool, keyId, after, batch, resealing('delivery body', bodyContext));
      outcome.bodies += done.changed;
      if (done.seen < batch) break;
      after = done.last;
    }
    return outcome;
  });
}
