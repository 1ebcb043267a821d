/**
 * The one place this package touches `onnx-proto` (protobufjs classes for ONNX, shipped as CommonJS), the same
 * way @batchcast/inference does: everything else imports the namespace and the element types from here.
 */
import onnxProto from 'onnx-proto';

export const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.IModelProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

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
