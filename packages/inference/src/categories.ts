import { decodeModel, GraphIndex } from './onnx-graph.js';
import { stringsAttribute, type NodeProto } from './onnx-proto.js';

/** Nodes that pass a value through unchanged in content: the categories are looked for after them. */
const PASS_THROUGH = new Set(['Identity', 'Reshape', 'Squeeze', 'Unsqueeze', 'Flatten']);

/** Where encoders keep the string values they know, by operator (ai.onnx.ml). */
const CATEGORY_ATTRIBUTES: Record<string, string> = {
  OneHotEncoder: 'cats_strings',
  LabelEncoder: 'keys_strings',
  CategoryMapper: 'cats_strings',
};

/**
 * The values the model knows for each of the given graph inputs (string columns of a pipeline), read from
 * the encoder that consumes it: a sample CSV then holds categories the model accepts rather than made-up
 * text that an encoder without `handle_unknown` would refuse. Inputs fed to anything else are left out.
 */
export function inputCategories(bytes: Uint8Array, inputs: string[]): Map<string, string[]> {
  const graph = decodeModel(bytes).graph;
  const found = new Map<string, string[]>();
  if (!graph) return found;
  const index = new GraphIndex(graph);
  for (const input of inputs) {
    const queue = [input];
    const seen = new Set<string>();
    search: while (queue.length > 0) {
      const value = queue.shift()!;
      if (seen.has(value)) continue;
      seen.add(value);
      for (const node of index.consumers.get(value) ?? []) {
        const categories = categoriesOf(node);
        if (categories) {
          found.set(input, categories);
          break search;
        }
        if (PASS_THROUGH.has(node.opType ?? '') && node.output?.[0]) queue.push(node.output[0]);
      }
    }
  }
  return found;
}

function categoriesOf(node: NodeProto): string[] | null {
  const attr = CATEGORY_ATTRIBUTES[node.opType ?? ''];
  return attr ? stringsAttribute(node, attr) : null;
}
