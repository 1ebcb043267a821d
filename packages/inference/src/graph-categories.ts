/**
 * The categories an uploaded ONNX graph refuses to go beyond. skl2onnx writes scikit-learn's OneHotEncoder with
 * handle_unknown='error' (its default) as an ONNX OneHotEncoder with `zeros=0`, which fails the whole run for a
 * category it was not given. Where such a node reads a text column straight from a graph input (or one column of
 * it, through Gather), its categories are kept in the schema like the ones our importers record
 * (known-categories.ts): a row holding another value fails alone, naming the column, the value and the categories,
 * before ONNX Runtime sees it. Anything less direct is left to ONNX Runtime, whose refusal fails the row too
 * (refused-rows.ts), with its own words.
 */
import { GraphIndex } from './onnx-graph.js';
import { type ModelProto, type NodeProto, attribute, stringsAttribute, toNumber } from './onnx-proto.js';
import type { KnownCategories, ModelInput } from './types.js';

/** Operators that hand a text tensor on unchanged, for this purpose. */
const PASS_THROUGH = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);

export function readGraphCategories(model: ModelProto, inputs: ModelInput[]): KnownCategories[] {
  const graph = model.graph;
  if (!graph) return [];
  const index = new GraphIndex(graph);
  const found: KnownCategories[] = [];
  for (const node of graph.node ?? []) {
    if (node.opType !== 'OneHotEncoder' || node.domain !== 'ai.onnx.ml') continue;
    // The operator's default is zeros=1: an unknown category becomes all zeros, as handle_unknown='ignore'.
    const zeros = attribute(node, 'zeros');
    if (!zeros || toNumber(zeros.i) !== 0) continue;
    const categories = stringsAttribute(node, 'cats_strings');
    if (!categories) continue;
    for (const column of columnsRead(node.input?.[0], index, inputs)) {
      found.push({
        column,
        values: categories.filter((c) => c !== ''),
        missing: categories.includes(''),
        encoder: `the graph's OneHotEncoder${node.name ? ` '${node.name}'` : ''}`,
        fromGraph: true,
      });
    }
  }
  return found;
}

/** The text columns a value is, when it is a graph input (or one column of one) handed on unchanged; else none. */
function columnsRead(value: string | null | undefined, index: GraphIndex, inputs: ModelInput[]): string[] {
  let current = value;
  let column: number | null = null;
  for (let guard = 0; current && guard < 100; guard++) {
    const input = inputs.find((i) => i.name === current);
    if (input) {
      if (input.type !== 'string' || !input.columns) return [];
      if (column !== null) return input.columns[column] === undefined ? [] : [input.columns[column]!];
      // A node reading a whole input of several columns applies its categories to each of them.
      return input.columns;
    }
    const node: NodeProto | undefined = index.producer.get(current);
    if (!node || (node.domain ?? '') !== '') return [];
    if (node.opType === 'Gather' && column === null) {
      const at = gatheredColumn(node, index);
      if (at === null) return [];
      column = at;
    } else if (!PASS_THROUGH.has(node.opType ?? '')) return [];
    current = node.input?.[0];
  }
  return [];
}

/** The one column a Gather along axis 1 takes with a constant index, or null. */
function gatheredColumn(node: NodeProto, index: GraphIndex): number | null {
  if (toNumber(attribute(node, 'axis')?.i) !== 1) return null;
  const name = node.input?.[1];
  const tensor = index.graph.initializer?.find((t) => t.name === name);
  const ints = tensor?.int64Data?.map((v) => toNumber(v)) ?? [];
  if (ints.length === 0 && tensor?.rawData && tensor.rawData.length === 8) {
    const raw = tensor.rawData;
    ints.push(Number(new DataView(raw.buffer, raw.byteOffset, 8).getBigInt64(0, true)));
  }
  return ints.length === 1 && ints[0]! >= 0 ? ints[0]! : null;
}
