export * from './types.js';
export { prepareModel } from './prepare.js';
export type { PrepareOptions } from './prepare.js';
export { planColumns } from './plan.js';
export type { ColumnPlan } from './plan.js';
export { ScoringSession, ScoringError, getSession, evictSession, clearSessionCache, SESSION_CACHE_SIZE } from './session.js';
export type { RuntimeOptions } from './runtime.js';
export { outputColumns } from './outputs.js';
export { sha256Hex } from './hash.js';
