import { boot, supervise } from '@batchcast/runtime';
import { checkServices } from './check-services.js';
import { entries } from './entries.js';
import { runSetup } from './run-setup.js';
import { startServices } from './services.js';
import { startLine } from './start-line.js';

/**
 * `npm start`: the whole platform on one host — PostgreSQL and Redis (the machine's own, or embedded ones
 * under DATA_DIR), setup (database, migrations, example models), then the web app and WORKERS worker
 * processes, each a separate OS process kept running by this one. SIGTERM/SIGINT stop them all, the servers
 * last (see @batchcast/runtime's boot and supervise). A process that cannot start as configured (a port in
 * use, a database login refused) stops the platform with its exit code instead of being restarted forever.
 */
const services = await startServices();
boot(
  'supervisor',
  async (rt) => {
    // Registered first, so stopped last: after every process that uses them has gone.
    rt.onShutdown('PostgreSQL and Redis', () => services.stop());
    await checkServices(services);
    const code = await runSetup(rt.onShutdown);
    if (code !== 0) return rt.shutdown('setup failed', code);
    let told = false;
    const supervisor = supervise(
      [
        { name: 'web', entry: entries.web, count: 1 },
        { name: 'worker', entry: entries.worker, count: rt.config.workers.processes },
      ],
      rt.log,
      {
        onNotice: (_process, notice) => {
          if (told || notice.kind !== 'web-listening') return;
          told = true;
          process.stdout.write(`${startLine(rt.config, notice)}\n`);
        },
        onFatal: (name, exitCode) => {
          process.stderr.write(`batchcast: the ${name.replace(/#\d+$/, '')} process cannot start (the reason is above); stopping.\n`);
          void rt.shutdown(`${name} cannot start`, exitCode);
        },
      },
    );
    rt.onShutdown('processes', () => supervisor.stop());
  },
  { graceMs: 35_000 },
);
