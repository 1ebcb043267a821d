import { createBlobStore } from '@batchcast/blob';
import type { Config } from '@batchcast/config';
import { createPool } from '@batchcast/db';
import type { JobsContext } from '@batchcast/jobs';
import type { Logger } from '@batchcast/log';
import { createMailer } from '@batchcast/mail';
import { createProducerConnection, JobProducer } from '@batchcast/queue';
import type { Redis } from 'ioredis';
import { realtimeScoring } from './realtime-scoring.js';

/** What request handlers work with; built once in server.ts (or by a test) and passed to createApp. */
export interface WebContext {
  config: Config;
  /** The domain core's context: every job, model and schedule operation goes through it. */
  jobs: JobsContext;
  /** The producer's Redis connection (fails fast: requests answer 503 at once while Redis is down). */
  redis: Redis;
  /** The queues themselves, for the admin page's counts and bull-board. */
  producer: JobProducer;
  log: Logger;
}

/**
 * Opens what the web process needs; `onClose` registers how to close each (in reverse order at shutdown).
 * Tests call it too, with their own config.
 */
export function openWebContext(config: Config, log: Logger, onClose: (name: string, close: () => unknown) => void): WebContext {
  const pool = createPool(config.db.url, log, { application: 'batchcast-web' });
  onClose('postgres pool', () => pool.end());
  const redis = createProducerConnection(config.redis.url, log);
  onClose('redis connection', () => redis.disconnect());
  const producer = new JobProducer(redis, config.redis.prefix);
  onClose('producer', () => producer.close());
  const mailer = createMailer({ smtpUrl: config.mail.smtpUrl, from: config.mail.from, dataDir: config.storage.dataDir });
  onClose('mailer', () => mailer.close());
  const blobs = createBlobStore(config.storage.blobStore, {
    dataDir: config.storage.dataDir,
    pool,
    minFreeBytes: config.storage.minFreeDiskBytes,
  });
  const realtime = realtimeScoring(config, log);
  onClose('real-time scoring processes', () => realtime.close());
  return { config, jobs: { config, pool, blobs, queue: producer, mailer, log, realtime }, redis, producer, log };
}
