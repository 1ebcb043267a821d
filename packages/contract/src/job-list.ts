import { JobStatusName } from './common.js';
import { JobStatus } from './jobs.js';
import { z } from './zod.js';

export const JobListQuery = z.object({
  limit: z.coerce
    .number({ error: '"limit" is a whole number from 1 to 100.' })
    .int({ error: '"limit" is a whole number from 1 to 100.' })
    .min(1, { error: '"limit" is a whole number from 1 to 100.' })
    .max(100, { error: '"limit" is a whole number from 1 to 100.' })
    .optional()
    .openapi({ description: 'Jobs per page (1 to 100, default 20).', type: 'integer' }),
  cursor: z.string().max(200).optional().openapi({ description: 'The `next` of the previous page; leave out for the first page.' }),
  status: JobStatusName.optional().openapi({ description: 'Only jobs in this state.' }),
});
export type JobListQuery = z.infer<typeof JobListQuery>;

export const JobList = z
  .object({
    jobs: z.array(JobStatus).openapi({ description: 'Newest first; each as `GET /api/jobs/{id}` shows it, links with the job’s token.' }),
    next: z.string().nullable().openapi({ description: 'Opaque: pass as `cursor` for the next page; null on the last page.' }),
  })
  .openapi('JobList');
export type JobList = z.infer<typeof JobList>;
