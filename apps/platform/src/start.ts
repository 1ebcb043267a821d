import { supervise } from '@batchcast/runtime';
import { entries } from './entries.js';
import { runSetup } from './run-setup.js';
import { startLine } from './start-line.js';
import { runSupervisor } from './supervisor.js';

/**
 * `npm start`: the whole platform on one host — PostgreSQL and Redis (the machine's own, or embedded ones
 * under DATA_DIR), setup (database, migrations, example models), then the web app and WORKERS worker
 * processes, each a separate OS process kept running by this one. SIGTERM/SIGINT stop them all, the servers
 * last (see @batchcast/runtime's boot and supervise). A process that cannot start as configured (a port in
 * use, a database login refused) stops the platform with its exit code instead of being restarted forever.
 */
await runSupervisor(async (rt, onFatal) => {
  const code = await runSetup(rt.onShutdown);
  if (code !== 0) {
    await rt.shutdown('setup failed', code);
    return null;
  }
  let told = false;
  return supervise(
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
      onFatal,
    },
  );
});
