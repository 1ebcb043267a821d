/**
 * Row objects for parsePredictBody (the reference the real-time endpoint's cell tape is tested against, and
 * the reader for callers that want rows as objects). The endpoint itself reads onto a cell tape and builds no
 * row objects, so these are built simply, property by property; the compiled per-key-order builders they
 * once had (generated code) served the endpoint's hot path, which no longer goes through here.
 */
import type { CellValue, PredictRow } from './types.js';

/** A row built property by property (any keys, `__proto__` as an own property like JSON.parse makes it). */
export function buildRow(keys: readonly string[], ids: Int32Array, values: CellValue[], count: number): PredictRow {
  const row: PredictRow = {};
  for (let i = 0; i < count; i++) {
    const key = keys[ids[i]!]!;
    if (key === '__proto__') Object.defineProperty(row, key, { value: values[i], writable: true, enumerable: true, configurable: true });
    else row[key] = values[i]!;
  }
  return row;
}
