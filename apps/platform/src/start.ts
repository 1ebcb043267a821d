import { boot, supervise } from '@batchcast/runtime';
import { entries } from './entries.js';
import { runSetup } from './run-setup.js';

/**
 * `npm start`: the whole platform on one host — setup (database, migrations, example models), then the web
 * app and WORKERS worker processes, each a separate OS process kept running by this one. SIGTERM/SIGINT
 * stop them all (see @batchcast/runtime's boot and supervise).
 */
boot(
  'supervisor',
  async (rt) => {
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
