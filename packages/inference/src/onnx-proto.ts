/**
 * The one place that touches the `onnx-proto` package (protobufjs-generated classes for ONNX 1.10, shipped as
 * CommonJS). Everything else imports the namespace and the small helpers from here, so the awkward CJS/ESM
 * interop and protobufjs' `Long` values are dealt with once.
 */
import onnxProto from 'onnx-proto';

export const { onnx } = onnxProto;
// The generated declarations use a namespace, so the types are reached through the module's type.
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type TypeProto = onnxProto.onnx.ITypeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
/** A model's fields as written (what `onnx.ModelProto.create` takes), for code that builds graphs. */
export type ModelProtoFields = onnxProto.onnx.IModelProto;

/** protobufjs decodes int64 fields to `Long` objects when the `long` package is installed, else to numbers. */
type LongLike = number | { toNumber(): number; toString(): string };

export function toNumber(value: LongLike | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

/** ONNX TensorProto.DataType values this package refers to by name. */
export const ElemType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
} as const;

/** Human names for every ONNX element type, for messages ("float16 is not supported"). */
const ELEM_TYPE_NAMES: Record<number, string> = {
  0: 'undefined',
  1: 'float',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'double',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
};

export function elemTypeName(elemType: number): string {
  return ELEM_TYPE_NAMES[elemType] ?? `element type ${elemType}`;
}

export function attribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

/**
 * An int64 class label exactly: a JS number while it is one exactly (|v| <= 2^53 - 1), else its decimal text. A label
 * such as 9007199254740993 through a number became 9007199254740992: another class's name, and two classes one.
 */
export function exactIntLabel(value: LongLike | bigint | null | undefined): string | number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  const text = value.toString();
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/** An INTS attribute of class labels, each exactly (exactIntLabel), or null when absent or empty. */
export function intLabelsAttribute(node: NodeProto, name: string): (string | number)[] | null {
  const ints = attribute(node, name)?.ints;
  return ints && ints.length > 0 ? ints.map((v) => exactIntLabel(v)) : null;
}

/** An INTS attribute as JS numbers, or null when the node does not carry it (or carries it empty). */
export function intsAttribute(node: NodeProto, name: string): number[] | null {
  const ints = attribute(node, name)?.ints;
  return ints && ints.length > 0 ? ints.map((v) => toNumber(v)) : null;
}

/** A STRINGS attribute decoded as UTF-8, or null when absent or empty. */
export function stringsAttribute(node: NodeProto, name: string): string[] | null {
  const strings = attribute(node, name)?.strings;
  if (!strings || strings.length === 0) return null;
  const decoder = new TextDecoder();
  return strings.map((s) => decoder.decode(s));
}

/** A STRING attribute decoded as UTF-8, or null when absent. */
export function stringAttribute(node: NodeProto, name: string): string | null {
  const s = attribute(node, name)?.s;
  return s && s.length > 0 ? new TextDecoder().decode(s) : null;
}
