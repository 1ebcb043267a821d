import { setTimeout } from 'node:timers/promises';
import { ensureDatabase, retryWhileDatabaseUnavailable, waitForSchema, whenDatabaseAvailable } from '@batchcast/db';
import { recordChunkFailure } from '@batchcast/jobs';
import { consume, createWorkerConnection } from '@batchcast/queue';
import { boot } from '@batchcast/runtime';
import { workerContext } from './context.js';
import { handlers } from './handlers/index.js';
import { startHeartbeat } from './heartbeat.js';
import { startMaintenance } from './maintenance.js';
import { STUCK_CLOSE_MS, stuckChunks } from './stuck-chunk.js';
import { scoringThreadLimits, scoringThreadModule, tellScoringThreadsStopping } from './scoring-threads.js';

/**
 * The worker process, one per host: consumes every queue of the job catalog. Chunks are scored in WORKERS
 * scoring threads (scoring-thread.ts), so the host runs one Node.js runtime however many chunks it scores at
 * once; finalising, emails and scheduled runs run on this thread with the catalog's concurrency, next to the
 * housekeeping timers. Shutdown (in reverse order of start): tell the scoring threads, let the queue workers
 * finish what they hold (BullMQ's close stops taking jobs at once, waits for active ones, then ends the
 * threads; a chunk that cannot finish in time is released by its lock expiring and goes to another worker),
 * stop the timers, then close connections and pools.
 */
boot(
  'worker',
  async (rt) => {
    const { config, log } = rt;
    // Started while PostgreSQL is down or restarting (the supervisor restarts workers at any time): wait for it.
    await whenDatabaseAvailable(() => ensureDatabase(config.db.url, log), log, 'reach the database');
    const ctx = workerContext(rt);
    await whenDatabaseAvailable(() => waitForSchema(ctx.pool, log, { stop: () => rt.stopping }), log, 'check the schema');

    const connection = createWorkerConnection(config.redis.url, log);
    rt.onShutdown('worker connection', () => connection.disconnect());
    // Started before the queue workers so that they stop after them: stopping a timer waits for its pass under
    // way (a reconciliation, a heartbeat), and the queue workers must stop taking chunks the moment the signal
    // comes, not once those passes end (they took more chunks meanwhile). The heartbeat goes on while the
    // chunks held finish: the worker is alive until then.
    startMaintenance(rt, ctx);
    startHeartbeat(rt, ctx, () => connection.ping());
    // Said once the scoring threads take chunks (their modules, ONNX Runtime and the likely forests loaded):
    // before that, a job's first chunks would wait for them.
    const sayReady = () =>
      log.info({ scoringThreads: config.workers.scoringThreads, inferenceThreads: config.workers.inferenceThreads }, 'worker ready');
    // A chunk past CHUNK_DEADLINE_MS fails its job and restarts this process (its thread cannot be freed otherwise).
    const stuck = stuckChunks(rt, ctx);
    rt.countStuckThreads(stuck.stuck);
    // BullMQ pipes each scoring thread's stdout and stderr into this process's: from 11 threads on (WORKERS, the
    // cores by default) Node.js warned of a listener leak on every start, several lines that hid the real ones.
    for (const stream of [process.stdout, process.stderr]) stream.setMaxListeners(stream.getMaxListeners() + config.workers.scoringThreads);
    const workers = consume({
      connection,
      prefix: config.redis.prefix,
      handlers: handlers(ctx),
      threadKinds: { processor: scoringThreadModule, threads: config.workers.scoringThreads, resourceLimits: scoringThreadLimits },
      log,
      // Idempotent kinds wait out a PostgreSQL outage and run again in place instead of spending attempts.
      retryInPlace: (what, run) => retryWhileDatabaseUnavailable(ctx.pool, run, { log, what, stop: () => rt.stopping }),
      // The chunk's handler records its own failures before they reach BullMQ (scoreChunk); this records the
      // attempts it never ended (a scoring thread that died, a chunk that stalled), and counts the rest once.
      onFailed: (name, payload, err, attempt) => {
        if (name !== 'score-chunk') return;
        const { jobId, chunk } = payload as { jobId: string; chunk: number };
        recordChunkFailure(ctx, jobId, chunk, attempt, err.message).catch(() => undefined);
      },
      onReady: sayReady,
      threadDeadline: stuck.deadline,
    });
    // A stuck chunk never ends, and BullMQ's close waits for it and for its thread to exit: with one, the queue
    // workers stop taking jobs, are given STUCK_CLOSE_MS, and the process goes on ending (see stuckChunks).
    rt.onShutdown('queue workers', async () => {
      const closing = Promise.all(workers.map((w) => w.close(stuck.stuck() > 0)));
      await (stuck.stuck() > 0 ? Promise.race([closing, setTimeout(STUCK_CLOSE_MS, undefined, { ref: false })]) : closing);
    });
    // Runs before the queue workers close (last registered, first run): a thread waiting for PostgreSQL gives up.
    rt.onShutdown('scoring threads told', () => tellScoringThreadsStopping());
  },
  { graceMs: 25_000 },
);
