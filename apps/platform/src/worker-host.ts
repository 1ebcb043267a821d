import { boot, supervise } from '@batchcast/runtime';
import { checkServices } from './check-services.js';
import { entries } from './entries.js';
import { startServices } from './services.js';

/**
 * `npm run worker`: WORKERS worker processes and nothing else, for a host that only adds scoring capacity
 * (pointed at the same REDIS_URL and DATABASE_URL as the web host). Workers wait for the web host's setup to
 * have applied the migrations.
 */
const services = await startServices();
boot(
  'supervisor',
  async (rt) => {
    rt.onShutdown('PostgreSQL and Redis', () => services.stop());
    await checkServices(services);
    const supervisor = supervise([{ name: 'worker', entry: entries.worker, count: rt.config.workers.processes }], rt.log, {
      onFatal: (name, exitCode) => {
        process.stderr.write(`batchcast: the ${name.replace(/#\d+$/, '')} process cannot start (the reason is above); stopping.\n`);
        void rt.shutdown(`${name} cannot start`, exitCode);
      },
    });
    rt.onShutdown('processes', () => supervisor.stop());
  },
  { graceMs: 35_000 },
);
