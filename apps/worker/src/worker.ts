import { ensureDatabase, retryWhileDatabaseUnavailable, waitForSchema, whenDatabaseAvailable } from '@batchcast/db';
import { recordChunkFailure } from '@batchcast/jobs';
import { consume, createWorkerConnection } from '@batchcast/queue';
import { boot } from '@batchcast/runtime';
import { workerContext } from './context.js';
import { handlers } from './handlers/index.js';
import { startMaintenance } from './maintenance.js';

/**
 * One worker process: consumes every queue of the job catalog with the catalog's concurrency, and runs the
 * housekeeping timers. Shutdown (in reverse order of start): stop the timers, let the queue workers finish
 * what they hold (BullMQ's close waits for active jobs; a chunk that cannot finish in time is released by its
 * lock expiring and goes to another worker), then close connections and pools.
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
    const workers = consume({
      connection,
      prefix: config.redis.prefix,
      handlers: handlers(ctx),
      log,
      // Idempotent kinds wait out a PostgreSQL outage and run again in place instead of spending attempts.
      retryInPlace: (what, run) => retryWhileDatabaseUnavailable(ctx.pool, run, { log, what, stop: () => rt.stopping }),
      onFailed: (name, payload, err) => {
        if (name !== 'score-chunk') return;
        const { jobId, chunk } = payload as { jobId: string; chunk: number };
        recordChunkFailure(ctx, jobId, chunk, err.message).catch(() => undefined);
      },
    });
    rt.onShutdown('queue workers', () => Promise.all(workers.map((w) => w.close())));
    startMaintenance(rt, ctx);
    log.info({ inferenceThreads: config.workers.inferenceThreads }, 'worker ready');
  },
  { graceMs: 25_000 },
);
