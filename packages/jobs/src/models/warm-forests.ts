import { lastUseByModelName } from '@batchcast/db';
import { verdictHolds } from '@batchcast/inference';
import type { ScoringContext } from '../context.js';
import { latestModels, leaseModelSession } from './registry.js';

/** How many forests a scoring thread prepares while it starts. */
export const WARM_FORESTS = 4;

/**
 * Prepares, while a scoring thread starts, the forest evaluators of the models its first chunks most likely
 * need: the newest version of each model vouched for the evaluator at registration, those used most recently
 * first, up to `limit`. They go into the session cache the chunks take theirs from (a chunk of one of them
 * being prepared waits for it, never prepares it twice), and the models into the registry's cache.
 *
 * Why: a thread's first chunk of a model used to prepare it first, 0.11-0.43 s for the example 100-tree forest
 * in probes of the bench's upload (42 ms in a quiet process: the upload's own work holds the cores then), so a
 * platform's first job after a start began scoring that much later on each thread. Only forests: they need no
 * ONNX Runtime session, whose memory every thread would hold for models that may not come.
 */
export async function warmForests(ctx: ScoringContext, limit = WARM_FORESTS): Promise<string[]> {
  const lastUse = await lastUseByModelName(ctx.pool);
  const used = (name: string): number => lastUse.get(name)?.getTime() ?? Number.NEGATIVE_INFINITY;
  // Used most recently first; then those never used, newest registered first.
  const forests = (await latestModels(ctx.pool))
    .filter((m) => verdictHolds(m.schema.forestVerified))
    .sort((a, b) => used(b.name) - used(a.name) || b.id - a.id)
    .slice(0, limit);
  for (const model of forests) (await leaseModelSession(ctx.pool, model, ctx.config.workers.inferenceThreads)).done();
  return forests.map((m) => `${m.name}@${m.version}`);
}
