/**
 * The forest evaluator's layout and its inner loop.
 *
 * Walking a tree node by node is a chain of unpredictable branches: half the comparisons go either way, and
 * each wrong guess costs the processor a pipeline flush (ONNX Runtime's TreeEnsemble spends most of its time
 * there). Here every tree is padded to a complete binary tree of its own depth D, stored as arrays in
 * breadth-first order: node i's children are 2i+1 (condition true) and 2i+2 (false), so a step is
 * `i = 2i + 1 + (condition false)`, arithmetic instead of a branch, and every row takes exactly D steps.
 * Rows are walked eight at a time through one tree: their eight chains of loads are independent, so the
 * processor overlaps them. A leaf above depth D is padded with nodes whose threshold is NaN (the condition is
 * false for every value) over copies of the leaf, so every path below it ends at that leaf.
 *
 * Padding costs steps and memory, so it is only used where it pays: trees at most MAX_DEPTH deep, and at most
 * twice the steps of the unpadded walk (the mean leaf depth); other forests stay with ONNX Runtime.
 *
 * Thresholds are kept as float32: inputs are float32 (the evaluator only takes float inputs), and for a
 * float32 x, `x <= t` equals `x <= t'` with t' the largest float32 at most t (`x < t`: strictly below t), so
 * both comparison modes become one `<=` with no decision changed, also for infinities and NaN (false).
 */
import type { Ensemble, TreeNode } from './ensemble.js';

/** Deeper trees would need 2^depth nodes each. */
const MAX_DEPTH = 12;
/** The padded walk may take at most this many times the steps of walking node by node. */
const MAX_PADDING_RATIO = 2;

const f32 = new Float32Array(1);
const bits = new Int32Array(f32.buffer);

/** The next float32 below a float32 value (not NaN, not -Infinity). */
function nextDown32(f: number): number {
  if (f === 0) return -1.401298464324817e-45;
  f32[0] = f;
  bits[0]! += f > 0 ? -1 : 1;
  return f32[0]!;
}

/** The float32 t' such that `x <= t'` decides like the node's comparison of a float32 x with t. */
export function float32Threshold(t: number, mode: 'LEQ' | 'LT'): number {
  if (Number.isNaN(t)) return Number.NaN;
  if (mode === 'LT' && t === Number.NEGATIVE_INFINITY) return Number.NaN; // x < -Infinity is never true
  let f = Math.fround(t);
  if (mode === 'LEQ' ? f > t : f >= t) f = nextDown32(f);
  return f;
}

function depthOf(node: TreeNode): number {
  return 'leaf' in node ? 0 : 1 + Math.max(depthOf(node.whenTrue), depthOf(node.whenFalse));
}

function leafDepths(node: TreeNode, depth: number, out: { sum: number; leaves: number }): void {
  if ('leaf' in node) {
    out.sum += depth;
    out.leaves++;
  } else {
    leafDepths(node.whenTrue, depth + 1, out);
    leafDepths(node.whenFalse, depth + 1, out);
  }
}

export class PaddedForest {
  private constructor(
    /** Per tree: its depth, where its nodes start, where its leaves start. */
    private readonly depth: Int32Array,
    private readonly nodeStart: Int32Array,
    private readonly leafStart: Int32Array,
    private readonly feature: Int32Array,
    private readonly threshold: Float32Array,
    /** Per padded leaf: the ensemble's leaf number. */
    readonly leaf: Int32Array,
    /** Reached padded leaf per row, for one tree at a time (grown as batches grow). */
    private reached: Int32Array,
  ) {}

  get trees(): number {
    return this.depth.length;
  }

  /** The padded layout of an ensemble, or why padding does not pay for it. */
  static build(e: Ensemble): PaddedForest | string {
    const depths = e.trees.map(depthOf);
    const deepest = Math.max(...depths);
    if (deepest > MAX_DEPTH) return `trees ${deepest} deep`;
    let steps = 0;
    let padded = 0;
    for (const [t, tree] of e.trees.entries()) {
      const walk = { sum: 0, leaves: 0 };
      leafDepths(tree, 0, walk);
      steps += walk.sum / walk.leaves;
      padded += depths[t]!;
    }
    if (padded > MAX_PADDING_RATIO * steps) return `padding to full depth would take ${(padded / steps).toFixed(1)}x the steps`;

    const trees = e.trees.length;
    const depth = Int32Array.from(depths);
    const nodeStart = new Int32Array(trees);
    const leafStart = new Int32Array(trees);
    let nodes = 0;
    let leaves = 0;
    for (let t = 0; t < trees; t++) {
      nodeStart[t] = nodes;
      leafStart[t] = leaves;
      nodes += (1 << depth[t]!) - 1;
      leaves += 1 << depth[t]!;
    }
    const feature = new Int32Array(nodes);
    const threshold = new Float32Array(nodes).fill(Number.NaN);
    const leaf = new Int32Array(leaves);
    for (let t = 0; t < trees; t++) {
      const d = depth[t]!;
      const fill = (node: TreeNode, pos: number, level: number): void => {
        if (level === d) {
          leaf[leafStart[t]! + pos - ((1 << d) - 1)] = (node as { leaf: number }).leaf;
          return;
        }
        if ('leaf' in node) {
          fill(node, 2 * pos + 1, level + 1);
          fill(node, 2 * pos + 2, level + 1);
          return;
        }
        feature[nodeStart[t]! + pos] = node.feature;
        threshold[nodeStart[t]! + pos] = float32Threshold(node.threshold, e.mode);
        fill(node.whenTrue, 2 * pos + 1, level + 1);
        fill(node.whenFalse, 2 * pos + 2, level + 1);
      };
      fill(e.trees[t]!, 0, 0);
    }
    return new PaddedForest(depth, nodeStart, leafStart, feature, threshold, leaf, new Int32Array(0));
  }

  /**
   * Walks `count` rows of `x` (row-major, `width` values a row) through tree `t`; returns, per row, the
   * ensemble's leaf number it reached (valid until the next call).
   */
  walk(t: number, x: Float32Array, width: number, count: number): Int32Array {
    if (this.reached.length < count) this.reached = new Int32Array(count);
    const reached = this.reached;
    const { feature, threshold, leaf } = this;
    const d = this.depth[t]!;
    const base = this.nodeStart[t]!;
    const firstLeaf = this.leafStart[t]! - ((1 << d) - 1);
    let r = 0;
    for (; r + 8 <= count; r += 8) {
      const x0 = r * width;
      const x1 = x0 + width;
      const x2 = x1 + width;
      const x3 = x2 + width;
      const x4 = x3 + width;
      const x5 = x4 + width;
      const x6 = x5 + width;
      const x7 = x6 + width;
      let i0 = 0;
      let i1 = 0;
      let i2 = 0;
      let i3 = 0;
      let i4 = 0;
      let i5 = 0;
      let i6 = 0;
      let i7 = 0;
      for (let step = 0; step < d; step++) {
        // `!(a <= b) | 0`: 1 when the condition is false (NaN included), without a branch.
        i0 = 2 * i0 + 1 + (+!(x[x0 + feature[base + i0]!]! <= threshold[base + i0]!) | 0);
        i1 = 2 * i1 + 1 + (+!(x[x1 + feature[base + i1]!]! <= threshold[base + i1]!) | 0);
        i2 = 2 * i2 + 1 + (+!(x[x2 + feature[base + i2]!]! <= threshold[base + i2]!) | 0);
        i3 = 2 * i3 + 1 + (+!(x[x3 + feature[base + i3]!]! <= threshold[base + i3]!) | 0);
        i4 = 2 * i4 + 1 + (+!(x[x4 + feature[base + i4]!]! <= threshold[base + i4]!) | 0);
        i5 = 2 * i5 + 1 + (+!(x[x5 + feature[base + i5]!]! <= threshold[base + i5]!) | 0);
        i6 = 2 * i6 + 1 + (+!(x[x6 + feature[base + i6]!]! <= threshold[base + i6]!) | 0);
        i7 = 2 * i7 + 1 + (+!(x[x7 + feature[base + i7]!]! <= threshold[base + i7]!) | 0);
      }
      reached[r] = leaf[firstLeaf + i0]!;
      reached[r + 1] = leaf[firstLeaf + i1]!;
      reached[r + 2] = leaf[firstLeaf + i2]!;
      reached[r + 3] = leaf[firstLeaf + i3]!;
      reached[r + 4] = leaf[firstLeaf + i4]!;
      reached[r + 5] = leaf[firstLeaf + i5]!;
      reached[r + 6] = leaf[firstLeaf + i6]!;
      reached[r + 7] = leaf[firstLeaf + i7]!;
    }
    for (; r < count; r++) {
      const x0 = r * width;
      let i = 0;
      for (let step = 0; step < d; step++) i = 2 * i + 1 + (+!(x[x0 + feature[base + i]!]! <= threshold[base + i]!) | 0);
      reached[r] = leaf[firstLeaf + i]!;
    }
    return reached;
  }
}
