/**
 * What a scoring thread of the worker process needs of the domain, as an entry point of its own
 * (`@batchcast/jobs/scoring`): each thread is a separate JavaScript heap, and loading the whole domain there
 * (mail, schedules, results writers, importers...) would cost every thread the memory of all of it.
 */
export type { ScoringContext } from './context.js';
export { scoreChunk } from './lifecycle/score-chunk.js';
export { warmForests } from './models/warm-forests.js';
