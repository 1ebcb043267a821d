import { createPool, ensureDatabase, migrate, whenDatabaseAvailable } from '@batchcast/db';
import { recordForestVerdicts, registerExampleModels } from '@batchcast/jobs';
import { boot } from '@batchcast/runtime';

/**
 * `npm run setup` (and the first step of `npm start`): creates the database if it is missing, applies the
 * migrations (the only place that does), registers the example models once, and records the forest
 * evaluator's verdict for models that lack a current one (see ScoringSession.create). A process of its own, so
 * the web process does not keep the memory ONNX Runtime takes to check the models.
 */
boot('setup', async (rt) => {
  const { config, log } = rt;
  await whenDatabaseAvailable(() => ensureDatabase(config.db.url, log), log, 'create the database');
  const pool = createPool(config.db.url, log, { application: 'batchcast-setup', max: 2 });
  rt.onShutdown('postgres pool', () => pool.end());
  await whenDatabaseAvailable(() => migrate(pool, log), log, 'migrate');
  await whenDatabaseAvailable(() => registerExampleModels(pool, config.models.examplesDir, log), log, 'register the example models');
  // Models registered before the forest evaluator's verdict was kept, or checked by another version: once here.
  await whenDatabaseAvailable(() => recordForestVerdicts(pool, log), log, 'record the forest evaluator verdicts');
  await rt.shutdown('setup done');
});
