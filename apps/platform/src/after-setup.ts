import './terminal-log-format.js';
import type { Config } from '@batchcast/config';
import { type ProcessSpec, supervise } from '@batchcast/runtime';
import { runSetup } from './run-setup.js';
import { startLine } from './start-line.js';
import { runSupervisor } from './supervisor.js';

/**
 * The supervisor of `npm start` and `npm run web`: PostgreSQL and Redis, setup (database, migrations, example
 * models), then `processes` (as the configuration sets them), each started with its own options and kept running. The first time the web
 * process says it is listening, one plain line says where to open the app.
 */
export async function superviseAfterSetup(processes: (config: Config) => ProcessSpec[]): Promise<void> {
  await runSupervisor(async (rt, onFatal) => {
    const code = await runSetup(rt.onShutdown);
    // Told to stop while setup ran (it waited for PostgreSQL, say): setup was stopped, start nothing. The
    // shutdown steps have run or are running, so nothing started now would ever be stopped.
    if (rt.stopping) return null;
    if (code !== 0) {
      await rt.shutdown('setup failed', code);
      return null;
    }
    let told = false;
    return supervise(processes(rt.config), rt.log, {
      onNotice: (_process, notice) => {
        if (told || notice.kind !== 'web-listening') return;
        told = true;
        process.stdout.write(`${startLine(rt.config, notice)}\n`);
      },
      onFatal,
    });
  });
}
