import type { JobsContext } from '@batchcast/jobs';
import type { JobInfo, MainKind, Payload } from '@batchcast/queue';

/** A main-thread job kind's adapter: given the process's context, what to do with one parsed payload. */
export type Handler<N extends MainKind> = (ctx: JobsContext) => (payload: Payload<N>, job: JobInfo) => Promise<void>;
