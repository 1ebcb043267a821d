import type { Job } from 'bullmq';
import type { JobsContext } from '@batchcast/jobs';
import type { JobName, Payload } from '@batchcast/queue';

/** A job kind's adapter: given the process's context, what to do with one parsed payload. */
export type Handler<N extends JobName> = (ctx: JobsContext) => (payload: Payload<N>, job: Job) => Promise<void>;
