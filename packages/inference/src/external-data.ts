/**
 * Refusing tensors whose bytes live outside the model ("external data").
 *
 * ONNX Runtime loads an external tensor from the path in its `location` entry, relative to the model's
 * directory, which for a model loaded from bytes is the process's working directory; it also understands
 * special locations that point into memory. A model whose Constant node says `location=package.json` would
 * then hand that file's bytes to anyone who can call the predict endpoint. So no tensor anywhere in a model
 * may be external: not an initializer, not a sparse initializer's values or indices, not a node attribute
 * (Constant's `value`, ConstantOfShape's `value`, ...), in the main graph, in any subgraph (If/Loop/Scan
 * bodies, any GRAPH/GRAPHS attribute), in model-local functions or in training graphs.
 *
 * The walk reads the protobuf wire format rather than protobufjs' decoded objects: the bundled ONNX 1.10
 * schema drops fields it does not know (e.g. FunctionProto.attribute_proto, added later), and a field it
 * drops is still read by ONNX Runtime. Every occurrence of a field is visited, since protobuf merges a
 * repeated singular message field instead of keeping only the last one.
 */
import { ModelError } from './types.js';
import { payload, scanFields, WireError, WireType } from './wire.js';

const L = WireType.LEN;
const V = WireType.VARINT;

/** Message kinds that can contain a tensor, and the fields (number -> kind) through which they do. */
type Kind = 'model' | 'training' | 'graph' | 'node' | 'attribute' | 'function' | 'sparse' | 'tensor';

const CHILDREN: Record<Exclude<Kind, 'tensor'>, ReadonlyMap<number, Kind>> = {
  // ModelProto: graph, training_info, functions
  model: new Map([
    [7, 'graph'],
    [20, 'training'],
    [25, 'function'],
  ]),
  // TrainingInfoProto: initialization, algorithm
  training: new Map([
    [1, 'graph'],
    [2, 'graph'],
  ]),
  // GraphProto: node, initializer, sparse_initializer
  graph: new Map([
    [1, 'node'],
    [5, 'tensor'],
    [15, 'sparse'],
  ]),
  // NodeProto: attribute
  node: new Map([[5, 'attribute']]),
  // AttributeProto: t, g, tensors, graphs, sparse_tensor, sparse_tensors
  attribute: new Map([
    [5, 'tensor'],
    [6, 'graph'],
    [10, 'tensor'],
    [11, 'graph'],
    [22, 'sparse'],
    [23, 'sparse'],
  ]),
  // FunctionProto: node, attribute_proto (attributes with default values)
  function: new Map([
    [7, 'node'],
    [11, 'attribute'],
  ]),
  // SparseTensorProto: values, indices
  sparse: new Map([
    [1, 'tensor'],
    [2, 'tensor'],
  ]),
};

const EXPECTED: Record<Kind, ReadonlyMap<number, number>> = {
  model: new Map([...CHILDREN.model.keys()].map((f) => [f, L])),
  training: new Map([...CHILDREN.training.keys()].map((f) => [f, L])),
  graph: new Map([...CHILDREN.graph.keys()].map((f) => [f, L])),
  node: new Map([...CHILDREN.node.keys()].map((f) => [f, L])),
  attribute: new Map([...CHILDREN.attribute.keys()].map((f) => [f, L])),
  function: new Map([...CHILDREN.function.keys()].map((f) => [f, L])),
  sparse: new Map([...CHILDREN.sparse.keys()].map((f) => [f, L])),
  // TensorProto: name (8), external_data (13), data_location (14)
  tensor: new Map([
    [8, L],
    [13, L],
    [14, V],
  ]),
};

const TENSOR_NAME = 8;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;

/** Deeper than ONNX Runtime's own protobuf recursion limit (100 messages), so no real model comes close. */
const MAX_DEPTH = 200;

/** Where a tensor sits, for the message: "node 'const_1' attribute 'value' in the then_branch of node 'if_0'". */
interface Found {
  where: string;
}

function readVarintAt(bytes: Uint8Array, pos: number): number {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < bytes.length && i < pos + 10; i++) {
    const b = bytes[i]!;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) break;
  }
  return value;
}

const decoder = new TextDecoder();

/** A string field (field number `field`) of a message, for naming things in the message; '' when absent. */
function stringField(bytes: Uint8Array, field: number): string {
  try {
    const f = scanFields(bytes, new Map()).find((x) => x.field === field && x.wireType === L);
    return f ? decoder.decode(payload(bytes, f)).slice(0, 100) : '';
  } catch {
    return '';
  }
}

function walk(bytes: Uint8Array, kind: Kind, where: string, depth: number, found: Found[]): void {
  if (depth > MAX_DEPTH) {
    throw new ModelError('runtime_rejected', `The model nests subgraphs more than ${MAX_DEPTH} levels deep; no exporter does that.`);
  }
  let fields: ReturnType<typeof scanFields>;
  try {
    fields = scanFields(bytes, EXPECTED[kind]);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    throw new ModelError('not_onnx', `This file is not a readable ONNX model (${where || 'the model'}: ${e.message}).`);
  }
  if (kind === 'tensor') {
    const external = fields.some(
      (f) => f.field === TENSOR_EXTERNAL_DATA || (f.field === TENSOR_DATA_LOCATION && readVarintAt(bytes, f.dataStart) !== 0),
    );
    if (external) found.push({ where });
    return;
  }
  const children = CHILDREN[kind];
  for (const f of fields) {
    const child = children.get(f.field);
    if (!child) continue;
    const sub = payload(bytes, f);
    walk(sub, child, describe(kind, f.field, child, sub, where), depth + 1, found);
  }
}

/** Names the child message for the error message, from what its parent is. */
function describe(parent: Kind, field: number, child: Kind, sub: Uint8Array, where: string): string {
  const inside = where ? ` in ${where}` : '';
  switch (child) {
    case 'graph':
      return parent === 'model' ? 'the main graph' : parent === 'training' ? `a training graph${inside}` : `a subgraph${inside}`;
    case 'function':
      return `function '${stringField(sub, 1)}'`; // FunctionProto.name
    case 'node': {
      const name = stringField(sub, 3); // NodeProto.name
      const op = stringField(sub, 4); // NodeProto.op_type
      return `${op || 'a'} node${name ? ` '${name}'` : ''}${inside}`;
    }
    case 'attribute':
      return `attribute '${stringField(sub, 1)}' of ${where}`; // AttributeProto.name
    case 'sparse':
      return parent === 'graph' ? `a sparse initializer${inside}` : `a sparse tensor${inside}`;
    case 'tensor': {
      const name = stringField(sub, TENSOR_NAME);
      const role = parent === 'graph' ? 'initializer' : parent === 'sparse' ? (field === 1 ? 'values' : 'indices') : 'tensor';
      return `${role}${name ? ` '${name}'` : ''}${inside}`;
    }
    default:
      return where;
  }
}

/**
 * Throws ModelError `external_data` when any tensor of the model keeps its bytes outside the model (or names
 * an external location at all). Must run on the exact bytes given to ONNX Runtime, before it sees them.
 */
export function refuseExternalData(bytes: Uint8Array): void {
  const found: Found[] = [];
  walk(bytes, 'model', '', 0, found);
  if (found.length === 0) return;
  const shown = found
    .slice(0, 3)
    .map((f) => f.where)
    .join('; ');
  const more = found.length > 3 ? ` and ${found.length - 3} more` : '';
  throw new ModelError(
    'external_data',
    `The model keeps ${found.length} tensor${found.length === 1 ? '' : 's'} in external-data files (${shown}${more}), which ` +
      'are not part of the upload and are never read from the server. Save the model as a single file with every ' +
      'tensor inside it (Python: onnx.save(model, path, save_as_external_data=False), after ' +
      'onnx.load(path, load_external_data=True)) and upload that.',
  );
}
