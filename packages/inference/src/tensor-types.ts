/**
 * The element types batchcast moves between CSV cells and ONNX tensors. They are the csv package's CellTypes
 * (what coercion can produce), named as onnxruntime names them.
 */
import type { TensorType } from './types.js';
import { ElemType } from './onnx-proto.js';

const BY_ELEM_TYPE: ReadonlyMap<number, TensorType> = new Map<number, TensorType>([
  [ElemType.FLOAT, 'float32'],
  [ElemType.DOUBLE, 'float64'],
  [ElemType.INT64, 'int64'],
  [ElemType.INT32, 'int32'],
  [ElemType.BOOL, 'bool'],
  [ElemType.STRING, 'string'],
]);

/** The TensorType of an ONNX element type, or null when batchcast cannot feed or read it. */
export function tensorTypeOf(elemType: number): TensorType | null {
  return BY_ELEM_TYPE.get(elemType) ?? null;
}

export function isNumeric(type: TensorType): boolean {
  return type !== 'string' && type !== 'bool';
}

export function isInteger(type: TensorType): boolean {
  return type === 'int64' || type === 'int32';
}

export function isFloat(type: TensorType): boolean {
  return type === 'float32' || type === 'float64';
}
