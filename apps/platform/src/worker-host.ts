import { supervise } from '@batchcast/runtime';
import { entries } from './entries.js';
import { processOptions } from './process-options.js';
import { runSupervisor } from './supervisor.js';

/**
 * `npm run worker`: the worker process (WORKERS scoring threads) and nothing else, for a host that only adds
 * scoring capacity (pointed at the same REDIS_URL and DATABASE_URL as the web host). It waits for the web
 * host's setup to have applied the migrations.
 */
await runSupervisor(async (rt, onFatal) =>
  // One worker process: it scores WORKERS chunks at once in as many threads (see apps/worker).
  supervise(
    [{ name: 'worker', entry: entries.worker, count: 1, ...processOptions.worker, memoryBytes: rt.config.workers.memoryBytes }],
    rt.log,
    { onFatal },
  ),
);
