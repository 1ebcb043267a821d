/**
 * The ONNX protobuf classes as @batchcast/inference wraps them (the one place the CommonJS `onnx-proto`
 * package is touched), and the element types this package writes.
 */
export { onnx } from '@batchcast/inference';
export type { AttributeProto, ModelProtoFields as ModelProto, NodeProto, TensorProto, ValueInfoProto } from '@batchcast/inference';

/** ONNX TensorProto.DataType values, by the names this package uses for element types. */
export const ELEM_TYPES = {
  float: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  double: 11,
} as const;

export type ElemTypeName = keyof typeof ELEM_TYPES;
