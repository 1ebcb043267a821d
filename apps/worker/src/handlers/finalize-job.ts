import { finaliseJob } from '@batchcast/jobs';
import type { Handler } from './handler.js';

/** After every chunk of a job: end it from what PostgreSQL says, then queue the owner's email. */
export const finalizeJobHandler: Handler<'finalize-job'> = (ctx) => (payload) => finaliseJob(ctx, payload.jobId);
