import { notifyOwner } from '@batchcast/jobs';
import type { Handler } from './handler.js';

/** Tells the owner how the job ended; a failure throws and the queue retries with backoff. */
export const sendEmailHandler: Handler<'send-email'> = (ctx) => (payload) => notifyOwner(ctx, payload.jobId);
