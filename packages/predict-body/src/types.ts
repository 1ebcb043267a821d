/** Contracts of the predict-body reader. */

export interface PredictBodyLimits {
  /** Rows in `rows`; one more is a 413 (a batch job takes any number). */
  maxRows: number;
  /** Keys in one row; more is a 422. */
  maxKeysPerRow: number;
  /** Distinct keys over all rows; more is a 422. A model has a few hundred inputs at most. */
  maxDistinctKeys: number;
  /** Nesting depth of the whole document: the body object is 1, `rows` 2, a row 3, a cell 4; deeper is a 422. */
  maxDepth: number;
  /** UTF-8 bytes of one string (key or value) as written in the body, escapes included; more is a 413. */
  maxStringBytes: number;
}

export const DEFAULT_PREDICT_BODY_LIMITS: Readonly<PredictBodyLimits> = Object.freeze({
  maxRows: 10_000,
  maxKeysPerRow: 1_000,
  maxDistinctKeys: 2_000,
  maxDepth: 16,
  maxStringBytes: 64 * 1024,
});

/**
 * A cell that held a list or an object. Its content is skipped, not built; the cell gets one of two shared,
 * frozen markers, so the coercion (which refuses lists and objects as cell values) fails that row only,
 * as it did when JSON.parse built the value, and a nested value in a column the model does not use is
 * ignored like any other extra column.
 */
export type NestedCell = typeof NESTED_LIST | typeof NESTED_OBJECT;
export const NESTED_LIST: readonly never[] = Object.freeze([]);
export const NESTED_OBJECT: Readonly<Record<string, never>> = Object.freeze(Object.create(null) as Record<string, never>);

export type CellValue = string | number | boolean | null | NestedCell;

/**
 * One row: its keys as sent, as JSON.parse would make it (a plain object; `__proto__` is an own key, not the
 * prototype). Like JSON.parse's rows, a missing key such as `constructor` reads what Object.prototype has, so
 * readers should test own keys (Object.hasOwn) before reading a column.
 */
export type PredictRow = Record<string, CellValue>;

export interface PredictBody {
  rows: PredictRow[];
  /** Every key any row has, in order of first appearance. */
  header: string[];
}

export type PredictBodyErrorCode =
  /** 400: not JSON; `offset` says where. */
  | 'malformed_json'
  /** 400: JSON, but not `{ "rows": [ ... ] }`. */
  | 'invalid_body'
  /** 413 */
  | 'too_many_rows'
  /** 413 */
  | 'string_too_large'
  /** 422: the body has no "rows", or its "rows" is not a list. */
  | 'invalid_rows'
  /** 422: the body has a key other than "rows". */
  | 'unknown_field'
  /** 422: a row is not an object. */
  | 'row_not_object'
  /** 422: one row has more than maxKeysPerRow keys. */
  | 'too_many_keys'
  /** 422: the rows have more than maxDistinctKeys keys between them. */
  | 'too_many_distinct_keys'
  /** 422: a row (or the body) has the same key twice. */
  | 'duplicate_key'
  /** 422: two keys differ only in case (`a` and `A`), in one row or two: one column to batchcast, as in a JSON Lines upload. */
  | 'duplicate_column'
  /** 422: nested deeper than maxDepth. */
  | 'too_deep';

export class PredictBodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 422,
    readonly code: PredictBodyErrorCode,
    message: string,
    /** Where the problem is: byte offset in the body (none in a body of another shape, asRowsBody), 0-based row, key. */
    readonly where: { offset?: number; row?: number; column?: string },
  ) {
    super(message);
    this.name = 'PredictBodyError';
  }
}
