import { passUploadGate } from '@batchcast/jobs';
import type { Handler } from './handler.js';

/** Opened when a job's upload ends: lets its finaliser run once its chunks are done. */
export const uploadGateHandler: Handler<'upload-gate'> = (ctx) => (payload) => passUploadGate(ctx, payload.jobId);
