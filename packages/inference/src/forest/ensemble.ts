/**
 * Reads an ai.onnx.ml TreeEnsembleClassifier / TreeEnsembleRegressor node into plain trees, for the forest
 * evaluator (see forest-scorer.ts), or says why that evaluator does not take it (then ONNX Runtime scores the
 * model as before).
 *
 * Only the forms whose ONNX Runtime semantics the evaluator reproduces exactly are taken: one comparison mode
 * for the whole ensemble (BRANCH_LEQ, scikit-learn's, or BRANCH_LT, XGBoost's), no missing-value tracking, no
 * post-transform, and the output rules of ONNX Runtime's TreeAggregator that scikit-learn's forests use:
 *   - `binary`: a two-class classifier whose weights are all on class id 0 and all >= 0 (skl2onnx's binary
 *     forests): the score s is the second class's probability, the first is 1 - s, the label is the second
 *     class when s > 0.5;
 *   - `classes`: three or more classes, no base values: one score per class, the label the first class with
 *     the highest score among the classes some reached leaf gave a weight to;
 *   - `sum` / `average`: a one-target regressor, the sum of the reached leaves (divided by the number of
 *     trees for AVERAGE) plus its base value.
 * Each leaf's weights are added in tree order, in double, as ONNX Runtime does on one thread; the checks in
 * verify-forest.ts compare both on probe rows before the evaluator is used.
 */
import type { NodeProto, TensorProto } from '../onnx-proto.js';
import { attribute, intLabelsAttribute, intsAttribute, stringAttribute, stringsAttribute, toNumber } from '../onnx-proto.js';
import { tensorValues } from '../class-labels.js';

export type TreeNode =
  | {
      feature: number;
      threshold: number;
      whenTrue: TreeNode;
      whenFalse: TreeNode;
      /** A NaN takes the true branch (missing-value tracking; only TreeEnsemble's reader sets it, the padded walk ignores it). */
      nanGoesTrue?: boolean;
    }
  | { leaf: number };

export type ForestOutput = 'binary' | 'classes' | 'sum' | 'average';

export interface Ensemble {
  mode: 'LEQ' | 'LT';
  output: ForestOutput;
  trees: TreeNode[];
  /** Score slots per row: 1, or the number of classes for `classes`. */
  slots: number;
  /** Leaf weights, row-major [leaves, slots]. */
  leafWeights: Float64Array;
  /** Per leaf, the classes it carries a weight for (bit k = class k); only for `classes`. */
  leafClasses: Int32Array;
  /** Highest feature index any node reads. */
  maxFeature: number;
  /** Class labels (classifiers), numbers for integer labels. */
  labels: (string | number)[] | null;
  /** The regressor's base value (0 when it has none). */
  base: number;
}

/** More nodes than this are left to ONNX Runtime (the evaluator would build them as objects once). */
export const MAX_NODES = 2_000_000;
/** Bitmasks of `leafClasses` hold this many classes. */
const MAX_CLASSES = 31;

/** A float list attribute or its double `*_as_tensor` twin (tree-precision.ts moves values there). */
function numbers(node: NodeProto, name: string): number[] | null {
  const tensor = attribute(node, `${name}_as_tensor`)?.t as TensorProto | undefined;
  if (tensor) return (tensorValues(tensor) as number[] | null) ?? null;
  const floats = attribute(node, name)?.floats;
  return floats && floats.length > 0 ? [...floats] : null;
}

function allEqual<T>(xs: T[], v: T): boolean {
  for (const x of xs) if (x !== v) return false;
  return true;
}

/** The ensemble, or why the forest evaluator leaves this node to ONNX Runtime. */
export function readEnsemble(node: NodeProto): Ensemble | string {
  const op = node.opType;
  if (node.domain !== 'ai.onnx.ml' || (op !== 'TreeEnsembleClassifier' && op !== 'TreeEnsembleRegressor'))
    return `${op} is not a tree ensemble`;
  const post = stringAttribute(node, 'post_transform') ?? 'NONE';
  if (post !== 'NONE') return `post_transform ${post}`;

  const treeIds = intsAttribute(node, 'nodes_treeids') ?? [];
  const nodeIds = intsAttribute(node, 'nodes_nodeids') ?? [];
  const features = intsAttribute(node, 'nodes_featureids') ?? [];
  const modes = stringsAttribute(node, 'nodes_modes') ?? [];
  const values = numbers(node, 'nodes_values') ?? [];
  const trueIds = intsAttribute(node, 'nodes_truenodeids') ?? [];
  const falseIds = intsAttribute(node, 'nodes_falsenodeids') ?? [];
  const missing = intsAttribute(node, 'nodes_missing_value_tracks_true') ?? [];
  const n = treeIds.length;
  if (n === 0 || n > MAX_NODES) return `${n} nodes`;
  if ([nodeIds, features, modes, values, trueIds, falseIds].some((a) => a.length !== n)) return 'node attributes of different lengths';
  if (!allEqual(missing, 0)) return 'missing-value tracking';
  const branchModes = new Set(modes.filter((m) => m !== 'LEAF'));
  if (branchModes.size !== 1) return `comparison modes ${[...branchModes].join(', ') || 'none'}`;
  const mode = [...branchModes][0] === 'BRANCH_LEQ' ? 'LEQ' : [...branchModes][0] === 'BRANCH_LT' ? 'LT' : null;
  if (!mode) return `comparison mode ${[...branchModes][0]}`;

  const prefix = op === 'TreeEnsembleClassifier' ? 'class' : 'target';
  const wTrees = intsAttribute(node, `${prefix}_treeids`) ?? [];
  const wNodes = intsAttribute(node, `${prefix}_nodeids`) ?? [];
  const wIds = intsAttribute(node, `${prefix}_ids`) ?? [];
  const weights = numbers(node, `${prefix}_weights`) ?? [];
  if ([wNodes, wIds, weights].some((a) => a.length !== wTrees.length)) return 'weight attributes of different lengths';
  const base = numbers(node, 'base_values') ?? [];

  let output: ForestOutput;
  let slots = 1;
  let labels: (string | number)[] | null = null;
  if (op === 'TreeEnsembleClassifier') {
    labels = intLabelsAttribute(node, 'classlabels_int64s') ?? stringsAttribute(node, 'classlabels_strings');
    if (!labels || labels.length < 2) return 'fewer than two class labels';
    if (base.length > 0) return 'base values on a classifier';
    if (labels.length === 2) {
      if (!allEqual(wIds, 0) || weights.some((w) => !(w >= 0))) return 'a binary classifier not weighted on class 0 alone';
      output = 'binary';
    } else {
      if (labels.length > MAX_CLASSES) return `${labels.length} classes`;
      if (wIds.some((id) => id < 0 || id >= labels!.length)) return 'a weight for an unknown class';
      output = 'classes';
      slots = labels.length;
    }
  } else {
    const targets = toNumber(attribute(node, 'n_targets')?.i ?? 1);
    if (targets !== 1 || !allEqual(wIds, 0)) return `${targets} targets`;
    const aggregate = stringAttribute(node, 'aggregate_function') ?? 'SUM';
    if (aggregate !== 'SUM' && aggregate !== 'AVERAGE') return `aggregate_function ${aggregate}`;
    if (base.length > 1) return `${base.length} base values`;
    output = aggregate === 'SUM' ? 'sum' : 'average';
  }

  // Nodes by (tree, node id); leaves numbered in the order they are met.
  const key = (tree: number, id: number) => `${tree}:${id}`;
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const k = key(treeIds[i]!, nodeIds[i]!);
    if (index.has(k)) return `node ${k} twice`;
    index.set(k, i);
  }
  const leafOf = new Map<number, number>();
  for (let i = 0; i < n; i++) if (modes[i] === 'LEAF') leafOf.set(i, leafOf.size);
  const leafWeights = new Float64Array(leafOf.size * slots);
  const leafClasses = new Int32Array(leafOf.size);
  const weighted = new Set<string>();
  for (let w = 0; w < wTrees.length; w++) {
    const i = index.get(key(wTrees[w]!, wNodes[w]!));
    const leaf = i === undefined ? undefined : leafOf.get(i);
    if (leaf === undefined) return 'a weight on a node that is not a leaf';
    // ONNX Runtime adds a leaf's weights one by one; two on one slot would round differently once summed here.
    const slotKey = `${leaf}:${wIds[w]}`;
    if (weighted.has(slotKey)) return 'a leaf with two weights for one output';
    weighted.add(slotKey);
    const slot = output === 'classes' ? wIds[w]! : 0;
    leafWeights[leaf * slots + slot] = weights[w]!;
    leafClasses[leaf]! |= 1 << slot;
  }

  // Build each tree from its root (node id 0 of ONNX Runtime's first node of the tree), refusing cycles.
  const roots = new Map<number, number>();
  for (let i = 0; i < n; i++) if (!roots.has(treeIds[i]!)) roots.set(treeIds[i]!, i);
  let maxFeature = 0;
  const build = (i: number, depth: number): TreeNode | string => {
    if (depth > 64) return 'a tree deeper than 64';
    if (modes[i] === 'LEAF') return { leaf: leafOf.get(i)! };
    const t = index.get(key(treeIds[i]!, trueIds[i]!));
    const f = index.get(key(treeIds[i]!, falseIds[i]!));
    if (t === undefined || f === undefined) return 'a branch to a missing node';
    const whenTrue = build(t, depth + 1);
    if (typeof whenTrue === 'string') return whenTrue;
    const whenFalse = build(f, depth + 1);
    if (typeof whenFalse === 'string') return whenFalse;
    if (features[i]! < 0) return 'a negative feature index';
    maxFeature = Math.max(maxFeature, features[i]!);
    return { feature: features[i]!, threshold: values[i]!, whenTrue, whenFalse };
  };
  const trees: TreeNode[] = [];
  for (const first of roots.values()) {
    const tree = build(first, 0);
    if (typeof tree === 'string') return tree;
    trees.push(tree);
  }
  return { mode, output, trees, slots, leafWeights, leafClasses, maxFeature, labels, base: base[0] ?? 0 };
}
