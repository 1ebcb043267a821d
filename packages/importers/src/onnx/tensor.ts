/**
 * Constant tensors (initializers and TENSOR attributes). Numbers go into raw_data, little-endian, so a double
 * is stored bit for bit and an int64 beyond 2^53 survives as a bigint.
 */
import { ELEM_TYPES, onnx } from './proto.js';
import type { ElemTypeName, TensorProto } from './proto.js';

export type TensorData =
  | { type: 'float'; values: ArrayLike<number> }
  | { type: 'double'; values: ArrayLike<number> }
  | { type: 'int64'; values: ArrayLike<number | bigint> }
  | { type: 'int32'; values: ArrayLike<number> }
  | { type: 'uint8'; values: ArrayLike<number> }
  | { type: 'bool'; values: ArrayLike<boolean | number> }
  | { type: 'string'; values: ArrayLike<string> };

const BYTES_PER: Record<Exclude<ElemTypeName, 'string'>, number> = { float: 4, double: 8, int64: 8, int32: 4, uint8: 1, bool: 1 };

function rawData(data: Exclude<TensorData, { type: 'string' }>): Uint8Array {
  const n = data.values.length;
  const raw = new Uint8Array(n * BYTES_PER[data.type]);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < n; i++) {
    const v = data.values[i]!;
    switch (data.type) {
      case 'float':
        view.setFloat32(i * 4, v as number, true);
        break;
      case 'double':
        view.setFloat64(i * 8, v as number, true);
        break;
      case 'int64': {
        if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new RangeError(`int64 tensor value ${v} is not an exact integer`);
        view.setBigInt64(i * 8, BigInt(v), true);
        break;
      }
      case 'int32':
        view.setInt32(i * 4, v as number, true);
        break;
      case 'uint8':
        view.setUint8(i, v as number);
        break;
      case 'bool':
        view.setUint8(i, v ? 1 : 0);
        break;
    }
  }
  return raw;
}

/** A TensorProto of the given shape; `dims` must multiply to the number of values. */
export function makeTensor(name: string, data: TensorData, dims: number[]): TensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.values.length) {
    throw new RangeError(`tensor '${name}' has ${data.values.length} values for shape [${dims.join(', ')}]`);
  }
  const base = { name, dims, dataType: ELEM_TYPES[data.type] };
  if (data.type === 'string') {
    const encoder = new TextEncoder();
    return onnx.TensorProto.create({ ...base, stringData: Array.from(data.values, (s) => encoder.encode(s)) });
  }
  return onnx.TensorProto.create({ ...base, rawData: rawData(data) });
}
