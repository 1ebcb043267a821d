/**
 * Decision trees as one ai.onnx.ml TreeEnsemble node (opset 5), with double splits, double leaf weights and a
 * double output, so thresholds, leaf values and sums keep full precision (onnxruntime-node 1.30 runs it).
 *
 * The converters describe trees with plain arrays (BinaryTree) in their library's own node numbering; this
 * module renumbers them into TreeEnsemble's separate interior-node and leaf tables.
 */
import { attr } from './attributes.js';
import type { GraphBuilder } from './builder.js';
import { ML_DOMAIN } from './builder.js';

/** How a numeric split compares: scikit-learn `x <= t` goes left, XGBoost `x < t` goes left. */
export type SplitRule = 'LEQ' | 'LT';

/** TreeEnsemble node modes (ai.onnx.ml opset 5). */
const MODE = { LEQ: 0, LT: 1, MEMBER: 6 } as const;
/** aggregate_function SUM. AVERAGE is not used: onnxruntime divides by the number of trees of all targets. */
const AGGREGATE_SUM = 1;

export interface BinaryTree {
  /** Left (true) child of each node, or -1 for a leaf. */
  left: ArrayLike<number>;
  right: ArrayLike<number>;
  feature: ArrayLike<number>;
  /** Numeric split value of interior nodes (ignored for leaves and categorical nodes). */
  threshold: ArrayLike<number>;
  /** Whether a missing value (NaN) goes left; null when NaN simply fails the comparison (goes right). */
  missingGoesLeft: ArrayLike<number | boolean> | null;
  /**
   * Categorical nodes: a value in `set` goes left when setGoesLeft, right otherwise, and every other value (and
   * NaN) the other way. Null (or a null entry) for numeric nodes.
   */
  categorical?: ({ set: number[]; setGoesLeft: boolean } | null)[] | null;
  /** Index of the root node (default 0). */
  root?: number;
}

export interface TreeTarget {
  tree: BinaryTree;
  /** The output column this tree adds to. */
  target: number;
  /** The value a leaf node adds. */
  leafValue: (node: number) => number;
}

export interface TreeEnsembleOptions {
  rule: SplitRule;
  nTargets: number;
  name?: string;
  /**
   * Where each target's sum starts (one value per target): written as a first tree per target, a lone leaf of
   * that value, so the sum is `start + tree 0 + tree 1 + ...` added in that order, as gradient boosting's
   * predict adds its stages to the baseline. An Add after the ensemble, or base_values (which onnxruntime adds
   * after the trees' sum), rounds otherwise: `(tree 0 + tree 1 + ...) + start`.
   */
  start?: readonly number[];
}

/**
 * Adds a TreeEnsemble reading `input` (double [N, F]) and returns its output (double [N, nTargets]): per target
 * the sum of its trees' leaf values, added tree after tree from opts.start (else from 0) in the trees' order (as
 * onnxruntime adds them on one thread: session.ts runs tree ensembles on one). A tree whose root is a leaf gets a
 * split whose both branches reach that leaf.
 */
export function addTreeEnsemble(b: GraphBuilder, input: string, trees: TreeTarget[], opts: TreeEnsembleOptions): string {
  const modes: number[] = [];
  const featureIds: number[] = [];
  const splits: number[] = [];
  const trueIds: number[] = [];
  const trueLeafs: number[] = [];
  const falseIds: number[] = [];
  const falseLeafs: number[] = [];
  const missingTrue: number[] = [];
  const membership: number[] = [];
  const roots: number[] = [];
  const leafTargets: number[] = [];
  const leafWeights: number[] = [];

  /** A tree whose root is its only leaf: a split on feature 0 whose both branches reach that leaf. */
  const addLoneLeaf = (leaf: number): void => {
    roots.push(modes.length);
    modes.push(MODE.LEQ);
    featureIds.push(0);
    splits.push(0);
    trueIds.push(leaf);
    trueLeafs.push(1);
    falseIds.push(leaf);
    falseLeafs.push(1);
    missingTrue.push(0);
  };
  if (opts.start) {
    if (opts.start.length !== opts.nTargets) throw new RangeError(`${opts.start.length} start values for ${opts.nTargets} targets`);
    for (const [target, value] of opts.start.entries()) {
      leafTargets.push(target);
      leafWeights.push(value);
      addLoneLeaf(leafWeights.length - 1);
    }
  }

  for (const { tree, target, leafValue } of trees) {
    if (target < 0 || target >= opts.nTargets) throw new RangeError(`tree target ${target} outside 0..${opts.nTargets - 1}`);
    const root = tree.root ?? 0;
    const addLeaf = (node: number): number => {
      leafTargets.push(target);
      leafWeights.push(leafValue(node));
      return leafWeights.length - 1;
    };
    if (tree.left[root]! < 0) {
      addLoneLeaf(addLeaf(root));
      continue;
    }
    // Interior nodes are numbered in visiting order; children are patched in once they have their numbers.
    const stack: { node: number; slot: number; side: 'true' | 'false' }[] = [];
    const visit = (node: number): number => {
      const idx = modes.length;
      const cat = tree.categorical?.[node] ?? null;
      const goesLeft = !!tree.missingGoesLeft?.[node];
      modes.push(cat ? MODE.MEMBER : MODE[opts.rule]);
      if (cat) membership.push(...cat.set, Number.NaN);
      featureIds.push(tree.feature[node]!);
      splits.push(cat ? Number.NaN : tree.threshold[node]!);
      trueIds.push(-1);
      trueLeafs.push(0);
      falseIds.push(-1);
      falseLeafs.push(0);
      // The true branch is the left child, except for a set that sends its members right.
      const trueIsLeft = !cat || cat.setGoesLeft;
      missingTrue.push(goesLeft === trueIsLeft ? 1 : 0);
      const [onTrue, onFalse] = trueIsLeft ? [tree.left[node]!, tree.right[node]!] : [tree.right[node]!, tree.left[node]!];
      stack.push({ node: onFalse, slot: idx, side: 'false' }, { node: onTrue, slot: idx, side: 'true' });
      return idx;
    };
    roots.push(visit(root));
    let guard = 0;
    const limit = tree.left.length * 2 + 2;
    while (stack.length > 0) {
      if (++guard > limit) throw new RangeError('tree has a cycle');
      const { node, slot, side } = stack.pop()!;
      if (node < 0 || node >= tree.left.length) throw new RangeError(`tree child ${node} outside 0..${tree.left.length - 1}`);
      const isLeaf = tree.left[node]! < 0;
      const id = isLeaf ? addLeaf(node) : visit(node);
      if (side === 'true') {
        trueIds[slot] = id;
        trueLeafs[slot] = isLeaf ? 1 : 0;
      } else {
        falseIds[slot] = id;
        falseLeafs[slot] = isLeaf ? 1 : 0;
      }
    }
  }

  const attrs = {
    n_targets: attr.int(opts.nTargets),
    aggregate_function: attr.int(AGGREGATE_SUM),
    post_transform: attr.int(0),
    tree_roots: attr.ints(roots),
    nodes_modes: attr.uint8s(modes),
    nodes_featureids: attr.ints(featureIds),
    nodes_splits: attr.doubles(splits),
    nodes_truenodeids: attr.ints(trueIds),
    nodes_trueleafs: attr.ints(trueLeafs),
    nodes_falsenodeids: attr.ints(falseIds),
    nodes_falseleafs: attr.ints(falseLeafs),
    nodes_missing_value_tracks_true: attr.ints(missingTrue),
    leaf_targetids: attr.ints(leafTargets),
    leaf_weights: attr.doubles(leafWeights),
    ...(membership.length > 0 ? { membership_values: attr.doubles(membership) } : {}),
  };
  return b.op('TreeEnsemble', [input], attrs, { domain: ML_DOMAIN, name: opts.name ?? 'trees' });
}
