import { count, dateTime, JobStatusName } from './common.js';
import { ModelFormat } from './models.js';
import { Schedule } from './schedules.js';
import { z } from './zod.js';

export const Health = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    checks: z.object({
      postgres: z.enum(['ok', 'down']).openapi({ description: 'Why it is down is logged for the operators, not told here.' }),
      redis: z.enum(['ok', 'down']),
    }),
  })
  .openapi('Health');
export type Health = z.infer<typeof Health>;

export const AdminJob = z.object({
  id: z.string().openapi({ format: 'uuid' }),
  status: JobStatusName,
  model: z.string(),
  modelVersion: z.number().int().min(1),
  filename: z.string(),
  email: z.string().nullable(),
  rowsTotal: count(),
  rowsProcessed: count(),
  rowsFailed: count(),
  createdAt: dateTime(),
  startedAt: dateTime().nullable(),
  finishedAt: dateTime().nullable(),
  durationSeconds: z.number().nullable(),
  expiresAt: dateTime()
    .nullable()
    .openapi({ description: 'When its data is deleted (RETENTION_DAYS after it ended); null while it runs.' }),
  error: z.string().nullable(),
  schedule: z.string().nullable().openapi({ description: 'The schedule whose run made the job; null for an upload.' }),
});
export type AdminJob = z.infer<typeof AdminJob>;

export const AdminOverview = z
  .object({
    jobs: z
      .array(AdminJob)
      .openapi({ description: 'The 50 most recent jobs, newest first, with their owner address (admins only; never logged).' }),
    models: z.array(
      z.object({
        name: z.string(),
        versions: z.array(
          z.object({
            version: z.number().int().min(1),
            sha256: z.string(),
            task: z.string(),
            createdAt: dateTime(),
            description: z.string(),
            format: ModelFormat,
            library: z.string().nullable(),
            libraryVersion: z.string().nullable(),
            original: z
              .string()
              .nullable()
              .openapi({ description: 'Where an admin downloads the uploaded file; null when it was not kept.' }),
            registeredBy: z.object({ keyId: z.string(), name: z.string(), prefix: z.string() }).nullable().openapi({
              description:
                'The API key (scope `models:write`) that registered the version, as it is named now; null for the admin and for versions registered before keys could.',
            }),
          }),
        ),
      }),
    ),
    queues: z.array(z.object({ name: z.string(), counts: z.record(z.string(), count()) })),
    schedules: z.array(Schedule),
  })
  .openapi('AdminOverview');
export type AdminOverview = z.infer<typeof AdminOverview>;

export const Outbox = z
  .object({
    messages: z.array(
      z.object({
        id: z.string(),
        date: dateTime(),
        from: z.string(),
        to: z.string(),
        subject: z.string(),
        text: z.string(),
        html: z.string(),
      }),
    ),
  })
  .openapi('Outbox');
export type Outbox = z.infer<typeof Outbox>;
