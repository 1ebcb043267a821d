/**
 * Where a classifier's class labels come from, in order of trust:
 *  1. the ai.onnx.ml classifier node's own attribute (TreeEnsembleClassifier, LinearClassifier, SVMClassifier);
 *  2. a ZipMap's attribute (read before the ZipMap rewrite removes it);
 *  3. for plain graphs (Softmax -> ArgMax -> Gather(classes)), the initializer gathered into the label output;
 *  4. 0..C-1 from the probability width, as the last resort.
 * Integer labels are JS numbers while exact, their decimal text beyond 2^53 (exactIntLabel), as the importers keep them.
 */
import { ElemType, exactIntLabel, intLabelsAttribute, stringsAttribute } from './onnx-proto.js';
import type { NodeProto, TensorProto } from './onnx-proto.js';
import type { GraphIndex } from './onnx-graph.js';

export const CLASSIFIER_OPS = new Set(['TreeEnsembleClassifier', 'LinearClassifier', 'SVMClassifier']);

export function isClassifierNode(node: NodeProto | undefined): node is NodeProto {
  return !!node && node.domain === 'ai.onnx.ml' && CLASSIFIER_OPS.has(node.opType ?? '');
}

/** Labels declared on an ai.onnx.ml classifier node (the attribute name differs between operators). */
export function classifierNodeLabels(node: NodeProto): (string | number)[] | null {
  return (
    intLabelsAttribute(node, 'classlabels_ints') ??
    intLabelsAttribute(node, 'classlabels_int64s') ??
    stringsAttribute(node, 'classlabels_strings')
  );
}

/** The values of a small constant tensor (an initializer), or null for types labels are never made of. */
export function tensorValues(t: TensorProto): (string | number)[] | null {
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  switch (t.dataType) {
    case ElemType.STRING: {
      const decoder = new TextDecoder();
      return (t.stringData ?? []).map((s) => decoder.decode(s));
    }
    case ElemType.INT64:
      if (view) return Array.from({ length: view.byteLength / 8 }, (_, i) => exactIntLabel(view.getBigInt64(i * 8, true)));
      return (t.int64Data ?? []).map((v) => exactIntLabel(v));
    case ElemType.INT32:
      if (view) return Array.from({ length: view.byteLength / 4 }, (_, i) => view.getInt32(i * 4, true));
      return [...(t.int32Data ?? [])];
    case ElemType.FLOAT:
      if (view) return Array.from({ length: view.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
      return [...(t.floatData ?? [])];
    case ElemType.DOUBLE:
      if (view) return Array.from({ length: view.byteLength / 8 }, (_, i) => view.getFloat64(i * 8, true));
      return [...(t.doubleData ?? [])];
    default:
      return null;
  }
}

/**
 * Labels of a plain graph whose label output is `Gather(classes, ArgMax(...))` with `classes` a 1-D
 * initializer: the graph itself maps probability columns to labels.
 */
export function gatheredLabels(index: GraphIndex, labelOutput: string): (string | number)[] | null {
  const node = index.producer.get(index.source(labelOutput));
  if (node?.opType !== 'Gather' || (node.domain ?? '') !== '') return null;
  const dataName = node.input?.[0];
  const init = (index.graph.initializer ?? []).find((t) => t.name === dataName);
  if (!init || (init.dims ?? []).length !== 1) return null;
  return tensorValues(init);
}

export function rangeLabels(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}
