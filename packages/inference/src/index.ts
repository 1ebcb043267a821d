export * from './types.js';
export { prepareModel } from './prepare.js';
export type { PrepareOptions } from './prepare.js';
export { planColumns } from './plan.js';
export { MAX_MODEL_COLUMNS } from './inputs.js';
export type { ColumnPlan } from './plan.js';
export type { ScoringEngine, SessionOptions } from './session.js';
export { ScoringSession, ScoringError, checkForest } from './session.js';
export {
  cachedSessions,
  clearSessionCache,
  evictSession,
  getSession,
  leaseSession,
  limitSessionCache,
  SESSION_CACHE_SIZE,
  type SessionCacheLimits,
  type SessionLease,
} from './session-cache.js';
export { currentForestVerdict, verdictHolds } from './forest/verdict.js';
// The forest evaluator's scorer for a prepared model, or why none (its tests look at which walk a model gets).
export { forestScorerFor } from './forest/choose-scorer.js';
// Where two engines' predictions first differ, bit for bit (the forest evaluator's check; its tests use it too).
export { firstDifference, seededRandom } from './forest/verify-forest.js';
export { onnxRuntime } from './runtime.js';
export type { RuntimeOptions } from './runtime.js';
export { outputColumns, valuesAreDouble } from './outputs.js';
export { failNonFiniteRows, nonFiniteRows } from './finite.js';
export { sha256Hex } from './hash.js';
export { inputCategories } from './categories.js';
export { formatDeadline, ScoringPool, ScoringPoolError } from './scoring-pool.js';
export type { PoolModel, ScoringPoolErrorCode, ScoringPoolOptions, ScoringPoolStats } from './scoring-pool.js';
export { refuseExternalData } from './external-data.js';
// The ONNX protobuf classes, for the model importers that build graphs (one wrapper of the CommonJS package).
export { onnx } from './onnx-proto.js';
export type { AttributeProto, ModelProtoFields, NodeProto, TensorProto, ValueInfoProto } from './onnx-proto.js';
export { failUnknownCategories } from './known-categories.js';
export { LABEL_TYPE_KEY } from './label-type.js';
