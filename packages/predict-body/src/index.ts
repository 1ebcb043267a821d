export { parsePredictBody } from './parse.js';
export { DEFAULT_PREDICT_BODY_LIMITS, NESTED_LIST, NESTED_OBJECT, PredictBodyError } from './types.js';
export type { CellValue, NestedCell, PredictBody, PredictBodyErrorCode, PredictBodyLimits, PredictRow } from './types.js';
