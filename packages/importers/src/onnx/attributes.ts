/**
 * Typed node attributes. ONNX distinguishes INT from FLOAT and INTS from FLOATS, which a plain JS number cannot,
 * so every attribute says what it is; double-precision lists travel as 1-D double TENSOR attributes (the
 * `*_as_tensor` and TreeEnsemble attributes of ai.onnx.ml).
 */
import { makeTensor } from './tensor.js';
import type { TensorData } from './tensor.js';
import { onnx } from './proto.js';
import type { AttributeProto } from './proto.js';

export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: ArrayLike<number> }
  | { kind: 'floats'; value: ArrayLike<number> }
  | { kind: 'strings'; value: ArrayLike<string> }
  | { kind: 'tensor'; data: TensorData; dims: number[] };

export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
  ints: (value: ArrayLike<number>): Attr => ({ kind: 'ints', value }),
  floats: (value: ArrayLike<number>): Attr => ({ kind: 'floats', value }),
  strings: (value: ArrayLike<string>): Attr => ({ kind: 'strings', value }),
  tensor: (data: TensorData, dims?: number[]): Attr => ({ kind: 'tensor', data, dims: dims ?? [data.values.length] }),
  /** A 1-D double tensor: how ai.onnx.ml takes thresholds and weights at full precision. */
  doubles: (values: ArrayLike<number>): Attr => ({ kind: 'tensor', data: { type: 'double', values }, dims: [values.length] }),
  /** A 1-D uint8 tensor (TreeEnsemble's nodes_modes). */
  uint8s: (values: ArrayLike<number>): Attr => ({ kind: 'tensor', data: { type: 'uint8', values }, dims: [values.length] }),
};

export type Attrs = Record<string, Attr>;

const T = onnx.AttributeProto.AttributeType;

function checkInts(name: string, values: ArrayLike<number>): number[] {
  const out = Array.from(values);
  for (const v of out) if (!Number.isSafeInteger(v)) throw new RangeError(`attribute '${name}' holds ${v}, not an integer`);
  return out;
}

export function encodeAttribute(name: string, a: Attr): AttributeProto {
  const encoder = new TextEncoder();
  switch (a.kind) {
    case 'int':
      return onnx.AttributeProto.create({ name, type: T.INT, i: checkInts(name, [a.value])[0]! });
    case 'float':
      return onnx.AttributeProto.create({ name, type: T.FLOAT, f: a.value });
    case 'string':
      return onnx.AttributeProto.create({ name, type: T.STRING, s: encoder.encode(a.value) });
    case 'ints':
      return onnx.AttributeProto.create({ name, type: T.INTS, ints: checkInts(name, a.value) });
    case 'floats':
      return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: Array.from(a.value) });
    case 'strings':
      return onnx.AttributeProto.create({ name, type: T.STRINGS, strings: Array.from(a.value, (s) => encoder.encode(s)) });
    case 'tensor':
      return onnx.AttributeProto.create({ name, type: T.TENSOR, t: makeTensor(name, a.data, a.dims) });
  }
}
