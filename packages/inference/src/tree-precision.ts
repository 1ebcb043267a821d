/**
 * The tree-precision rewrite. skl2onnx writes TreeEnsembleRegressor / TreeEnsembleClassifier thresholds and
 * leaf weights as float attributes, and onnxruntime then adds up the trees in float32: for a gradient-boosted
 * regressor with values in the hundreds that drifts more than 1e-4 from scikit-learn, which sums in double.
 *
 * ai.onnx.ml opset 3 has double twins of those attributes (`nodes_values_as_tensor`, ...). Registration moves
 * the float lists into them unchanged (every float32 is exactly a double, so no threshold or weight moves).
 * That alone is not enough for onnxruntime (checked with onnxruntime-node 1.30): its kernel for a float input
 * is built with float thresholds and refuses double tensor attributes ("TreeEnsemble could not unpack tensor
 * attribute ..."); only the kernel for a double input keeps double thresholds and sums in double. So a float
 * input is also cast to double in front of the ensemble. Float -> double is exact, so every comparison
 * (x <= threshold, ...) decides as before; only the summation gains precision. The operators' outputs are
 * float by definition, so the graph's outputs keep their type and shape.
 *
 * Inputs of other types (int64, int32) are left alone: onnxruntime compares them as float32, like
 * scikit-learn, and a cast to double could change decisions for integers above 2^24.
 *
 * Like the ZipMap rewrite this splices the encoded model (see wire.ts): only the ensemble nodes' first input
 * and the converted attributes are re-encoded; every other field is kept byte for byte.
 */
import { onnx, toNumber, ElemType, attribute } from './onnx-proto.js';
import type { AttributeProto, GraphProto, ModelProto, NodeProto } from './onnx-proto.js';
import { GRAPH_NODE_FIELD, MODEL_GRAPH_FIELD, scanModel } from './onnx-graph.js';
import { concatBytes, lenField, payload, scanFields, WireType } from './wire.js';

const ML_DOMAIN = 'ai.onnx.ml';
const TREE_OPS = new Set(['TreeEnsembleRegressor', 'TreeEnsembleClassifier']);

/** Float attribute -> its double twin, per operator (ai.onnx.ml opset 3). */
const DOUBLE_TWINS: Record<string, Record<string, string>> = {
  TreeEnsembleRegressor: {
    nodes_values: 'nodes_values_as_tensor',
    nodes_hitrates: 'nodes_hitrates_as_tensor',
    target_weights: 'target_weights_as_tensor',
    base_values: 'base_values_as_tensor',
  },
  TreeEnsembleClassifier: {
    nodes_values: 'nodes_values_as_tensor',
    nodes_hitrates: 'nodes_hitrates_as_tensor',
    class_weights: 'class_weights_as_tensor',
    base_values: 'base_values_as_tensor',
  },
};

/** NodeProto fields (onnx.proto): all strings or messages. */
const NODE_FIELDS: ReadonlyMap<number, number> = new Map([1, 2, 3, 4, 5, 6, 7, 8, 9].map((f) => [f, WireType.LEN] as [number, number]));
const NODE_INPUT_FIELD = 1;
const NODE_ATTRIBUTE_FIELD = 5;

export interface TreePrecisionRewrite {
  opType: string;
  /** The node's name, or a description by its first output when it has none. */
  node: string;
  /** Float attributes replaced by their `*_as_tensor` (double) twins. */
  attributes: string[];
  /** The float value that is now cast to double in front of the node, or null when the input was double. */
  castInput: string | null;
}

export interface TreePrecisionResult {
  /** The same object as the input bytes when nothing was rewritten. */
  bytes: Uint8Array;
  rewrites: TreePrecisionRewrite[];
  /** One line per rewritten or skipped tree ensemble, for schema.notes. */
  notes: string[];
}

function isTreeEnsemble(node: NodeProto): boolean {
  return node.domain === ML_DOMAIN && TREE_OPS.has(node.opType ?? '');
}

/**
 * Whether the main graph holds a tree ensemble of any ai.onnx.ml opset (opset 5's TreeEnsemble too): ONNX
 * Runtime sums those in an order that depends on its thread count and the batch's size (see session.ts).
 */
export function hasTreeEnsemble(model: ModelProto): boolean {
  return (model.graph?.node ?? []).some((n) => isTreeEnsemble(n) || (n.domain === ML_DOMAIN && n.opType === 'TreeEnsemble'));
}

function nodeLabel(node: NodeProto): string {
  return node.name ? `'${node.name}'` : `producing '${node.output?.[0] ?? ''}'`;
}

export function mlOpset(model: ModelProto): number | null {
  const imp = (model.opsetImport ?? []).find((o) => o.domain === ML_DOMAIN);
  return imp ? toNumber(imp.version) : null;
}

/** Ops whose output has the element type of their first input. */
const SAME_TYPE_OPS: Record<string, Set<string>> = {
  '': new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Concat', 'Slice', 'Gather']),
  [ML_DOMAIN]: new Set(['Imputer', 'ArrayFeatureExtractor']),
};
/** ai.onnx.ml ops whose output is always float. */
const FLOAT_OUTPUT_ML_OPS = new Set(['Scaler', 'Normalizer', 'FeatureVectorizer', 'OneHotEncoder']);

/**
 * The element type of a value of the main graph, when the graph says it: declared (input, output, value_info,
 * initializer) or following from the few ops sklearn-style pipelines put in front of a tree ensemble.
 */
function elemTypeOf(graph: GraphProto, producer: Map<string, NodeProto>, name: string): number | null {
  let current = name;
  for (let guard = 0; guard < 100; guard++) {
    const declared = [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])].find(
      (v) => v.name === current && v.type?.tensorType?.elemType,
    );
    if (declared) return declared.type!.tensorType!.elemType!;
    const init = (graph.initializer ?? []).find((t) => t.name === current);
    if (init) return init.dataType ?? null;
    const node = producer.get(current);
    if (!node) return null;
    const domain = node.domain ?? '';
    if (domain === '' && node.opType === 'Cast') {
      const to = attribute(node, 'to');
      return to ? toNumber(to.i) : null;
    }
    if (domain === ML_DOMAIN && FLOAT_OUTPUT_ML_OPS.has(node.opType ?? '')) return ElemType.FLOAT;
    if (SAME_TYPE_OPS[domain]?.has(node.opType ?? '') && node.input?.[0]) {
      current = node.input[0];
      continue;
    }
    return null;
  }
  return null;
}

/** A 1-D double tensor holding exactly the given values (little-endian raw data). */
function doubleTensorAttribute(name: string, values: number[]): AttributeProto {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => {
    view.setFloat64(i * 8, v, true);
  });
  return onnx.AttributeProto.create({
    name,
    type: onnx.AttributeProto.AttributeType.TENSOR,
    t: onnx.TensorProto.create({ dataType: ElemType.DOUBLE, dims: [values.length], rawData: raw }),
  });
}

function uniqueName(taken: Set<string>, base: string): string {
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

interface NodePlan {
  /** Float attribute names to convert. */
  convert: Map<string, string>;
  /** New first input (the cast value), or null. */
  newInput: string | null;
  /** Encoded Cast node (a whole graph `node` field) to put right before this node, or null. */
  castBefore: Uint8Array | null;
}

/** Re-encodes one NodeProto payload: first input renamed, float attributes replaced; all else kept. */
function spliceNode(nodeBytes: Uint8Array, plan: NodePlan): Uint8Array {
  const parts: Uint8Array[] = [];
  let firstInput = true;
  for (const f of scanFields(nodeBytes, NODE_FIELDS)) {
    const raw = nodeBytes.subarray(f.start, f.end);
    if (f.field === NODE_INPUT_FIELD && firstInput) {
      firstInput = false;
      if (plan.newInput !== null) {
        parts.push(lenField(NODE_INPUT_FIELD, new TextEncoder().encode(plan.newInput)));
        continue;
      }
    } else if (f.field === NODE_ATTRIBUTE_FIELD) {
      const attr = onnx.AttributeProto.decode(payload(nodeBytes, f));
      const twin = plan.convert.get(attr.name ?? '');
      if (twin) {
        const encoded = onnx.AttributeProto.encode(doubleTensorAttribute(twin, (attr.floats ?? []).map(Number))).finish();
        parts.push(lenField(NODE_ATTRIBUTE_FIELD, encoded));
        continue;
      }
    }
    parts.push(raw);
  }
  return lenField(GRAPH_NODE_FIELD, concatBytes(parts));
}

/**
 * Rewrites every TreeEnsembleRegressor / TreeEnsembleClassifier of the main graph to accumulate in double.
 * `model` must be the decoding of `bytes`. Returns the bytes unchanged (same object) when there is nothing to do.
 */
export function rewriteTreePrecision(bytes: Uint8Array, model: ModelProto): TreePrecisionResult {
  const graph = model.graph!;
  const nodes = graph.node ?? [];
  const ensembles = nodes.filter(isTreeEnsemble);
  if (ensembles.length === 0) return { bytes, rewrites: [], notes: [] };

  const notes: string[] = [];
  const opset = mlOpset(model) ?? 0;
  if (opset < 3) {
    notes.push(
      `Tree ensembles add up in float32: the model imports ai.onnx.ml opset ${opset}, and double-precision tree ` +
        'attributes need opset 3. Re-export with target_opset={"ai.onnx.ml": 3} for sums closer to scikit-learn.',
    );
    return { bytes, rewrites: [], notes };
  }

  const producer = new Map<string, NodeProto>();
  const taken = new Set<string>();
  for (const n of nodes) {
    for (const o of n.output ?? []) if (o) producer.set(o, n);
    for (const v of [...(n.input ?? []), ...(n.output ?? []), n.name ?? '']) if (v) taken.add(v);
  }
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? []), ...(graph.initializer ?? [])]) {
    if (v.name) taken.add(v.name);
  }

  const plans = new Map<NodeProto, NodePlan>();
  const rewrites: TreePrecisionRewrite[] = [];
  /** Float value -> its double cast, shared by ensembles reading the same value. */
  const casts = new Map<string, string>();
  for (const node of ensembles) {
    const opType = node.opType!;
    const twins = DOUBLE_TWINS[opType]!;
    const convert = new Map<string, string>();
    for (const a of node.attribute ?? []) {
      const twin = twins[a.name ?? ''];
      if (twin && a.type === onnx.AttributeProto.AttributeType.FLOATS && (a.floats?.length ?? 0) > 0) convert.set(a.name!, twin);
    }
    if (convert.size === 0) continue; // nothing in float (already double, or no trees)
    const input = node.input?.[0];
    const elemType = input ? elemTypeOf(graph, producer, input) : null;
    if (elemType !== ElemType.FLOAT && elemType !== ElemType.DOUBLE) {
      const why = elemType === null ? 'its input type could not be determined' : 'its input is not float or double';
      notes.push(`${opType} ${nodeLabel(node)} keeps float32 tree sums: ${why}.`);
      continue;
    }
    let newInput: string | null = null;
    let castBefore: Uint8Array | null = null;
    if (elemType === ElemType.FLOAT) {
      newInput = casts.get(input!) ?? null;
      if (newInput === null) {
        newInput = uniqueName(taken, `${input}_as_double`);
        casts.set(input!, newInput);
        const cast = onnx.NodeProto.create({
          name: uniqueName(taken, `${input}_to_double`),
          opType: 'Cast',
          input: [input!],
          output: [newInput],
          attribute: [onnx.AttributeProto.create({ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: ElemType.DOUBLE })],
        });
        castBefore = lenField(GRAPH_NODE_FIELD, onnx.NodeProto.encode(cast).finish());
      }
    }
    plans.set(node, { convert, newInput, castBefore });
    const attributes = [...convert.keys()];
    rewrites.push({ opType, node: nodeLabel(node), attributes, castInput: elemType === ElemType.FLOAT ? input! : null });
    notes.push(
      `${opType} ${nodeLabel(node)} rewritten to add up its trees in double: ` +
        `${attributes.map((a) => `${a} -> ${convert.get(a)}`).join(', ')}` +
        (elemType === ElemType.FLOAT ? `, and its float input '${input}' cast to double` : '') +
        '. Thresholds and weights are unchanged; outputs stay float.',
    );
  }
  if (plans.size === 0) return { bytes, rewrites, notes };

  const { model: modelFields, graph: graphField, graphFields } = scanModel(bytes);
  const graphBytes = payload(bytes, graphField);
  const parts: Uint8Array[] = [];
  let nodeIndex = 0;
  for (const f of graphFields) {
    if (f.field === GRAPH_NODE_FIELD) {
      const plan = plans.get(nodes[nodeIndex++]!);
      if (plan) {
        if (plan.castBefore) parts.push(plan.castBefore);
        parts.push(spliceNode(payload(graphBytes, f), plan));
        continue;
      }
    }
    parts.push(graphBytes.subarray(f.start, f.end));
  }
  const newGraph = concatBytes(parts);
  const modelParts = modelFields.map((f) =>
    f.field === MODEL_GRAPH_FIELD ? lenField(MODEL_GRAPH_FIELD, newGraph) : bytes.subarray(f.start, f.end),
  );
  return { bytes: concatBytes(modelParts), rewrites, notes };
}
