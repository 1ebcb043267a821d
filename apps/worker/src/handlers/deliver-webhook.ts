import { UnrecoverableError } from 'bullmq';
import { deliverWebhook } from '@batchcast/jobs';
import { RetryLater, RunLater } from '@batchcast/queue';
import type { Handler } from './handler.js';

/**
 * One attempt at a webhook delivery. PostgreSQL counts the attempts and says when the next is due: a failed
 * attempt is retried after exactly that delay (RetryLater), the last one fails the queue job for good. One
 * that waits for a slot (its endpoint or owner has its attempts in flight) is put back without spending a queue
 * attempt (RunLater); one to a disabled endpoint has ended unsent, and the queue job with it.
 */
export const deliverWebhookHandler: Handler<'deliver-webhook'> = (ctx) => async (payload) => {
  const outcome = await deliverWebhook(ctx, payload.deliveryId, payload.generation);
  if (outcome.status === 'waiting') throw new RunLater('waits for a delivery slot of its endpoint or owner', outcome.retryInMs);
  if (outcome.status === 'retry') throw new RetryLater(`attempt ${outcome.attempt}: ${outcome.reason}`, outcome.retryInMs);
  if (outcome.status === 'failed') throw new UnrecoverableError(`gave up: ${outcome.reason}`);
};
