import { superviseAfterSetup } from './after-setup.js';
import { entries } from './entries.js';
import { processOptions } from './process-options.js';

/**
 * `npm start`: the whole platform on one host — PostgreSQL and Redis (the machine's own, or embedded ones
 * under DATA_DIR), setup (database, migrations, example models), then the web app and the worker process
 * (WORKERS scoring threads), each a separate OS process kept running by this one. Two processes, not one per
 * core: every Node.js runtime costs its own baseline of memory, and threads share one. SIGTERM/SIGINT stop
 * them all, the servers last (see @batchcast/runtime's boot and supervise). A process that cannot start as
 * configured (a port in use, a database login refused) stops the platform with its exit code instead of being
 * restarted forever. `npm start` runs this process with V8's compilers off and a small young generation
 * (`--optimize-for-size --no-opt --no-sparkplug --max-semi-space-size=1`: 7 MB less for a process that only
 * waits; --lite-mode would save as much but warns on every start that it disables WebAssembly); the web and
 * worker processes get their own options (process-options.ts).
 */
await superviseAfterSetup((config) => [
  { name: 'web', entry: entries.web, count: 1, ...processOptions.web },
  // One worker process: it scores WORKERS chunks at once in as many threads (see apps/worker).
  { name: 'worker', entry: entries.worker, count: 1, ...processOptions.worker, memoryBytes: config.workers.memoryBytes },
]);
