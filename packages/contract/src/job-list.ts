import { JobStatusName, pageQuery } from './common.js';
import { JobStatus } from './jobs.js';
import { z } from './zod.js';

export const JobListQuery = pageQuery('Jobs').extend({
  // Its own message: zod's ("Invalid option: expected one of …") did not say which parameter was wrong.
  status: z
    .enum(JobStatusName.options, { error: `"status" is one of ${JobStatusName.options.join(', ')} (one state per request).` })
    .optional()
    .openapi({ description: 'Only jobs in this state.' }),
});
export type JobListQuery = z.infer<typeof JobListQuery>;

export const JobList = z
  .object({
    jobs: z.array(JobStatus).openapi({ description: 'Newest first; each as `GET /api/jobs/{id}` shows it, links with the job’s token.' }),
    next: z.string().nullable().openapi({ description: 'Opaque: pass as `cursor` for the next page; null on the last page.' }),
  })
  .openapi('JobList');
export type JobList = z.infer<typeof JobList>;
