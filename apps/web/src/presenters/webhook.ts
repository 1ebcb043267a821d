import type { WebhookDelivery as DeliveryView, WebhookEndpoint as EndpointView } from '@batchcast/contract';
import type { WebhookDelivery, WebhookEndpoint } from '@batchcast/jobs';

/** A webhook endpoint as the API shows it (its secret only in the answers that make one). */
export function describeWebhook(e: WebhookEndpoint): EndpointView {
  return {
    id: e.id,
    url: e.url,
    events: e.events,
    keyId: e.keyId,
    createdAt: e.createdAt.toISOString(),
    secretRotatedAt: e.secretRotatedAt?.toISOString() ?? null,
    previousSecretsExpireAt: e.previousSecretsExpireAt.map((at) => at.toISOString()),
    previousSecretExpiresAt: e.previousSecretExpiresAt?.toISOString() ?? null,
    disabled: e.disabled,
  };
}

/** A delivery with its attempts, as the API shows it. */
export function describeDelivery(d: WebhookDelivery): DeliveryView {
  return {
    id: d.id,
    endpointId: d.endpointId,
    url: d.endpointUrl,
    jobId: d.jobId,
    event: d.event as DeliveryView['event'],
    status: d.status,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
    createdAt: d.createdAt.toISOString(),
    finishedAt: d.finishedAt?.toISOString() ?? null,
    attempts: d.attempts.map((a) => ({
      attempt: a.attempt,
      generation: a.generation,
      startedAt: a.startedAt.toISOString(),
      outcome: a.outcome,
      durationMs: a.durationMs,
      statusCode: a.statusCode,
      error: a.error,
      response: a.response,
    })),
  };
}
