import { loadConfig } from '@batchcast/config';
import { createPool, ensureDatabase, migrate } from '@batchcast/db';
import { createLogger } from '@batchcast/log';
import { createProducerConnection, JobProducer } from '@batchcast/queue';
import { createApp } from './app.js';
import { registerExampleModels } from './services/models.js';

const config = loadConfig();
const log = createLogger('web', config.log.level);

await ensureDatabase(config.db.url, log);
const pool = createPool(config.db.url, log, { application: 'batchcast-web' });
await migrate(pool, log);
await registerExampleModels(pool, config.models.examplesDir, log);

const redis = createProducerConnection(config.redis.url, log);
const producer = new JobProducer(redis, config.redis.prefix);
const app = createApp({ config, pool, redis, producer, log });

const server = app.listen(config.http.port, config.http.host, () => {
  log.info({ url: config.http.publicUrl, port: config.http.port }, 'batchcast web listening');
});
// A 1 GiB upload on a slow link takes a while: the whole request may take up to an hour, its headers 60 s.
server.requestTimeout = 60 * 60 * 1000;
server.headersTimeout = 60 * 1000;
server.keepAliveTimeout = 5 * 1000;

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
