import { supervise } from '@batchcast/runtime';
import { entries } from './entries.js';
import { runSupervisor } from './supervisor.js';

/**
 * `npm run worker`: WORKERS worker processes and nothing else, for a host that only adds scoring capacity
 * (pointed at the same REDIS_URL and DATABASE_URL as the web host). Workers wait for the web host's setup to
 * have applied the migrations.
 */
await runSupervisor(async (rt, onFatal) =>
  supervise([{ name: 'worker', entry: entries.worker, count: rt.config.workers.processes }], rt.log, { onFatal }),
);
