export { asRowsBody, type RowsBody } from './other-shapes.js';
export { parsePredictBody, readPredictCells } from './parse.js';
export type { CellTape } from './cell-tape.js';
export { DEFAULT_PREDICT_BODY_LIMITS, NESTED_LIST, NESTED_OBJECT, PredictBodyError } from './types.js';
export type { CellValue, NestedCell, PredictBody, PredictBodyErrorCode, PredictBodyLimits, PredictRow } from './types.js';
