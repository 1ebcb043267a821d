/**
 * A thread that writes one typed results download (JSON Lines, Parquet, .xlsx) and hands its bytes to the
 * thread that sends them (typed-results-off-thread.ts says why). It builds its own small context (a pool of
 * two connections: the stored predictions and the PostgreSQL upload store's reads) and ends once the
 * download has: written, failed, or been given up by its reader.
 */
import { Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { createBlobStore } from '@batchcast/blob';
import { createPool } from '@batchcast/db';
import { createLogger } from '@batchcast/log';
import type { ScoringContext } from '../context.js';
import { toWireError } from './thread-errors.js';
import type { FromResultsThread, ResultsThreadData, ToResultsThread } from './typed-results-off-thread.js';
import { writeTypedResults } from './write-typed-results.js';

const port = parentPort!;
const { config, job, schema, format } = workerData as ResultsThreadData;
const post = (m: FromResultsThread, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);

/**
 * The download's bytes, posted to the parent one piece at a time: the next piece is written once the parent
 * says the previous one went into its response without filling it (so a slow reader slows the writer down,
 * as it does a writer in the same thread).
 */
class ParentOutput extends Writable {
  private pending: ((err?: Error | null) => void) | null = null;

  constructor() {
    super({ highWaterMark: 1024 * 1024 });
    port.on('message', (m: ToResultsThread) => {
      if (m.type === 'ack') {
        const done = this.pending;
        this.pending = null;
        done?.();
      } else this.destroy(new Error('the results download ended before its results were written'));
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    // A piece of its own, transferred: a Buffer may be a view of a larger shared allocation.
    const bytes = new Uint8Array(chunk.length);
    bytes.set(chunk);
    this.pending = done;
    post({ type: 'data', bytes }, [bytes.buffer]);
  }
}

const log = createLogger('web', config.log.level, config.log.format).child({ thread: 'results', jobId: job.id, format });
const pool = createPool(config.db.url, log, { application: 'batchcast-web-results', max: 2 });
const ctx: ScoringContext = {
  config,
  log,
  pool,
  blobs: createBlobStore(config.storage.blobStore, { dataDir: config.storage.dataDir, pool, minFreeBytes: 0 }),
};
try {
  await writeTypedResults(ctx, job, schema, format, new ParentOutput());
  post({ type: 'done' });
} catch (err) {
  post({ type: 'failed', error: toWireError(err) });
} finally {
  await pool.end().catch(() => undefined);
  port.close();
}
