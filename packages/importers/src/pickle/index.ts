/** The safe pickle reader: scikit-learn models saved with pickle or joblib, read as data, never run. */
export {
  ALLOW_LIST,
  type AllowedGlobal,
  type AllowedKind,
  JOBLIB_ARRAY_WRAPPERS,
  lookupGlobal,
  SUPPORTED_ESTIMATORS,
} from './allow-list.js';
export type { PickleCompression } from './compression.js';
export { PICKLE_EXPORT_HINT, PickleError, type PickleErrorCode } from './errors.js';
export { DEFAULT_PICKLE_LIMITS, type PickleLimits } from './limits.js';
export { type ReadPickleOptions, readPickle } from './read-pickle.js';
export { cutShortOldPickle, looksLikeJoblib, looksLikePickle, type PickleSniff, sniffPickle } from './sniff.js';
export * from './values.js';
