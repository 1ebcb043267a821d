/**
 * Typed results (JSON Lines, Parquet, .xlsx) of more than a few rows are written in a thread of their own, one
 * per download, and only their bytes come back to the thread that sends them. Writing them is CPU work all the
 * way (every cell read, typed and printed: 12 s for JSON Lines, 29-30 s for Parquet and .xlsx, of 1M rows of 33
 * columns on a 2-core machine), done a block of rows at a time; in the web process's main thread each block held
 * the event loop, and while one person downloaded a JSON Lines file every other request waited: real-time
 * predictions of 10 rows answered in 536 ms (median) and 981 ms (p95) instead of 5 and 8; off it, 5.7 and 16.2
 * ms. A CSV download, mostly bytes copied through, stays where it is (p95 22 ms while one runs).
 * docs/performance.md has the measurements.
 */
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { Config } from '@batchcast/config';
import type { ModelSchema } from '@batchcast/inference';
import type { ScoringContext } from '../context.js';
import { DomainError } from '../errors.js';
import type { Job } from '../records.js';
import { fromWireError, type WireError } from './thread-errors.js';
import { type TypedResultsFormat, typedResultColumns, writeTypedResults } from './write-typed-results.js';

/** What a results thread is started with (structured-cloned: plain data). */
export interface ResultsThreadData {
  config: Config;
  job: Job;
  schema: ModelSchema;
  format: TypedResultsFormat;
}

export type FromResultsThread = { type: 'data'; bytes: Uint8Array } | { type: 'done' } | { type: 'failed'; error: WireError };
/** `ack`: the last piece went into the response, send the next; `abort`: the reader went away, stop. */
export type ToResultsThread = { type: 'ack' } | { type: 'abort' };

/**
 * Results of up to this many cells (rows × columns) are written in the calling thread: about 1 µs a cell here,
 * so under 50 ms (iris's 150 rows are 1,350 cells), where a thread takes about 0.37 s to start and load its
 * modules (pg, the formats' readers and writers).
 */
export const IN_THREAD_MAX_CELLS = 50_000;

/** Resolved from src/ (tests, through vitest) and from dist/ alike: the compiled thread is always in dist/. */
const THREAD_URL = new URL('../../dist/results/typed-results-thread.js', import.meta.url);
/** A thread told to stop that has not ended by then is ended. */
const STOP_GRACE_MS = 10_000;
/** When a download refused for want of a thread should be asked for again. */
const RETRY_BUSY_AFTER_SECONDS = 30;

/**
 * Results threads of this process, counted until each has ended (not only until its download settled). Each
 * holds a V8 heap of its own that grows with its writer's buffers (a Parquet row group), so they are bounded
 * (RESULTS_THREADS): one more is refused at once, before a byte is sent, rather than waiting where a client
 * sees nothing for minutes.
 */
let threadsRunning = 0;

function downloadsBusy(threads: number): DomainError {
  return new DomainError(
    'unavailable',
    'downloads_busy',
    `This server is writing ${threads} results file${threads === 1 ? '' : 's'} as JSON Lines, Parquet or Excel already, ` +
      `as many as it writes at once (RESULTS_THREADS): ask again in ${RETRY_BUSY_AFTER_SECONDS} seconds, or download the results as CSV, which is not limited.`,
    { retryAfterSeconds: RETRY_BUSY_AFTER_SECONDS, threads },
  );
}

/** What the log says of a results thread ended at its heap's bound (its download is cut off: the status is sent). */
function outOfMemory(job: Job, format: TypedResultsFormat, limitMb: number): Error {
  return new Error(
    `the .${format} results of job ${job.id} needed more than the ${limitMb} MB a results thread may use (RESULTS_THREAD_MEMORY_MB): ` +
      'the download was cut off; raise it, or download the results as CSV, which is written without a thread',
  );
}

/**
 * Streams the typed results into `out` from a thread and ends it, as writeTypedResults does in this thread: the
 * same bytes, the same errors (a FormatError for an upload that cannot be read back, rebuilt from the thread's).
 * Rejects, and destroys `out`, when the thread fails or dies; rejects, and stops the thread, when `out` closes
 * before the results are written (the client went away); refuses (`unavailable`, `downloads_busy`) when
 * RESULTS_THREADS threads are running already.
 */
function writeTypedResultsOffThread(
  config: Config,
  job: Job,
  schema: ModelSchema,
  format: TypedResultsFormat,
  out: Writable,
): Promise<void> {
  if (threadsRunning >= config.results.threads) return Promise.reject(downloadsBusy(config.results.threads));
  const data: ResultsThreadData = { config, job, schema, format };
  const limitMb = config.results.threadMemoryMb;
  // A bound on the thread's heap: one download cannot take the host's memory, whatever its rows hold.
  const thread = new Worker(THREAD_URL, { workerData: data, resourceLimits: { maxOldGenerationSizeMb: limitMb } });
  threadsRunning++;
  thread.once('exit', () => threadsRunning--);
  const tell = (m: ToResultsThread) => thread.postMessage(m);
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let ending = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      out.off('close', closedEarly);
      if (err) {
        out.destroy(err);
        // Whatever the thread is doing, it is no longer wanted.
        tell({ type: 'abort' });
        setTimeout(() => void thread.terminate(), STOP_GRACE_MS).unref();
        reject(err);
      } else resolve();
    };
    const closedEarly = () => {
      if (!ending) settle(new Error('the results output closed before the results were written'));
    };
    out.on('close', closedEarly);
    thread.on('message', (m: FromResultsThread) => {
      if (settled) return;
      switch (m.type) {
        case 'data':
          if (out.write(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength))) tell({ type: 'ack' });
          else out.once('drain', () => tell({ type: 'ack' }));
          return;
        case 'done':
          ending = true;
          out.end();
          finished(out).then(
            () => settle(),
            (err: Error) => settle(err),
          );
          return;
        case 'failed':
          settle(fromWireError(m.error));
          return;
      }
    });
    // An error the thread did not catch (it could not start: the build is missing) or its death (out of memory).
    thread.on('error', (err) =>
      settle((err as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY' ? outOfMemory(job, format, limitMb) : err),
    );
    thread.on('exit', (code) => {
      // After `done` the thread ends on its own while the last bytes leave: finished(out) settles then.
      if (!ending) settle(new Error(`the results thread ended (exit code ${code}) before the results were written`));
    });
  });
}

/** The typed results of `job` into `out`: in this thread when they are small (IN_THREAD_MAX_CELLS), else in a thread of their own. */
export function writeTypedResultsDownload(
  ctx: ScoringContext,
  job: Job,
  schema: ModelSchema,
  format: TypedResultsFormat,
  out: Writable,
): Promise<void> {
  const cells = job.rowsTotal * typedResultColumns(job, schema).length;
  return cells <= IN_THREAD_MAX_CELLS
    ? writeTypedResults(ctx, job, schema, format, out)
    : writeTypedResultsOffThread(ctx.config, job, schema, format, out);
}
