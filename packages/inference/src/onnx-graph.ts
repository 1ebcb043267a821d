/**
 * Reading an ONNX ModelProto: decoding with errors a user can act on, describing graph inputs/outputs, and
 * the few graph walks the rest of the package needs (who produces a value, following Identity chains).
 */
import { ModelError } from './types.js';
import { onnx, toNumber, elemTypeName } from './onnx-proto.js';
import type { GraphProto, ModelProto, NodeProto, TypeProto, ValueInfoProto } from './onnx-proto.js';
import { scanFields, WireError, WireType, payload } from './wire.js';
import type { WireField } from './wire.js';

const L = WireType.LEN;
/** ModelProto fields (onnx.proto): number -> wire type. */
export const MODEL_FIELDS: ReadonlyMap<number, number> = new Map([
  [1, WireType.VARINT], // ir_version
  [2, L], // producer_name
  [3, L], // producer_version
  [4, L], // domain
  [5, WireType.VARINT], // model_version
  [6, L], // doc_string
  [7, L], // graph
  [8, L], // opset_import
  [14, L], // metadata_props
  [20, L], // training_info
  [25, L], // functions
]);
export const MODEL_GRAPH_FIELD = 7;

/** GraphProto fields: number -> wire type (all messages, strings or repeated messages). */
export const GRAPH_FIELDS: ReadonlyMap<number, number> = new Map([
  [1, L], // node
  [2, L], // name
  [5, L], // initializer
  [10, L], // doc_string
  [11, L], // input
  [12, L], // output
  [13, L], // value_info
  [14, L], // quantization_annotation
  [15, L], // sparse_initializer
]);
export const GRAPH_NODE_FIELD = 1;
export const GRAPH_OUTPUT_FIELD = 12;

/** File signatures worth naming when someone uploads the wrong thing. */
const SIGNATURES: { magic: number[]; what: string }[] = [
  { magic: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
  { magic: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { magic: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
  { magic: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive (a PyTorch .pt or an Excel file, perhaps)' },
  { magic: [0x1f, 0x8b], what: 'a gzip-compressed file' },
  { magic: [0x89, 0x48, 0x44, 0x46], what: 'an HDF5 file (a Keras .h5 model, perhaps)' },
  { magic: [0x80], what: 'a Python pickle (a scikit-learn .pkl/.joblib model, perhaps)' },
];

function describeWrongFile(bytes: Uint8Array): string {
  for (const s of SIGNATURES) {
    if (s.magic.every((b, i) => bytes[i] === b)) return ` It looks like ${s.what}.`;
  }
  try {
    // `stream` tolerates a character cut at the 512-byte boundary; `fatal` rejects anything that is not UTF-8.
    const head = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, 512), { stream: true });
    return /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f]*$/.test(head) ? ' It looks like a text file.' : '';
  } catch {
    return '';
  }
}

const EXPORT_HINT = 'Export the model to ONNX (for scikit-learn: skl2onnx; for PyTorch: torch.onnx.export) and upload the .onnx file.';

/** Confirms the bytes are a whole ONNX model and returns the fields of the model and of its graph. */
export function scanModel(bytes: Uint8Array): { model: WireField[]; graph: WireField; graphFields: WireField[] } {
  const notOnnx = (why: string) =>
    new ModelError('not_onnx', `This file is not an ONNX model${why ? ` (${why})` : ''}.${describeWrongFile(bytes)} ${EXPORT_HINT}`);
  if (bytes.length === 0) throw new ModelError('not_onnx', `The model file is empty. ${EXPORT_HINT}`);

  let model: WireField[];
  try {
    model = scanFields(bytes, MODEL_FIELDS);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    // Ran out of bytes after a well-formed ONNX start: the upload or copy was cut short.
    const startedWell = e.fields.length > 0 && MODEL_FIELDS.has(e.fields[0]!.field);
    if (e.kind === 'truncated' && startedWell) {
      throw new ModelError(
        'truncated',
        `The model file is incomplete: it ends after ${bytes.length} bytes, in the middle of the model. ` +
          'The upload or the file copy was probably cut short; upload the complete .onnx file again.',
      );
    }
    throw notOnnx('');
  }
  // Newer ONNX versions add fields, so unknown ones are fine later on; but a file that does not even start with
  // a known ModelProto field is something else that happens to parse as protobuf.
  if (model.length === 0 || !MODEL_FIELDS.has(model[0]!.field)) throw notOnnx('');
  const graphs = model.filter((f) => f.field === MODEL_GRAPH_FIELD);
  const hasIrVersion = model.some((f) => f.field === 1);
  if (graphs.length === 0) {
    if (hasIrVersion) {
      throw new ModelError(
        'truncated',
        'The model file has an ONNX header but no graph: it was probably cut short. Upload the complete .onnx file again.',
      );
    }
    throw notOnnx('it has no graph');
  }
  if (!hasIrVersion) throw notOnnx('it has no IR version');
  // Protobuf merges repeated occurrences of a singular message field; exporters never write more than one.
  if (graphs.length > 1) throw notOnnx('it has more than one main graph');
  const graph = graphs[0]!;
  let graphFields: WireField[];
  try {
    graphFields = scanFields(payload(bytes, graph), GRAPH_FIELDS);
  } catch {
    throw notOnnx('its graph is not readable');
  }
  return { model, graph, graphFields };
}

/** Decodes a model already confirmed by scanModel. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ModelError('not_onnx', `This file is not a readable ONNX model: ${(e as Error).message}. ${EXPORT_HINT}`);
  }
}

export type ValueDescription = { kind: 'tensor'; elemType: number; shape: (number | null)[] | null } | { kind: 'other'; text: string };

/** The declared type of a graph input/output; shape is null when the rank is not declared. */
export function describeValue(vi: ValueInfoProto): ValueDescription {
  const t = vi.type;
  if (t?.tensorType) {
    const shapeProto = t.tensorType.shape;
    // A dimension is a oneof: dim_value (fixed), dim_param (symbolic, e.g. "N") or neither (unknown).
    const shape = shapeProto
      ? (shapeProto.dim ?? []).map((d) => ((d as { value?: string }).value === 'dimValue' ? toNumber(d.dimValue) : null))
      : null;
    return { kind: 'tensor', elemType: t.tensorType.elemType ?? 0, shape };
  }
  return { kind: 'other', text: typeText(t) };
}

/** ONNX-style type text, e.g. `seq(map(int64,tensor(float)))`. */
export function typeText(t: TypeProto | null | undefined): string {
  if (!t) return 'unknown type';
  if (t.tensorType) return `tensor(${elemTypeName(t.tensorType.elemType ?? 0)})`;
  if (t.sparseTensorType) return `sparse_tensor(${elemTypeName(t.sparseTensorType.elemType ?? 0)})`;
  if (t.sequenceType) return `seq(${typeText(t.sequenceType.elemType)})`;
  if (t.mapType) return `map(${elemTypeName(t.mapType.keyType ?? 0)},${typeText(t.mapType.valueType)})`;
  if (t.optionalType) return `optional(${typeText(t.optionalType.elemType)})`;
  return 'unknown type';
}

/** Index of the main graph's nodes by the values they produce and consume. */
export class GraphIndex {
  readonly producer = new Map<string, NodeProto>();
  readonly consumers = new Map<string, NodeProto[]>();
  readonly initializers = new Set<string>();

  constructor(readonly graph: GraphProto) {
    for (const node of graph.node ?? []) {
      for (const out of node.output ?? []) if (out) this.producer.set(out, node);
      for (const inp of node.input ?? []) {
        if (!inp) continue;
        const list = this.consumers.get(inp) ?? [];
        list.push(node);
        this.consumers.set(inp, list);
      }
    }
    for (const t of graph.initializer ?? []) if (t.name) this.initializers.add(t.name);
  }

  /** Follows Identity nodes backwards: the value a graph output really is. */
  source(name: string): string {
    let current = name;
    for (let guard = 0; guard < 1000; guard++) {
      const node = this.producer.get(current);
      if (node?.opType !== 'Identity' || (node.domain ?? '') !== '' || !node.input?.[0]) return current;
      current = node.input[0];
    }
    return current;
  }
}
