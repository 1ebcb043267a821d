/**
 * Reads an ai.onnx.ml opset-5 `TreeEnsemble` node (the operator batchcast's own importers write for
 * scikit-learn trees, see packages/importers/src/onnx/tree-ensemble.ts) into one plain ensemble per target, for
 * the forest evaluator (imported-scorer.ts), or says why the evaluator leaves it to ONNX Runtime.
 *
 * ONNX Runtime sums each target's leaf weights in double, tree after tree, starting from 0, and writes the
 * sums out with no post-transform: for each target that is what ForestWalk.addScores (forest-layout.ts)
 * computes over the trees adding to that target, in the same order. Only that form is taken: SUM, no
 * post-transform, one comparison mode (BRANCH_LEQ or BRANCH_LT) for the whole node, no set membership
 * (MEMBER), every tree adding to a single target. A node tracking missing values (a NaN takes its true branch) is marked `nanGoesTrue`:
 * the forest walks send NaN the false way, so the scorer walks rows holding a NaN itself (walkTracking).
 */
import type { NodeProto, TensorProto } from '../onnx-proto.js';
import { attribute, ElemType, intsAttribute, toNumber } from '../onnx-proto.js';
import { tensorValues } from '../class-labels.js';
import { type Ensemble, MAX_NODES, type TreeNode } from './ensemble.js';

/** TreeEnsemble's node modes (ai.onnx.ml opset 5) the evaluator takes. */
const MODES: Record<number, 'LEQ' | 'LT'> = { 0: 'LEQ', 1: 'LT' };
const AGGREGATE_SUM = 1;
const POST_TRANSFORM_NONE = 0;

function intOf(node: NodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a ? toNumber(a.i) : fallback;
}

/** A tensor attribute's numbers (double or float), or nodes_modes' uint8 values. */
function tensorNumbers(node: NodeProto, name: string): number[] | null {
  const t = attribute(node, name)?.t as TensorProto | undefined;
  if (!t) return null;
  if (t.dataType === ElemType.UINT8) {
    const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
    return raw ? Array.from(raw) : [...(t.int32Data ?? [])];
  }
  return t.dataType === ElemType.DOUBLE || t.dataType === ElemType.FLOAT ? (tensorValues(t) as number[]) : null;
}

/** Per target, the trees adding to it in the node's order (each an Ensemble of output `sum`), or why not. */
export function readTreeEnsembleV5(node: NodeProto): Ensemble[] | string {
  if (node.domain !== 'ai.onnx.ml' || node.opType !== 'TreeEnsemble') return `${node.opType} is not a TreeEnsemble`;
  const post = intOf(node, 'post_transform', POST_TRANSFORM_NONE);
  if (post !== POST_TRANSFORM_NONE) return `post_transform ${post}`;
  const aggregate = intOf(node, 'aggregate_function', AGGREGATE_SUM);
  if (aggregate !== AGGREGATE_SUM) return `aggregate_function ${aggregate}`;
  const nTargets = intOf(node, 'n_targets', 0);

  const modes = tensorNumbers(node, 'nodes_modes') ?? [];
  const splits = tensorNumbers(node, 'nodes_splits') ?? [];
  const features = intsAttribute(node, 'nodes_featureids') ?? [];
  const trueIds = intsAttribute(node, 'nodes_truenodeids') ?? [];
  const trueLeafs = intsAttribute(node, 'nodes_trueleafs') ?? [];
  const falseIds = intsAttribute(node, 'nodes_falsenodeids') ?? [];
  const falseLeafs = intsAttribute(node, 'nodes_falseleafs') ?? [];
  const missing = intsAttribute(node, 'nodes_missing_value_tracks_true') ?? [];
  const roots = intsAttribute(node, 'tree_roots') ?? [];
  const leafTargets = intsAttribute(node, 'leaf_targetids') ?? [];
  const leafWeights = tensorNumbers(node, 'leaf_weights') ?? [];
  const n = modes.length;
  if (n === 0 || n > MAX_NODES) return `${n} nodes`;
  if ([splits, features, trueIds, trueLeafs, falseIds, falseLeafs].some((a) => a.length !== n))
    return 'node attributes of different lengths';
  if (missing.length !== 0 && missing.length !== n) return 'node attributes of different lengths';
  if (leafTargets.length !== leafWeights.length) return 'leaf attributes of different lengths';
  if (modes.includes(6)) return 'set membership (MEMBER) nodes';
  const used = new Set(modes);
  if (used.size !== 1 || !MODES[modes[0]!]) return `comparison modes ${[...used].join(', ')}`;
  const mode = MODES[modes[0]!]!;
  if (nTargets < 1 || leafTargets.some((t) => t < 0 || t >= nTargets)) return `${nTargets} targets`;

  const perTarget: { trees: TreeNode[]; weights: number[] }[] = Array.from({ length: nTargets }, () => ({ trees: [], weights: [] }));
  let maxFeature = 0;
  for (const f of features) {
    if (f < 0) return 'a negative feature index';
    if (f > maxFeature) maxFeature = f;
  }
  for (const root of roots) {
    let target = -1;
    const leaves = new Map<number, number>();
    const build = (i: number, isLeaf: boolean, depth: number): TreeNode | string => {
      if (depth > 64) return 'a tree deeper than 64';
      if (isLeaf) {
        if (i < 0 || i >= leafWeights.length) return 'a branch to a missing leaf';
        if (target !== -1 && leafTargets[i] !== target) return 'a tree adding to several targets';
        target = leafTargets[i]!;
        let leaf = leaves.get(i);
        if (leaf === undefined) {
          leaf = perTarget[target]!.weights.length;
          perTarget[target]!.weights.push(leafWeights[i]!);
          leaves.set(i, leaf);
        }
        return { leaf };
      }
      if (i < 0 || i >= n) return 'a branch to a missing node';
      const whenTrue = build(trueIds[i]!, trueLeafs[i] === 1, depth + 1);
      if (typeof whenTrue === 'string') return whenTrue;
      const whenFalse = build(falseIds[i]!, falseLeafs[i] === 1, depth + 1);
      if (typeof whenFalse === 'string') return whenFalse;
      return missing[i] === 1
        ? { feature: features[i]!, threshold: splits[i]!, whenTrue, whenFalse, nanGoesTrue: true }
        : { feature: features[i]!, threshold: splits[i]!, whenTrue, whenFalse };
    };
    const tree = build(root, false, 0);
    if (typeof tree === 'string') return tree;
    perTarget[target]!.trees.push(tree);
  }
  if (perTarget.some((t) => t.trees.length === 0)) return 'a target no tree adds to';
  return perTarget.map(({ trees, weights }) => ({
    mode,
    output: 'sum',
    trees,
    slots: 1,
    leafWeights: Float64Array.from(weights),
    leafClasses: new Int32Array(weights.length),
    maxFeature,
    labels: null,
    base: 0,
  }));
}

/**
 * The sum of one row's leaf weights over an ensemble's trees, walked node by node as ONNX Runtime walks them:
 * each double threshold against the row's value (a float32, as the graph rounds it), a NaN down the true
 * branch of a node tracking missing values and the false one elsewhere; added in tree order from 0.
 */
export function walkTracking(e: Ensemble, x: Float32Array, row: number): number {
  let sum = 0;
  for (const tree of e.trees) {
    let node = tree;
    while (!('leaf' in node)) {
      const v = x[row + node.feature]!;
      const holds = Number.isNaN(v) ? node.nanGoesTrue === true : e.mode === 'LEQ' ? v <= node.threshold : v < node.threshold;
      node = holds ? node.whenTrue : node.whenFalse;
    }
    sum += e.leafWeights[node.leaf]!;
  }
  return sum;
}
