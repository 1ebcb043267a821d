import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { CsvFormatError } from '@batchcast/csv';
import { drained, FormatError } from '@batchcast/formats';
import type { JobsContext } from '../context.js';
import { DomainError } from '../errors.js';
import { modelById } from '../models/registry.js';
import type { Job, Model } from '../records.js';
import { type DownloadHold, holdJobForDownload } from './download-hold.js';
import { type ExcelUnfit, excelUnfit, type ResultsFormat } from './results-format.js';
import { resultsFilename, writeResults } from './write-results.js';
import { writeTypedResultsDownload } from './typed-results-off-thread.js';

/** What a results download would be called and sent as, known without building it (a HEAD request's answer). */
export interface ResultsAbout {
  format: ResultsFormat;
  contentType: string;
  filename: string;
}

/** A results download that can be made: what to call it and send it as, and how to write it. */
export interface ResultsDownload extends ResultsAbout {
  /** Streams the results into `out` and ends it. */
  write(out: Writable): Promise<void>;
}

/** When a client asking for the results of a job that has not ended should ask again. */
const RETRY_RESULTS_AFTER_SECONDS = 5;

const CONTENT_TYPES: Record<ResultsFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/jsonl; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/**
 * The results of a job in one of the formats, checked BEFORE anything is written (once the first byte has
 * left, a refusal can only be a broken download): an Excel sheet must be able to hold the rows and columns,
 * and the job must have succeeded.
 */
export async function resultsDownload(ctx: JobsContext, job: Job, format: ResultsFormat): Promise<ResultsDownload> {
  const { about, model } = await checkResults(ctx, job, format);
  // Taken now, so that a job deleted by retention since it was opened is a 410 rather than a broken download
  // (and before the upload is looked for: retention deletes it too, and such a job is expired, not lost).
  const hold = await holdJobForDownload(ctx, job);
  try {
    await checkUploadKept(ctx, job);
  } catch (err) {
    // Deleted by its owner since it was opened: its upload went with it, which is no lost upload.
    const deleted = await hold.deleted();
    await hold.release();
    throw deleted ? deletedDuringDownload(ctx, job, format, false) : err;
  }
  return {
    ...about,
    async write(out) {
      // Its owner deleting the job meanwhile stops the download at once: cut off (the client sees a failed
      // transfer, not a complete-looking file), rather than going on serving the deleted job's rows.
      hold.onDeleted(() => out.destroy(new Error('the job was deleted during its results download')));
      try {
        // Deleted since it was checked: its chunks are gone, and the writers would make an empty file of it.
        if (await hold.deleted()) throw new Error('the job was deleted before its results were written');
        // Nor is a file ended unless the job is still there at its end: deleted while it was written (and
        // before the watch saw it), the reads after the deletion found nothing, and it would look complete.
        const guarded = endOnlyIfKept(out, hold);
        if (format === 'csv') {
          await writeResults(ctx, job, guarded);
          guarded.end();
          await finished(guarded);
        } else await writeTypedResultsDownload(ctx, job, model.schema, format, guarded);
      } catch (err) {
        out.destroy(err as Error);
        // Deleted by its owner while it was written: whatever failed (its upload or predictions gone from under
        // the reader, the output cut off), that is why, and no fault of the server's.
        if (await hold.deleted()) throw deletedDuringDownload(ctx, job, format, true);
        // The upload could not be read back (a column or page the scoring never needed): the person's
        // file, said as such, rather than "something went wrong on our side".
        if (err instanceof FormatError || err instanceof CsvFormatError)
          throw new DomainError('unprocessable', 'unreadable_input', `The results cannot be made: ${err.message}.`, { format });
        // Removed since the check above (or the store says so only when read).
        if ((err as { code?: unknown } | null)?.code === 'ENOENT') throw uploadMissing(ctx, job);
        throw err;
      } finally {
        await hold.release();
      }
    },
  };
}

/**
 * `out`, through a writable that passes every byte on (with its back-pressure) and ends it only once the job
 * is seen still there; else destroys it, so the download ends cut off rather than complete-looking.
 */
function endOnlyIfKept(out: Writable, hold: DownloadHold): Writable {
  const guarded = new Writable({
    write(chunk, _encoding, done) {
      if (out.write(chunk)) done();
      else drained(out).then(() => done(), done);
    },
    final(done) {
      hold.deleted().then(
        (deleted) => {
          if (deleted) done(new Error('the job was deleted while its results were written'));
          else out.end(() => done());
        },
        (err: Error) => done(err),
      );
    },
    destroy(err, done) {
      if (!out.writableFinished) out.destroy(err ?? undefined);
      done(err);
    },
  });
  // Its errors are the download's, reported by write() (and on `out`, which it destroys): none is left unheard.
  guarded.on('error', () => undefined);
  out.once('close', () => {
    if (!guarded.destroyed && !guarded.writableFinished) guarded.destroy(out.errored ?? new Error('the results output closed'));
  });
  return guarded;
}

/**
 * A job deleted by its owner while its results were being downloaded: said at info level (no operator has
 * anything to do), and `gone`/`deleted` as its links answer now; a download already started is cut off.
 */
function deletedDuringDownload(ctx: JobsContext, job: Job, format: ResultsFormat, started: boolean): DomainError {
  ctx.log.info(
    { jobId: job.id, format },
    started
      ? 'the job was deleted during its results download: the download was cut off'
      : 'the job was deleted as its results download started',
  );
  return new DomainError(
    'gone',
    'deleted',
    'This job was deleted during the download, with its results: the download was stopped. Upload the file again to score it anew.',
    { format },
  );
}

/**
 * The same checks as resultsDownload and what the download would be, without building it or holding the job
 * (a HEAD request: the headers a GET would send, without reading a row).
 */
export async function aboutResults(ctx: JobsContext, job: Job, format: ResultsFormat): Promise<ResultsAbout> {
  const { about } = await checkResults(ctx, job, format);
  await checkUploadKept(ctx, job);
  return about;
}

/**
 * Results are written from the job's upload, row by row beside its stored predictions: without the upload
 * (DATA_DIR changed, a restore without the uploads) they cannot be made. That was a 500 "Something went wrong
 * on our side" that told nobody what; it is the server's fault and does not pass by itself (no Retry-After),
 * so a 500 with its own code, saying which upload is missing and what an operator can do, logged for them.
 */
async function checkUploadKept(ctx: JobsContext, job: Job): Promise<void> {
  if (!(await ctx.blobs.exists(job.uploadKey))) throw uploadMissing(ctx, job);
}

function uploadMissing(ctx: JobsContext, job: Job): DomainError {
  const store = ctx.blobs.kind === 'fs' ? 'under DATA_DIR' : 'in the PostgreSQL upload store (BLOB_STORE=postgres)';
  ctx.log.error({ jobId: job.id, upload: job.uploadKey, store: ctx.blobs.kind }, "results cannot be made: the job's upload is missing");
  return new DomainError(
    'lost',
    'upload_missing',
    `The results of this job cannot be made: the file it scored (${job.uploadKey}) is missing ${store} on this server, and results are ` +
      'written from it with the stored predictions. An operator can put it back (restore it from a backup of the uploads, or start ' +
      'batchcast with the DATA_DIR that holds it); otherwise upload the file again to score it anew.',
    { upload: job.uploadKey },
  );
}

async function checkResults(ctx: JobsContext, job: Job, format: ResultsFormat): Promise<{ about: ResultsAbout; model: Model }> {
  const model = await modelById(ctx.pool, job.modelId);
  const unfit = format === 'xlsx' ? excelUnfit(job, model.schema) : null;
  // The job's state first: a cancelled or failed job has no results in any format (Excel's limits would point
  // to CSV, Parquet or JSON Lines downloads that do not exist), and a running one answers as every format does.
  checkResultsReady(job, unfit ? ` Excel will not hold them (${unfitText(unfit)}): download them as CSV, Parquet or JSON Lines then.` : '');
  checkExcelFits(unfit);
  return { about: { format, contentType: CONTENT_TYPES[format], filename: resultsFilename(job.filename, format) }, model };
}

/**
 * Whether a job's results (or its failed rows) can be read now: a job still queued or running answers
 * `not_ready` (with `after`, a sentence to add), one that ended without results its own final code.
 */
function checkResultsReady(job: Job, after = ''): void {
  if (job.status === 'failed' || job.status === 'cancelled') throw noResults(job);
  if (job.status !== 'succeeded') throw notReady(job, 'The results are', after);
}

/** A job still queued or running will have results: say when to ask again (Retry-After), as a poller needs. */
function notReady(job: Job, what: string, after = ''): DomainError {
  return new DomainError(
    'conflict',
    'not_ready',
    `${what} not available yet: the job is ${job.status}. Ask again when its status is succeeded.${after}`,
    { status: job.status, retryAfterSeconds: RETRY_RESULTS_AFTER_SECONDS },
  );
}

/**
 * Whether a job's failed rows (errors.csv) can be listed now: while it is queued or running they are not all
 * known (an empty list would read as "no errors"), so `not_ready` as for the results; a cancelled job's are
 * deleted with what it scored (`job_cancelled`). A failed job keeps its failed rows: they are listed, as a
 * succeeded job's are.
 */
export function checkFailedRowsReady(job: Job): void {
  if (job.status === 'cancelled') {
    throw new DomainError(
      'conflict',
      'job_cancelled',
      'The job was cancelled: its failed rows were deleted with the rows it had scored. Upload the file again to score it.',
      { status: job.status },
    );
  }
  if (job.status !== 'succeeded' && job.status !== 'failed') throw notReady(job, 'The failed rows are');
}

/**
 * A job that ended without results never will have any (what it scored is deleted when it ends): a code of
 * its own, not `not_ready`, which tells a client to wait; with the job's error and what to do.
 */
function noResults(job: Job): DomainError {
  if (job.status === 'cancelled') {
    return new DomainError(
      'conflict',
      'job_cancelled',
      'The job was cancelled: it has no results (the rows it had scored are deleted). Upload the file again to score it.',
      { status: job.status },
    );
  }
  return new DomainError(
    'conflict',
    'job_failed',
    `The job failed: it has no results (the rows it had scored are deleted). ${job.error ?? 'Upload the file again to score it.'}`,
    { status: job.status, jobError: job.error },
  );
}

function unfitText(unfit: NonNullable<ExcelUnfit>): string {
  return unfit.tooMany === 'rows'
    ? `${unfit.rows.toLocaleString('en-US')} rows, more than the ${unfit.limit.toLocaleString('en-US')} a sheet can hold`
    : `${unfit.columns.toLocaleString('en-US')} columns, more than the ${unfit.limit.toLocaleString('en-US')} a sheet can hold`;
}

function checkExcelFits(unfit: ExcelUnfit): void {
  const others = 'download them as CSV, Parquet or JSON Lines instead';
  if (unfit?.tooMany === 'rows') {
    throw new DomainError(
      'unprocessable',
      'too_many_rows',
      `The results have ${unfit.rows.toLocaleString('en-US')} rows, more than the ${unfit.limit.toLocaleString('en-US')} an Excel sheet can hold (1,048,576 with the header): ${others}.`,
      { rows: unfit.rows, limit: unfit.limit },
    );
  }
  if (unfit?.tooMany === 'columns') {
    throw new DomainError(
      'unprocessable',
      'too_many_columns',
      `The results have ${unfit.columns.toLocaleString('en-US')} columns, more than the ${unfit.limit.toLocaleString('en-US')} an Excel sheet can hold: ${others}.`,
      { columns: unfit.columns, limit: unfit.limit },
    );
  }
}
