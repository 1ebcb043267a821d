import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@batchcast/config';
import { createLogger } from '@batchcast/log';
import { supervise } from '@batchcast/supervisor';

/**
 * `npm run worker`: WORKERS worker processes and nothing else, for a host that only adds scoring capacity
 * (pointed at the same REDIS_URL and DATABASE_URL as the web host).
 */
const config = loadConfig();
supervise(
  [{ name: 'worker', entry: path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.js'), count: config.workers.processes }],
  createLogger('supervisor', config.log.level),
);
