import type { Job } from 'bullmq';
import type { JobName, Payload } from '@batchcast/queue';
import type { WorkerContext } from './context.js';
import { finalizeJob } from './processors/finalize-job.js';
import { scheduledRun } from './processors/scheduled-run.js';
import { scoreChunk } from './processors/score-chunk.js';
import { sendEmail } from './processors/send-email.js';

export type Handler<N extends JobName> = (ctx: WorkerContext, payload: Payload<N>, job: Job) => Promise<void>;

/** One processor per job kind; a kind without a handler does not compile. */
export const handlers: { [N in JobName]: Handler<N> } = {
  'score-chunk': scoreChunk,
  'finalize-job': finalizeJob,
  'send-email': sendEmail,
  'scheduled-run': scheduledRun,
};
