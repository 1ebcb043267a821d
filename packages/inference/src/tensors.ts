/**
 * Moving data between the csv package's typed arrays and onnxruntime tensors.
 *
 * The csv package already produces exactly the array type each input needs (Float32Array for float, ...,
 * Uint8Array of 0/1 for bool, which is also what onnxruntime-node 1.30 takes for bool tensors), so feeding is
 * zero-copy; a mismatch is a programming error and is reported as such rather than silently converted.
 */
import type * as ort from 'onnxruntime-node';
import { exactIntLabel } from './onnx-proto.js';
import { loadedOnnxRuntime } from './runtime.js';
import type { TargetData } from '@batchcast/csv';
import type { ModelInput, TensorType } from './types.js';

type AnyData = TargetData;

const ARRAY_OF: Record<TensorType, (data: unknown) => boolean> = {
  float32: (d) => d instanceof Float32Array,
  float64: (d) => d instanceof Float64Array,
  int64: (d) => d instanceof BigInt64Array,
  int32: (d) => d instanceof Int32Array,
  bool: (d) => d instanceof Uint8Array,
  string: (d) => Array.isArray(d),
};

const ARRAY_NAME: Record<TensorType, string> = {
  float32: 'Float32Array',
  float64: 'Float64Array',
  int64: 'BigInt64Array',
  int32: 'Int32Array',
  bool: 'Uint8Array',
  string: 'string[]',
};

function dimsOf(input: ModelInput, rows: number): number[] {
  return input.shape.length === 1 ? [rows] : [rows, input.width];
}

export function checkData(input: ModelInput, data: AnyData, rows: number): void {
  if (!ARRAY_OF[input.type](data)) {
    const actual = Array.isArray(data) ? 'Array' : (data as object).constructor.name;
    throw new TypeError(`Input '${input.name}' (${input.type}) needs a ${ARRAY_NAME[input.type]}, got a ${actual}.`);
  }
  if (data.length !== rows * input.width) {
    throw new RangeError(
      `Input '${input.name}' needs ${rows} rows x ${input.width} columns = ${rows * input.width} values, got ${data.length}.`,
    );
  }
}

/** An onnxruntime tensor over `data` (no copy), which holds `rows` rows of `input.width` values. */
export function toTensor(input: ModelInput, data: AnyData, rows: number): ort.Tensor {
  const { Tensor } = loadedOnnxRuntime();
  const dims = dimsOf(input, rows);
  switch (input.type) {
    case 'float32':
      return new Tensor('float32', data as Float32Array, dims);
    case 'float64':
      return new Tensor('float64', data as Float64Array, dims);
    case 'int64':
      return new Tensor('int64', data as BigInt64Array, dims);
    case 'int32':
      return new Tensor('int32', data as Int32Array, dims);
    case 'bool':
      return new Tensor('bool', data as Uint8Array, dims);
    case 'string':
      return new Tensor('string', data as string[], dims);
  }
}

/** An all-zero (or all-empty-string) array for `rows` rows of an input. */
export function neutralData(input: ModelInput, rows: number): AnyData {
  const n = rows * input.width;
  switch (input.type) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'bool':
      return new Uint8Array(n);
    case 'string':
      return new Array<string>(n).fill('');
  }
}

/**
 * Rows [from, to) of `data`; padded up to `size` rows with copies of row `from` when the slice is shorter. Not
 * neutral rows: a graph may refuse a zero or an empty text for the whole run (a OneHotEncoder with zeros=0 that
 * was not given the empty category), and a real row of the slice fails only where the slice would.
 */
export function sliceRows(input: ModelInput, data: AnyData, from: number, to: number, size: number): AnyData {
  const w = input.width;
  if (to - from === size) {
    return Array.isArray(data) ? data.slice(from * w, to * w) : data.subarray(from * w, to * w);
  }
  const out = neutralData(input, size);
  if (Array.isArray(out)) {
    const src = data as string[];
    for (let i = from * w; i < to * w; i++) out[i - from * w] = src[i]!;
    for (let i = (to - from) * w; i < size * w; i++) out[i] = src[from * w + (i % w)]!;
  } else {
    const typed = out as Float32Array;
    typed.set((data as Float32Array).subarray(from * w, to * w));
    const first = (data as Float32Array).subarray(from * w, from * w + w);
    for (let r = to - from; r < size; r++) typed.set(first, r * w);
  }
  return out;
}

/** Tensor values as JS numbers or strings (int64 arrives as BigInt64Array; beyond 2^53 a label is its decimal text). */
export function tensorLabels(t: ort.Tensor): (string | number)[] {
  const data = t.data as ArrayLike<number | bigint | string>;
  const out = new Array<string | number>(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    // int64 labels exactly (exactIntLabel): Number() rounded those beyond 2^53 to another class's.
    out[i] = typeof v === 'bigint' ? exactIntLabel(v) : v;
  }
  return out;
}

export function tensorFloat64(t: ort.Tensor): Float64Array {
  const data = t.data;
  if (data instanceof Float64Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    return Float64Array.from(data, (v) => Number(v));
  }
  if (Array.isArray(data)) throw new TypeError(`Output '${t.type}' tensor is not numeric.`);
  return Float64Array.from(data as ArrayLike<number>);
}

export function tensorFloat32(t: ort.Tensor): Float32Array {
  const data = t.data;
  if (data instanceof Float32Array) return data;
  if (Array.isArray(data) || data instanceof BigInt64Array || data instanceof BigUint64Array) {
    throw new TypeError(`A ${t.type} tensor cannot hold probabilities.`);
  }
  return Float32Array.from(data as ArrayLike<number>);
}
