import { dateTime, shownText } from './common.js';
import { z } from './zod.js';

export const ApiKeyScope = z.enum(['jobs:read', 'jobs:write', 'webhooks:read', 'webhooks:write', 'models:write']).openapi('ApiKeyScope', {
  description:
    '`jobs:write` submits and cancels jobs; `jobs:read` lists them and reads status and results; `webhooks:write` manages the key’s webhook endpoints (and includes `webhooks:read`: seeing them and their deliveries); `models:write` registers new versions of any model name and removes versions (not the original files, jobs, keys or admin pages).',
});
export type ApiKeyScope = z.infer<typeof ApiKeyScope>;

const limit = (what: string) =>
  z
    .number({ error: `"limits.${what}" is a whole number of 1 or more, or null for no limit.` })
    .int({ error: `"limits.${what}" is a whole number of 1 or more, or null for no limit.` })
    .min(1, { error: `"limits.${what}" is a whole number of 1 or more, or null for no limit.` })
    .nullable();

export const ApiKeyLimits = z
  .object({
    requestsPerMinute: limit('requestsPerMinute').openapi({ description: 'Requests a minute with this key (429 above); null: no limit.' }),
    rowsPerDay: limit('rowsPerDay').openapi({
      description: 'Rows of the jobs it may submit per UTC day (429 above, before the job is recorded); null: no limit.',
    }),
    concurrentJobs: limit('concurrentJobs').openapi({
      description:
        'Jobs it may have queued or running at once, uploads still arriving (being scored) included (429 above, before the upload is read); null: no limit.',
    }),
  })
  // A field the endpoint does not take ("limit" for "limits") is refused, not silently ignored.
  .strict()
  .openapi('ApiKeyLimits');

export const ApiKeyRequest = z
  .object({
    name: shownText(
      z
        .string({ error: 'Give "name": what the key is for, e.g. "crm-sync" (1 to 100 characters).' })
        .max(100, { error: 'A key’s "name" is at most 100 characters.' }),
      'A key’s "name"',
    ),
    scopes: z
      .array(z.string(), {
        error: 'Give "scopes": a list of what the key may do (jobs:read, jobs:write, webhooks:read, webhooks:write, models:write).',
      })
      .max(10)
      .openapi({
        example: ['jobs:write', 'jobs:read', 'webhooks:write'],
        description: 'Some of jobs:read, jobs:write, webhooks:read, webhooks:write, models:write.',
      }),
    limits: ApiKeyLimits.partial()
      .optional()
      .openapi({ description: 'Each optional: `requestsPerMinute` defaults to 600, the others to no limit.' }),
  })
  // A field the endpoint does not take ("limit" for "limits") is refused, not silently ignored.
  .strict()
  .openapi('ApiKeyRequest');
export type ApiKeyRequest = z.infer<typeof ApiKeyRequest>;

export const ApiKeyUpdate = z
  .object({
    name: ApiKeyRequest.shape.name.optional(),
    scopes: ApiKeyRequest.shape.scopes.optional(),
    limits: ApiKeyLimits.partial().optional().openapi({ description: 'Only the limits given change; null removes one.' }),
  })
  // A field the endpoint does not take ("limit" for "limits") is refused, not silently ignored.
  .strict()
  .openapi('ApiKeyUpdate');
export type ApiKeyUpdate = z.infer<typeof ApiKeyUpdate>;

export const ApiKey = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    name: z.string(),
    prefix: z
      .string()
      .openapi({ description: 'The key’s first characters (`bck_` and 8 more), to tell keys apart.', example: 'bck_7gQ2xkLm' }),
    scopes: z.array(ApiKeyScope),
    limits: ApiKeyLimits,
    createdAt: dateTime(),
    lastUsedAt: dateTime().nullable(),
  })
  .openapi('ApiKey');
export type ApiKey = z.infer<typeof ApiKey>;

export const ApiKeyCreated = ApiKey.extend({
  key: z.string().openapi({ description: 'The key itself, shown this once (only its hash is stored): `Authorization: Bearer <key>`.' }),
}).openapi('ApiKeyCreated');
export type ApiKeyCreated = z.infer<typeof ApiKeyCreated>;

export const ApiKeyList = z
  .object({ keys: z.array(ApiKey).openapi({ description: 'Keys not revoked, newest first.' }) })
  .openapi('ApiKeyList');
export type ApiKeyList = z.infer<typeof ApiKeyList>;

export const ApiKeyIdParams = z.object({ id: z.string().openapi({ format: 'uuid', description: 'The key’s id.' }) });
