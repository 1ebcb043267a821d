import { Worker, type Job } from 'bullmq';
import { createBlobStore } from '@batchcast/blob';
import { loadConfig } from '@batchcast/config';
import {
  createPool,
  ensureDatabase,
  migrate,
  recordChunkAttempt,
  retryWhileDatabaseUnavailable,
  whenDatabaseAvailable,
} from '@batchcast/db';
import { createLogger } from '@batchcast/log';
import { createMailer } from '@batchcast/mail';
import {
  createProducerConnection,
  createWorkerConnection,
  jobCatalog,
  JobProducer,
  parsePayload,
  type JobName,
  type QueueName,
} from '@batchcast/queue';
import type { WorkerContext } from './context.js';
import { handlers } from './handlers.js';
import { startReconciler } from './reconciler.js';
import { startRetentionSweeper } from './retention.js';

/**
 * One worker process: consumes every queue of the job catalog. Scoring is CPU-bound, so it runs one chunk
 * at a time per process (run more processes, not more concurrency); finalising and emailing are I/O.
 */
const config = loadConfig();
const log = createLogger('worker', config.log.level);

// Started while PostgreSQL is down or restarting (the supervisor restarts workers at any time): wait for it.
await whenDatabaseAvailable(() => ensureDatabase(config.db.url, log), log, 'create database');
const pool = createPool(config.db.url, log, { application: 'batchcast-worker', max: 6 });
await whenDatabaseAvailable(() => migrate(pool, log), log, 'migrate');
const producerConnection = createProducerConnection(config.redis.url, log);
const ctx: WorkerContext = {
  config,
  pool,
  blobs: createBlobStore(config.storage.blobStore, { dataDir: config.storage.dataDir, pool }),
  producer: new JobProducer(producerConnection, config.redis.prefix),
  mailer: createMailer({ smtpUrl: config.mail.smtpUrl, from: config.mail.from, dataDir: config.storage.dataDir }),
  log,
};

/** Set once shutdown began: stop waiting out outages, let BullMQ hand the work to another process. */
let stopping = false;

const concurrency: Record<QueueName, number> = { score: 1, finalize: 4, email: 4, schedule: 1 };
const connection = createWorkerConnection(config.redis.url, log);

const workers = (Object.keys(concurrency) as QueueName[]).map((queue) => {
  const worker = new Worker(
    queue,
    async (job: Job) => {
      const name = job.name as JobName;
      if (!(name in handlers) || jobCatalog[name].queue !== queue) throw new Error(`unknown job kind "${job.name}" on queue ${queue}`);
      const payload = parsePayload(name, job.data);
      const run = () => (handlers[name] as (c: WorkerContext, p: unknown, j: Job) => Promise<void>)(ctx, payload, job);
      // Scoring and finalising are idempotent: through a PostgreSQL outage they wait and run again in place
      // instead of spending attempts. Other kinds are not known to be (an email retried could go twice):
      // BullMQ's attempts and backoff retry them.
      if (name !== 'score-chunk' && name !== 'finalize-job') await run();
      else
        await retryWhileDatabaseUnavailable(pool, run, {
          log: log.child('jobId' in payload ? { jobId: payload.jobId } : { schedule: payload.schedule }),
          what: name,
          stop: () => stopping,
        });
    },
    {
      connection,
      prefix: config.redis.prefix,
      concurrency: concurrency[queue],
      // A killed process's chunk is noticed and handed to another worker within ~15 s.
      lockDuration: 15_000,
      stalledInterval: 15_000,
      maxStalledCount: 5,
    },
  );
  worker.on('error', (err) => log.warn({ queue, err: err.message }, 'worker error'));
  worker.on('failed', (job, err) => {
    log.warn({ queue, jobId: job?.data?.jobId, attempt: job?.attemptsMade, err: err.message }, 'job attempt failed');
    if (job?.name === 'score-chunk') {
      recordChunkAttempt(pool, job.data.jobId, job.data.chunk, err.message).catch(() => undefined);
    }
  });
  return worker;
});

const reconciler = startReconciler(ctx);
const retention = startRetentionSweeper(ctx);
log.info({ queues: Object.keys(concurrency), inferenceThreads: config.workers.inferenceThreads }, 'worker ready');

/**
 * The one shutdown path: stop taking work, let the current chunk finish (BullMQ's close waits for active
 * jobs), close connections and pools, exit. A chunk that cannot finish in time is released by its lock
 * expiring and goes to another worker.
 */
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'worker shutting down');
  const force = setTimeout(() => {
    log.warn('shutdown took too long; exiting');
    process.exit(1);
  }, 25_000).unref();
  await Promise.all([reconciler.stop(), retention.stop()]);
  await Promise.all(workers.map((w) => w.close()));
  await ctx.producer.close().catch(() => undefined);
  ctx.mailer.close();
  connection.disconnect();
  producerConnection.disconnect();
  await pool.end().catch(() => undefined);
  clearTimeout(force);
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
