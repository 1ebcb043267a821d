import { getModelBytes, listModelSchemas, type Pool, setModelForestVerdict } from '@batchcast/db';
import { checkForest, type ForestVerdict, verdictHolds } from '@batchcast/inference';
import type { Logger } from '@batchcast/log';
import { ModelSchemaSchema } from '../records.js';

/**
 * Records the forest evaluator's verdict for model versions that have none (registered before verdicts were
 * kept) or whose verdict another evaluator or ONNX Runtime reached (after an upgrade of either): each is checked
 * once here, by setup, instead of by every scoring thread that loads it (see ScoringSession.create). Versions
 * sharing their bytes are checked once. A model that cannot be checked keeps what it had, and is checked at load
 * as before. Resolves with the number of versions recorded.
 */
export async function recordForestVerdicts(pool: Pool, log: Logger): Promise<number> {
  const found = new Map<string, ForestVerdict | null>();
  let recorded = 0;
  for (const m of await listModelSchemas(pool)) {
    const parsed = ModelSchemaSchema.safeParse(m.schema);
    if (!parsed.success) continue;
    const schema = parsed.data;
    // null: checked, and not a forest the evaluator takes with this ONNX Runtime's results.
    if (schema.forestVerified === null || verdictHolds(schema.forestVerified)) continue;
    try {
      if (!found.has(m.sha256)) found.set(m.sha256, await checkForest(await getModelBytes(pool, m.sha256), schema));
      await setModelForestVerdict(pool, m.id, found.get(m.sha256)!);
      recorded++;
    } catch (err) {
      log.warn({ err, model: m.id }, 'could not check the forest evaluator for a model; it is checked when loaded');
    }
  }
  if (recorded > 0) log.info({ models: recorded }, 'recorded the forest evaluator verdicts');
  return recorded;
}
