import { count, dateTime, JobStatusName, pageQuery } from './common.js';
import { z } from './zod.js';

export const WebhookEventName = z.enum(['job.succeeded', 'job.failed', 'job.cancelled']).openapi('WebhookEventName');
export type WebhookEventName = z.infer<typeof WebhookEventName>;

export const WebhookRequest = z
  .object({
    url: z
      .string({ error: 'Give "url": the https:// address of your receiver.' })
      .max(2048, { error: 'A webhook "url" is at most 2048 characters.' })
      .openapi({ description: 'https:// with a public address (http:// and internal addresses only for hosts in WEBHOOK_ALLOW_HOSTS).' }),
    events: z
      .array(z.string(), { error: 'Give "events": a list of job.succeeded, job.failed, job.cancelled.' })
      .max(10)
      .openapi({
        example: ['job.succeeded', 'job.failed', 'job.cancelled'],
        description: 'Some of job.succeeded, job.failed, job.cancelled.',
      }),
  })
  // A field the endpoint does not take ("limit" for "limits") is refused, not silently ignored.
  .strict()
  .openapi('WebhookRequest');
export type WebhookRequest = z.infer<typeof WebhookRequest>;

export const WebhookEndpoint = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    url: z.string(),
    events: z.array(WebhookEventName),
    keyId: z.string().nullable().openapi({
      format: 'uuid',
      description: 'The API key that registered it (it hears of that key’s jobs); null: an admin’s (every job).',
    }),
    createdAt: dateTime(),
    secretRotatedAt: dateTime().nullable(),
    previousSecretsExpireAt: z.array(dateTime()).openapi({
      description:
        'One per secret rotated out that still signs, the last to expire first: until then, deliveries carry a signature with it too.',
    }),
    previousSecretExpiresAt: dateTime()
      .nullable()
      .openapi({ description: 'Until when deliveries carry more than one signature (the first of `previousSecretsExpireAt`), or null.' }),
    disabled: z.enum(['key_revoked', 'key_scope_removed']).nullable().openapi({
      description:
        'Why it hears of nothing any more, or null (active): `key_revoked` once the API key that registered it was revoked. A revoked key’s access ends, and deliveries carry links with job tokens, so none is recorded or sent for it from then on, not even for jobs the key submitted before; `key_scope_removed` while that key lacks the scope `webhooks:write` (enabled again once it has it).',
    }),
  })
  .openapi('WebhookEndpoint');
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;

export const WebhookWithSecret = WebhookEndpoint.extend({
  secret: z.string().openapi({
    description: 'The signing secret (`whsec_…`), shown this once: verify deliveries with it (Standard Webhooks).',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  }),
}).openapi('WebhookWithSecret');
export type WebhookWithSecret = z.infer<typeof WebhookWithSecret>;

export const WebhookList = z.object({ webhooks: z.array(WebhookEndpoint) }).openapi('WebhookList');
export type WebhookList = z.infer<typeof WebhookList>;

export const WebhookIdParams = z.object({ id: z.string().openapi({ format: 'uuid', description: 'The endpoint’s id.' }) });

export const RotateSecretRequest = z
  .object({
    graceSeconds: z
      .number({ error: '"graceSeconds" is a whole number of seconds from 0 to 604800.' })
      .int({ error: '"graceSeconds" is a whole number of seconds from 0 to 604800.' })
      .min(0, { error: '"graceSeconds" is a whole number of seconds from 0 to 604800.' })
      .max(604_800, { error: '"graceSeconds" is a whole number of seconds from 0 to 604800.' })
      .optional()
      .openapi({
        default: 86_400,
        description:
          'How long the current secret keeps signing too (secrets rotated out before keep their own grace). 0: only the new secret signs from now on, every old one stops at once (e.g. after a leak).',
      }),
  })
  // A field the endpoint does not take ("limit" for "limits") is refused, not silently ignored.
  .strict()
  .openapi('RotateSecretRequest');
export type RotateSecretRequest = z.infer<typeof RotateSecretRequest>;

export const WebhookAttempt = z
  .object({
    attempt: z.number().int().min(1),
    generation: count().openapi({ description: '0 for the first series of attempts, +1 for each redelivery.' }),
    startedAt: dateTime(),
    outcome: z.enum(['delivered', 'failed']).nullable().openapi({
      description:
        '`delivered`: the receiver answered 2xx; `failed`: anything else; null: the attempt was cut short (a worker died) and has no outcome.',
    }),
    durationMs: count().nullable().openapi({
      description:
        'null when the attempt has no outcome, and for an API key when the receiver has an internal address (one WEBHOOK_ALLOW_HOSTS allowed; admins see it) or its host did not resolve or resolved to a refused address.',
    }),
    statusCode: z.number().int().nullable().openapi({
      description:
        'The receiver’s status; null when it did not answer, and for an API key when the receiver has an internal address (admins see it).',
    }),
    error: z.string().nullable().openapi({
      description:
        'Why it failed (a status other than 2xx, a timeout, a refused address…). For an API key, a failed attempt to an internal receiver reads as a generic “not delivered…” unless the address policy refused it before anything was sent; a host that does not resolve and one that resolves to an address the policy refuses read the same (“not delivered: the receiver’s host does not resolve to a public address from this server (not reachable or not allowed…)”), so that a key cannot map internal DNS names; admins see the details.',
    }),
    response: z.string().nullable().openapi({
      description: 'The first KiB of the receiver’s answer; null for an API key when the receiver has an internal address (admins see it).',
    }),
  })
  .openapi('WebhookAttempt');

export const WebhookDelivery = z
  .object({
    id: z.string().openapi({ description: 'The `webhook-id` every attempt carries.', example: 'msg_4f0c6d5b2a19e8c7d6b5a4f3e2d1c0b9' }),
    endpointId: z.string().openapi({ format: 'uuid' }),
    url: z.string(),
    jobId: z.string().openapi({ format: 'uuid' }),
    event: WebhookEventName,
    status: z.enum(['pending', 'succeeded', 'failed']),
    nextAttemptAt: dateTime().nullable().openapi({ description: 'When the next attempt is due (pending deliveries only).' }),
    createdAt: dateTime(),
    finishedAt: dateTime().nullable(),
    attempts: z.array(WebhookAttempt).openapi({ description: 'Newest first.' }),
  })
  .openapi('WebhookDelivery');
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const DeliveryListQuery = pageQuery('Deliveries');

export const DeliveryList = z
  .object({ deliveries: z.array(WebhookDelivery).openapi({ description: 'Newest first.' }), next: z.string().nullable() })
  .openapi('DeliveryList');
export type DeliveryList = z.infer<typeof DeliveryList>;

export const DeliveryParams = z.object({
  id: z.string().openapi({ format: 'uuid', description: 'The endpoint’s id.' }),
  deliveryId: z.string().openapi({ description: 'The delivery’s id (its `webhook-id`).' }),
});

/** The JSON body of every delivery (documented in the OpenAPI document's `webhooks`). */
export const WebhookEventBody = z
  .object({
    type: WebhookEventName,
    timestamp: dateTime().openapi({ description: 'When the job ended.' }),
    data: z.object({
      id: z.string().openapi({ format: 'uuid' }),
      status: JobStatusName.exclude(['receiving', 'queued', 'running']),
      rows: z.object({ total: count(), processed: count(), failed: count() }),
      model: z.object({ name: z.string(), version: z.number().int().min(1) }),
      finishedAt: dateTime(),
      error: z.string().nullable(),
      links: z.object({ self: z.string(), page: z.string(), results: z.string().optional(), errors: z.string().optional() }).openapi({
        description:
          'Absolute; each carries a token of this delivery’s own. Only links that answer: `results` (results.csv; the other formats by its extension) for a job that succeeded, `errors` (errors.csv) for a job with failed rows that is not cancelled.',
      }),
    }),
  })
  .openapi('WebhookEventBody');
export type WebhookEventBody = z.infer<typeof WebhookEventBody>;
