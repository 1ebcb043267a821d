import { boot, supervise } from '@batchcast/runtime';
import { entries } from './entries.js';
import { processOptions } from './process-options.js';
import { runSetup } from './run-setup.js';

/**
 * `npm start`: the whole platform on one host — setup (database, migrations, example models), then the web
 * app and the worker process (WORKERS scoring threads), each a separate OS process kept running by this one.
 * Two processes, not one per core: every Node.js runtime costs its own baseline of memory, and threads share
 * one. SIGTERM/SIGINT stop them all (see @batchcast/runtime's boot and supervise). `npm start` runs it with
 * V8's compilers off and a small young generation (`--optimize-for-size --no-opt --no-sparkplug
 * --max-semi-space-size=1`: 7 MB less for a process that only waits; --lite-mode would save as much but warns
 * on every start that it disables WebAssembly); the web and worker processes get their own options
 * (process-options.ts).
 */
boot(
  'supervisor',
  async (rt) => {
    const code = await runSetup();
    if (code !== 0) return rt.shutdown('setup failed', code);
    const supervisor = supervise(
      [
        { name: 'web', entry: entries.web, count: 1, ...processOptions.web },
        // One worker process: it scores WORKERS chunks at once in as many threads (see apps/worker).
        { name: 'worker', entry: entries.worker, count: 1, ...processOptions.worker },
      ],
      rt.log,
    );
    rt.onShutdown('processes', () => supervisor.stop());
  },
  { graceMs: 35_000 },
);
