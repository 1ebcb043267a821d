/**
 * A scoring thread of the worker process. BullMQ runs every job of a thread kind (score-chunk) in one of
 * WORKERS such threads (a sandboxed processor on worker threads): as many chunks scored at once as there are
 * threads, in ONE Node.js runtime, while the process's main thread keeps the jobs' locks, the other queues and
 * the housekeeping timers running. A thread builds its own small context once (configuration, a pool, the
 * blob store) and loads only the scoring part of the domain. Sandboxing hands the thread a copy of the job;
 * its lock stays with the main thread, so a thread that dies (or a process that is killed) loses the chunk's
 * transaction and nothing else: the chunk is taken again.
 */
import { setTimeout } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
import { createBlobStore } from '@batchcast/blob';
import { loadConfig } from '@batchcast/config';
import { createPool, retryWhileDatabaseUnavailable } from '@batchcast/db';
import { limitSessionCache, onnxRuntime } from '@batchcast/inference';
import { type ScoringContext, warmForests } from '@batchcast/jobs/scoring';
import { createLogger } from '@batchcast/log';
import { threadProcessor } from '@batchcast/queue/thread';
import { scoreChunkHandler } from './handlers/score-chunk.js';
import { STOPPING_CHANNEL } from './scoring-threads.js';

/** How long a starting thread waits for the forests it prepares before it takes chunks anyway. */
const WARM_WAIT_MS = 3_000;

const config = loadConfig();
const log = createLogger('worker', config.log.level).child({ thread: threadId });
// One chunk at a time: its transaction, the blob store's reads (BLOB_STORE=postgres) and a spare.
const pool = createPool(config.db.url, log, { application: 'batchcast-worker', max: 3 });
const ctx: ScoringContext = {
  config,
  log,
  pool,
  blobs: createBlobStore(config.storage.blobStore, {
    dataDir: config.storage.dataDir,
    pool,
    minFreeBytes: config.storage.minFreeDiskBytes,
  }),
};

// This thread's models: at most MODEL_CACHE_MB of graphs kept loaded.
limitSessionCache({ graphBytes: config.workers.modelCacheBytes });
// Loaded while the thread starts (the worker starts its threads ahead of any job), not in a chunk's time.
await onnxRuntime();
// The forests the first chunks most likely need, prepared before the thread takes chunks; for at most
// WARM_WAIT_MS (a PostgreSQL slow to answer must not hold the thread back), then they go on meanwhile.
const warming = warmForests(ctx).then(
  (models) => log.debug({ models }, 'forests prepared ahead'),
  (err: Error) => log.warn({ err: err.message }, 'could not prepare forests ahead; the first chunks prepare their own'),
);
await Promise.race([warming, setTimeout(WARM_WAIT_MS, undefined, { ref: false })]);

let stopping = false;
const channel = new BroadcastChannel(STOPPING_CHANNEL);
channel.onmessage = () => {
  stopping = true;
};
channel.unref(); // listening must not keep the thread alive

export default threadProcessor(
  { 'score-chunk': scoreChunkHandler(ctx) },
  { retryInPlace: (what, run) => retryWhileDatabaseUnavailable(pool, run, { log, what, stop: () => stopping }) },
);
