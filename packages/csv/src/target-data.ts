import type { CellType, TargetData } from './types.js';

/** An array for `length` cells of one type: zeros, or empty strings. */
export function allocateTarget(type: CellType, length: number): TargetData {
  switch (type) {
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'int64':
      return new BigInt64Array(length);
    case 'bool':
      return new Uint8Array(length);
    case 'string':
      return new Array<string>(length).fill('');
  }
}

/** An array allocateTarget made, used before, made as it was then: zeros, or empty strings. Returns it. */
export function clearTarget(data: TargetData): TargetData {
  if (Array.isArray(data)) return data.fill('');
  if (data instanceof BigInt64Array) return data.fill(0n);
  return data.fill(0);
}

/**
 * A failed row's slots (row-major, `width` per row) get harmless values: NaN for floats (as an empty cell),
 * 0, 0n or ''. The row is scored with the rest and its prediction discarded.
 */
export function neutraliseRow(data: TargetData, width: number, row: number): void {
  const from = row * width;
  const to = from + width;
  if (Array.isArray(data)) data.fill('', from, to);
  else if (data instanceof BigInt64Array) data.fill(0n, from, to);
  else if (data instanceof Float32Array || data instanceof Float64Array) data.fill(Number.NaN, from, to);
  else data.fill(0, from, to);
}
