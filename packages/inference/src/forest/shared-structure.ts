/**
 * A classifier's per-class trees as one ensemble of several slots, when they are copies of one another.
 *
 * batchcast's importers write each tree of a scikit-learn classifier once per class (TreeEnsemble leaves add to
 * one target each), so ensemble-v5.ts reads one ensemble per class whose trees, tree for tree, usually have the
 * same features, thresholds, missing-value rules and child layout, only their leaf weights differing. Walking
 * such a tree once and adding each class's leaf weight to that class's sum gives the same sums bit for bit as
 * walking each class's copy: per class, the same weights are added in the same order (tree after tree, in
 * double, from 0). Whether the copies match is checked node for node here, never assumed.
 */
import type { Ensemble, TreeNode } from './ensemble.js';

/**
 * One ensemble of `targets.length` slots whose leaf k-th weight is target k's, or null when the targets' trees
 * differ anywhere (count, structure, feature, threshold, NaN rule) or there is a single target.
 */
export function mergeSharedStructure(targets: Ensemble[]): Ensemble | null {
  const slots = targets.length;
  if (slots < 2) return null;
  const first = targets[0]!;
  if (targets.some((e) => e.slots !== 1 || e.mode !== first.mode || e.trees.length !== first.trees.length)) return null;
  const weights: number[] = [];
  /** The merged copy of the k-th trees of every target (`nodes[k]`), or null where any differs from the first. */
  const merge = (nodes: TreeNode[]): TreeNode | null => {
    const lead = nodes[0]!;
    if ('leaf' in lead) {
      if (nodes.some((n) => !('leaf' in n))) return null;
      const leaf = weights.length / slots;
      for (const [k, n] of nodes.entries()) weights.push(targets[k]!.leafWeights[(n as { leaf: number }).leaf]!);
      return { leaf };
    }
    for (const n of nodes) {
      if (
        'leaf' in n ||
        n.feature !== lead.feature ||
        !Object.is(n.threshold, lead.threshold) ||
        (n.nanGoesTrue === true) !== (lead.nanGoesTrue === true)
      )
        return null;
    }
    const branches = nodes as Exclude<TreeNode, { leaf: number }>[];
    const whenTrue = merge(branches.map((n) => n.whenTrue));
    if (whenTrue === null) return null;
    const whenFalse = merge(branches.map((n) => n.whenFalse));
    if (whenFalse === null) return null;
    return lead.nanGoesTrue === true
      ? { feature: lead.feature, threshold: lead.threshold, whenTrue, whenFalse, nanGoesTrue: true }
      : { feature: lead.feature, threshold: lead.threshold, whenTrue, whenFalse };
  };
  const trees: TreeNode[] = [];
  for (let t = 0; t < first.trees.length; t++) {
    const tree = merge(targets.map((e) => e.trees[t]!));
    if (tree === null) return null;
    trees.push(tree);
  }
  const leaves = weights.length / slots;
  return {
    ...first,
    trees,
    slots,
    leafWeights: Float64Array.from(weights),
    leafClasses: new Int32Array(leaves),
    maxFeature: Math.max(...targets.map((e) => e.maxFeature)),
  };
}
