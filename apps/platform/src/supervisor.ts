import { boot, type Runtime, type Supervisor } from '@batchcast/runtime';
import { checkDataDir } from './check-data-dir.js';
import { checkServices } from './check-services.js';
import { startServices } from './services.js';

/** Ends the platform when one of its processes cannot start as configured (rather than restarting it forever). */
export type OnFatal = (name: string, exitCode: number) => void;

/**
 * The supervisor process of `npm start` and `npm run worker`: PostgreSQL and Redis first (stopped last, after
 * every process that uses them), then whatever `start` supervises, stopped through the one shutdown path.
 */
export async function runSupervisor(start: (rt: Runtime, onFatal: OnFatal) => Promise<Supervisor | null>): Promise<void> {
  const services = await startServices();
  boot(
    'supervisor',
    async (rt) => {
      rt.onShutdown('PostgreSQL and Redis', () => services.stop());
      await checkDataDir(rt.config);
      await checkServices(services, rt);
      const supervisor = await start(rt, (name, exitCode) => {
        process.stderr.write(`batchcast: the ${name.replace(/#\d+$/, '')} process cannot start (the reason is above); stopping.\n`);
        void rt.shutdown(`${name} cannot start`, exitCode);
      });
      if (supervisor) rt.onShutdown('processes', () => supervisor.stop());
    },
    { graceMs: 35_000 },
  );
}
