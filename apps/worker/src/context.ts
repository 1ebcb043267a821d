import { createBlobStore } from '@batchcast/blob';
import { createPool } from '@batchcast/db';
import type { JobsContext } from '@batchcast/jobs';
import { createMailer } from '@batchcast/mail';
import { createProducerConnection, JobProducer } from '@batchcast/queue';
import type { Runtime } from '@batchcast/runtime';

/**
 * The domain's context for a worker process: a pool sized for one chunk's transaction plus housekeeping, the
 * blob store, a producer (fails fast: a chunk's follow-up that cannot be queued fails the attempt and is
 * retried), and the mailer. Each is closed at shutdown, after the queue workers have stopped.
 */
export function workerContext(rt: Runtime): JobsContext {
  const { config, log } = rt;
  const pool = createPool(config.db.url, log, { application: 'batchcast-worker', max: 6 });
  rt.onShutdown('postgres pool', () => pool.end());
  const connection = createProducerConnection(config.redis.url, log);
  rt.onShutdown('producer connection', () => connection.disconnect());
  const producer = new JobProducer(connection, config.redis.prefix);
  rt.onShutdown('producer', () => producer.close());
  const mailer = createMailer({ smtpUrl: config.mail.smtpUrl, from: config.mail.from, dataDir: config.storage.dataDir });
  rt.onShutdown('mailer', () => mailer.close());
  return {
    config,
    pool,
    blobs: createBlobStore(config.storage.blobStore, {
      dataDir: config.storage.dataDir,
      pool,
      minFreeBytes: config.storage.minFreeDiskBytes,
    }),
    queue: producer,
    mailer,
    log,
  };
}
