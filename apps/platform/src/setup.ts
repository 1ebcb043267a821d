import { createPool, ensureDatabase, migrate, whenDatabaseAvailable } from '@batchcast/db';
import { DomainError, latestModels, recordForestVerdicts, registerExampleModels, resolveModel } from '@batchcast/jobs';
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
  await whenDatabaseAvailable(() => checkDefaultModel(pool, config.models.defaultName), log, 'check DEFAULT_MODEL');
  await rt.shutdown('setup done');
});

/**
 * DEFAULT_MODEL naming no registered model (a typo, or examples not registered) makes every upload that names
 * no model fail with "There is no model …": said once at start, in one plain line naming the variable and
 * the models there are. A warning, not a refusal to start: the model may be registered later through /admin
 * or POST /api/models, and uploads that name their model work meanwhile.
 */
async function checkDefaultModel(pool: Parameters<typeof latestModels>[0], name: string): Promise<void> {
  try {
    await resolveModel(pool, name, name);
  } catch (err) {
    if (!(err instanceof DomainError) || err.code !== 'unknown_model') throw err;
    const names = (await latestModels(pool)).map((m) => m.name);
    process.stdout.write(
      `batchcast: warning: DEFAULT_MODEL=${JSON.stringify(name)} names no registered model (${names.length ? `the models are: ${names.join(', ')}` : 'none is registered'}); ` +
        'an upload that names no model is refused until one of that name is registered (/admin, or POST /api/models). Set DEFAULT_MODEL to one of the models to use it instead.\n',
    );
  }
}
