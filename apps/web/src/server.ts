import { createBlobStore } from '@batchcast/blob';
import { loadConfig } from '@batchcast/config';
import { createPool, ensureDatabase, migrate, whenDatabaseAvailable } from '@batchcast/db';
import { createLogger } from '@batchcast/log';
import { createProducerConnection, JobProducer } from '@batchcast/queue';
import { createApp } from './app.js';
import { serverTimeouts } from './http/timeouts.js';
import { registerExampleModels } from './services/models.js';

const config = loadConfig();
const log = createLogger('web', config.log.level);

// Started while PostgreSQL is down or restarting: wait for it rather than die.
await whenDatabaseAvailable(() => ensureDatabase(config.db.url, log), log, 'create database');
const pool = createPool(config.db.url, log, { application: 'batchcast-web' });
await whenDatabaseAvailable(() => migrate(pool, log), log, 'migrate');
await whenDatabaseAvailable(() => registerExampleModels(pool, config.models.examplesDir, log), log, 'register example models');
// `npm start` runs this setup in a process of its own first (`--setup-only`): checking a model loads ONNX
// Runtime, whose memory a long-running web process would otherwise keep for nothing.
if (process.argv.includes('--setup-only')) {
  await pool.end();
  process.exit(0);
}

const redis = createProducerConnection(config.redis.url, log);
const producer = new JobProducer(redis, config.redis.prefix);
const blobs = createBlobStore(config.storage.blobStore, { dataDir: config.storage.dataDir, pool });
const app = createApp({ config, pool, blobs, redis, producer, log });

const server = app.listen(config.http.port, config.http.host, () => {
  log.info({ url: config.http.publicUrl, port: config.http.port }, 'batchcast web listening');
});
// Sized for the largest upload on a slow link (about 70 minutes for 1 GiB); a stalled connection goes sooner.
const timeouts = serverTimeouts(config.storage.maxUploadBytes);
server.requestTimeout = timeouts.requestTimeoutMs;
server.headersTimeout = timeouts.headersTimeoutMs;
server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
server.setTimeout(timeouts.idleTimeoutMs);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'web shutting down');
  const force = setTimeout(() => process.exit(1), 10_000).unref();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await producer.close().catch(() => undefined);
  redis.disconnect();
  await pool.end().catch(() => undefined);
  clearTimeout(force);
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
