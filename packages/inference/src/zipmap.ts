/**
 * The ZipMap rewrite. scikit-learn classifiers exported by skl2onnx end in a ZipMap node that turns the
 * probability tensor [N, classes] into a sequence of {label: probability} maps. onnxruntime-node can only
 * return tensors ("Non tensor type is temporarily not supported"), so at registration the ZipMap is cut off and
 * its input tensor becomes the graph output instead. Nothing is lost: ZipMap only relabels, and its class
 * labels are read before the node is removed.
 *
 * The rewrite splices the encoded graph (see wire.ts) so fields the bundled ONNX 1.10 schema does not know are
 * kept byte-for-byte.
 */
import { onnx, intLabelsAttribute, stringsAttribute, ElemType } from './onnx-proto.js';
import type { ModelProto, NodeProto } from './onnx-proto.js';
import { GraphIndex, GRAPH_NODE_FIELD, GRAPH_OUTPUT_FIELD, MODEL_GRAPH_FIELD, scanModel } from './onnx-graph.js';
import { concatBytes, lenField, payload } from './wire.js';

export interface ZipMapRewrite {
  /** The seq(map) graph output that was replaced. */
  zipMapOutput: string;
  /** The probability tensor that is a graph output now. */
  tensorOutput: string;
  /** ZipMap's class labels, in probability column order. */
  classLabels: (string | number)[];
}

function isZipMap(node: NodeProto | undefined): node is NodeProto {
  return node?.opType === 'ZipMap' && node.domain === 'ai.onnx.ml';
}

export function zipMapLabels(node: NodeProto): (string | number)[] | null {
  return intLabelsAttribute(node, 'classlabels_int64s') ?? stringsAttribute(node, 'classlabels_strings');
}

/**
 * Returns the bytes unchanged (same object) when no graph output comes from a ZipMap; otherwise the rewritten
 * encoding and what was done.
 */
export function rewriteZipMaps(bytes: Uint8Array, model: ModelProto): { bytes: Uint8Array; rewrites: ZipMapRewrite[] } {
  const graph = model.graph!;
  const index = new GraphIndex(graph);
  const outputs = graph.output ?? [];
  const outputNames = new Set(outputs.map((o) => o.name ?? ''));

  const rewrites: ZipMapRewrite[] = [];
  /** Output position -> replacement ValueInfo bytes, or null to drop the output. */
  const replaceOutput = new Map<number, Uint8Array | null>();
  const removeNodes = new Set<NodeProto>();

  outputs.forEach((out, i) => {
    if (out.type?.tensorType || !out.name) return;
    // Exporters sometimes put Identity nodes between ZipMap and the output name.
    const chain: NodeProto[] = [];
    let name = out.name;
    let node = index.producer.get(name);
    while (node && node.opType === 'Identity' && (node.domain ?? '') === '' && node.input?.[0]) {
      chain.push(node);
      name = node.input[0];
      node = index.producer.get(name);
    }
    if (!isZipMap(node) || !node.input?.[0]) return;
    const labels = zipMapLabels(node);
    if (!labels) return;
    const tensorName = node.input[0];
    rewrites.push({ zipMapOutput: out.name, tensorOutput: tensorName, classLabels: labels });

    if (outputNames.has(tensorName)) {
      replaceOutput.set(i, null);
    } else {
      outputNames.add(tensorName);
      const valueInfo = onnx.ValueInfoProto.encode({
        name: tensorName,
        type: {
          tensorType: {
            elemType: ElemType.FLOAT, // ZipMap only accepts float tensors
            shape: { dim: [{}, { dimValue: labels.length }] }, // batch dimension left unknown
          },
        },
      }).finish();
      replaceOutput.set(i, lenField(GRAPH_OUTPUT_FIELD, valueInfo));
    }
    // Drop the ZipMap (and the Identity hops) unless something else still reads what they produce; a dangling
    // ZipMap would be harmless but would still run on every batch.
    const group = new Set<NodeProto>([...chain, node]);
    const usedElsewhere = [...group].some((n) =>
      (n.output ?? []).some((o) => (o !== out.name && outputNames.has(o)) || (index.consumers.get(o) ?? []).some((c) => !group.has(c))),
    );
    if (!usedElsewhere) for (const n of group) removeNodes.add(n);
  });

  if (rewrites.length === 0) return { bytes, rewrites };

  const { model: modelFields, graph: graphField, graphFields } = scanModel(bytes);
  const graphBytes = payload(bytes, graphField);
  const nodes = graph.node ?? [];
  const parts: Uint8Array[] = [];
  let nodeIndex = 0;
  let outputIndex = 0;
  for (const f of graphFields) {
    const raw = graphBytes.subarray(f.start, f.end);
    if (f.field === GRAPH_NODE_FIELD) {
      const node = nodes[nodeIndex++];
      if (node && removeNodes.has(node)) continue;
    } else if (f.field === GRAPH_OUTPUT_FIELD) {
      const i = outputIndex++;
      if (replaceOutput.has(i)) {
        const replacement = replaceOutput.get(i);
        if (replacement) parts.push(replacement);
        continue;
      }
    }
    parts.push(raw);
  }
  const newGraph = concatBytes(parts);
  const modelParts = modelFields.map((f) =>
    f.field === MODEL_GRAPH_FIELD ? lenField(MODEL_GRAPH_FIELD, newGraph) : bytes.subarray(f.start, f.end),
  );
  return { bytes: concatBytes(modelParts), rewrites };
}
