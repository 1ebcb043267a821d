import { randomUUID } from 'node:crypto';
import type { JobsContext } from '../context.js';
import { DomainError } from '../errors.js';
import { checkJobRequest } from '../lifecycle/create-job.js';
import { storeUpload } from '../uploads/store-upload.js';
import type { UploadChoices } from '../uploads/stored-upload.js';
import { openScheduleSource, type ScheduleSource } from './source.js';

/**
 * Reads a new schedule's source once, as a run will, and checks it against the model with the checks every job
 * makes (checkJobRequest: its columns, a first sample of rows), so that a source that cannot fit the model is
 * refused now (`missing_columns`...) instead of failing, and emailing, at every run. Kept only while checked.
 * Only a file source: a URL is not fetched to create a schedule (its server may be slow or hang, holding the
 * request up to SCHEDULE_FETCH_TIMEOUT_MS; its runs say what is wrong). A file that cannot be read now is not
 * refused either: a run may read it later, and says so if it cannot.
 */
export async function checkSourceFitsModel(ctx: JobsContext, source: ScheduleSource, model: string, reading: UploadChoices): Promise<void> {
  if (source.kind !== 'file') return;
  let opened: Awaited<ReturnType<typeof openScheduleSource>>;
  try {
    opened = await openScheduleSource(source, ctx.config);
  } catch (err) {
    if (err instanceof DomainError) throw err;
    ctx.log.info({ err: (err as Error).message }, 'schedule source not readable now; its columns are checked at each run');
    return;
  }
  const key = `uploads/schedule-check-${randomUUID()}.csv`;
  try {
    const upload = await storeUpload(ctx.blobs, opened.stream, {
      key,
      chunkRows: ctx.config.workers.chunkRows,
      maxBytes: ctx.config.storage.maxUploadBytes,
      maxDecompressedBytes: ctx.config.storage.maxDecompressedBytes,
      hints: { filename: opened.filename },
      choices: reading,
    });
    // As a run's job: the address is the schedule's, set by an administrator (no email rate to check).
    await checkJobRequest(ctx, upload.key, upload.layout, upload.chunks[0], { filename: opened.filename, model, emailSetByAdmin: true });
  } finally {
    await ctx.blobs.delete(key).catch(() => undefined);
  }
}
