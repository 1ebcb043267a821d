import { createJob } from '@batchcast/submit';
import type { WebContext } from '../context.js';
import type { ScannedFile } from '../upload/scanning-storage.js';

export interface SubmittedJob {
  id: string;
  token: string;
  status: 'queued';
}

/**
 * Checks an uploaded CSV against the chosen model while the user is still on the page, then records the
 * job in PostgreSQL and queues its scoring (@batchcast/submit, shared with scheduled runs). Every refusal
 * deletes the upload.
 */
export async function submitJob(
  ctx: WebContext,
  upload: { file: ScannedFile; filename: string; model?: string; email?: unknown },
): Promise<SubmittedJob> {
  try {
    const job = await createJob(
      { pool: ctx.pool, scoring: ctx.producer, log: ctx.log, defaultModel: ctx.config.models.defaultName },
      { key: upload.file.key, source: upload.file.source, size: upload.file.size, layout: upload.file.layout },
      { filename: upload.filename, model: upload.model, email: upload.email },
    );
    return { id: job.id, token: job.token, status: job.status };
  } catch (err) {
    await ctx.blobs.delete(upload.file.key).catch(() => undefined);
    throw err;
  }
}
