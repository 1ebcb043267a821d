import { boot, supervise } from '@batchcast/runtime';
import { entries } from './entries.js';
import { runSetup } from './run-setup.js';
import { startServices } from './services.js';

/**
 * `npm start`: the whole platform on one host — PostgreSQL and Redis (the machine's own, or embedded ones
 * under DATA_DIR), setup (database, migrations, example models), then the web app and WORKERS worker
 * processes, each a separate OS process kept running by this one. SIGTERM/SIGINT stop them all, the servers
 * last (see @batchcast/runtime's boot and supervise).
 */
const services = await startServices();
boot(
  'supervisor',
  async (rt) => {
    // Registered first, so stopped last: after every process that uses them has gone.
    rt.onShutdown('PostgreSQL and Redis', () => services.stop());
    const code = await runSetup();
    if (code !== 0) return rt.shutdown('setup failed', code);
    const supervisor = supervise(
      [
        { name: 'web', entry: entries.web, count: 1 },
        { name: 'worker', entry: entries.worker, count: rt.config.workers.processes },
      ],
      rt.log,
    );
    rt.onShutdown('processes', () => supervisor.stop());
  },
  { graceMs: 35_000 },
);
