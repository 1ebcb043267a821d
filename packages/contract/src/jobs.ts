import { count, dateTime, JobStatusName, Task, version } from './common.js';
import { z } from './zod.js';

export const JobLinks = z.object({ self: z.string(), page: z.string(), results: z.string() }).openapi('JobLinks');
export type JobLinks = z.infer<typeof JobLinks>;

export const JobCreated = z
  .object({ id: z.string().openapi({ format: 'uuid' }), status: z.literal('queued'), links: JobLinks })
  .openapi('JobCreated');
export type JobCreated = z.infer<typeof JobCreated>;

export const RowCounts = z.object({ total: count(), processed: count(), failed: count() });

export const JobStatus = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    status: JobStatusName,
    model: z.object({ name: z.string(), version: version(), sha256: z.string() }),
    filename: z.string(),
    rows: RowCounts,
    createdAt: dateTime(),
    startedAt: dateTime().nullable(),
    finishedAt: dateTime().nullable(),
    expiresAt: dateTime()
      .nullable()
      .openapi({ description: 'When the job’s data (results included) is deleted: RETENTION_DAYS after it ended; null while it runs.' }),
    error: z.string().nullable(),
    links: JobLinks,
  })
  .openapi('JobStatus');
export type JobStatus = z.infer<typeof JobStatus>;

export const JobSummary = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    status: JobStatusName,
    task: Task,
    model: z.object({ name: z.string(), version: version() }),
    rows: RowCounts,
    durationSeconds: z.number().nullable(),
    classCounts: z
      .array(z.object({ label: z.string(), count: count() }))
      .optional()
      .openapi({ description: 'Classifiers: rows per class.' }),
    histogram: z
      .object({
        min: z.number().nullable(),
        max: z.number().nullable(),
        bins: z.array(z.object({ from: z.number(), to: z.number(), count: count() })),
      })
      .optional()
      .openapi({ description: 'Regressors: equal-width bins between the smallest and largest prediction.' }),
    preview: z.object({ header: z.array(z.string()), rows: z.array(z.array(z.string())), inputColumns: count() }),
  })
  .openapi('JobSummary');
export type JobSummary = z.infer<typeof JobSummary>;

/** The multipart fields of an upload besides the file (`POST /api/jobs` and the HTML form). */
export const UploadFields = z.object({
  model: z.string().max(200).optional().openapi({ description: '`name` or `name@version`; the default model (DEFAULT_MODEL) when empty.' }),
  email: z.string().max(320).optional().openapi({ description: 'Told when the job ends (optional).', format: 'email' }),
});
export type UploadFields = z.infer<typeof UploadFields>;

export const UploadForm = UploadFields.extend({
  file: z.string().openapi({ format: 'binary', description: 'The CSV, with a header line (UTF-8, comma-separated).' }),
}).openapi('UploadForm');
