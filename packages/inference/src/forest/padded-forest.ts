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
 * Padding costs steps and memory, so it is only used where it pays: trees at most MAX_DEPTH deep, at most twice
 * the steps of the unpadded walk (the mean leaf depth), and a bounded number of padded leaves; other forests
 * get the compact layout (compact-forest.ts: unpadded nodes, each row walked to its own leaf).
 *
 * Thresholds are kept as float32: inputs are float32 (the evaluator only takes float inputs), and for a
 * float32 x, `x <= t` equals `x <= t'` with t' the largest float32 at most t (`x < t`: strictly below t), so
 * both comparison modes become one `<=` with no decision changed, also for infinities and NaN (false).
 */
import type { Ensemble, TreeNode } from './ensemble.js';
import { float32Threshold } from './float32.js';
import { WasmLeafWeights } from './wasm-leaf-weights.js';

/** Deeper trees would need 2^depth nodes each. */
const MAX_DEPTH = 12;
/** The padded walk may take at most this many times the steps of walking node by node. */
const MAX_PADDING_RATIO = 2;
/** Padded leaf weights (leaves x slots) at most: 32 MB of doubles per loaded model and thread. */
const MAX_PADDED_WEIGHTS = 4_000_000;

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

/**
 * One step down tree nodes starting at `base`, for the row whose values start at `row`: `2i + 1` when the
 * condition `x <= t` holds, `2i + 2` when it does not (NaN included), computed without a branch.
 * Small enough for V8 to inline; used for single rows (the eight-row loop writes it out).
 */
function step(x: Float32Array, row: number, feature: Int32Array, threshold: Float32Array, base: number, i: number): number {
  return 2 * i + 1 + (+!(threshold[base + i]! >= x[row + feature[base + i]!]!) | 0);
}

/**
 * PaddedForest.addScores, written out for eight rows at a time: the hot loop of binary classifiers and
 * regressors, in JavaScript. The WebAssembly walk (wasm/leaf-weights.wat) does the same steps and is used
 * wherever WebAssembly is available; this one is the fallback, and the tests hold the two to the same sums.
 * Why not this one everywhere: how fast V8 makes it depends on what it sees before optimising it. The
 * comparison is written `t >= x` (the same decision as `x <= t`, NaN included) because, written `x <= t`, an
 * infinity among the first values made it about 50 % slower for good; even so, after the probe rows
 * (verify-forest.ts) it ran at 1.45-1.75 CPU-seconds per 1M rows of the bench's forest, after 64 ordinary
 * rows at 1.05, where the WebAssembly walk takes 0.71 whatever came first.
 */
function addLeafWeights(
  x: Float32Array,
  width: number,
  count: number,
  scores: Float64Array,
  f: Int32Array,
  v: Float32Array,
  w: Float64Array,
  depth: Int32Array,
  nodeStart: Int32Array,
  leafStart: Int32Array,
): void {
  for (let t = 0; t < depth.length; t++) {
    const d = depth[t]!;
    const b = nodeStart[t]!;
    const leaves = leafStart[t]! - ((1 << d) - 1);
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
      for (let s = 0; s < d; s++) {
        i0 = 2 * i0 + 1 + (+!(v[b + i0]! >= x[x0 + f[b + i0]!]!) | 0);
        i1 = 2 * i1 + 1 + (+!(v[b + i1]! >= x[x1 + f[b + i1]!]!) | 0);
        i2 = 2 * i2 + 1 + (+!(v[b + i2]! >= x[x2 + f[b + i2]!]!) | 0);
        i3 = 2 * i3 + 1 + (+!(v[b + i3]! >= x[x3 + f[b + i3]!]!) | 0);
        i4 = 2 * i4 + 1 + (+!(v[b + i4]! >= x[x4 + f[b + i4]!]!) | 0);
        i5 = 2 * i5 + 1 + (+!(v[b + i5]! >= x[x5 + f[b + i5]!]!) | 0);
        i6 = 2 * i6 + 1 + (+!(v[b + i6]! >= x[x6 + f[b + i6]!]!) | 0);
        i7 = 2 * i7 + 1 + (+!(v[b + i7]! >= x[x7 + f[b + i7]!]!) | 0);
      }
      scores[r] = scores[r]! + w[leaves + i0]!;
      scores[r + 1] = scores[r + 1]! + w[leaves + i1]!;
      scores[r + 2] = scores[r + 2]! + w[leaves + i2]!;
      scores[r + 3] = scores[r + 3]! + w[leaves + i3]!;
      scores[r + 4] = scores[r + 4]! + w[leaves + i4]!;
      scores[r + 5] = scores[r + 5]! + w[leaves + i5]!;
      scores[r + 6] = scores[r + 6]! + w[leaves + i6]!;
      scores[r + 7] = scores[r + 7]! + w[leaves + i7]!;
    }
    for (; r < count; r++) {
      let i = 0;
      for (let s = 0; s < d; s++) i = step(x, r * width, f, v, b, i);
      scores[r] = scores[r]! + w[leaves + i]!;
    }
  }
}

/** The padded nodes and leaf weights, as the walks read them. */
export interface PaddedNodes {
  feature: Int32Array;
  threshold: Float32Array;
  /** Per padded leaf, row-major [leaves, slots]: the weights of the ensemble's leaf it stands for. */
  leafWeights: Float64Array;
}

export class PaddedForest {
  readonly layout = 'padded';

  private constructor(
    /** Per tree: its depth, where its nodes start, where its leaves start. */
    private readonly depth: Int32Array,
    private readonly nodeStart: Int32Array,
    private readonly leafStart: Int32Array,
    /**
     * The nodes and leaf weights: in the WebAssembly walk's memory when it is used (and only there: a forest
     * may take tens of MB), else in JavaScript arrays.
     */
    private readonly nodes: PaddedNodes | WasmLeafWeights,
    /** Score slots per row (the ensemble's). */
    readonly slots: number,
    /** Per padded leaf: the classes its leaf carries a weight for (bit k = class k). */
    private readonly leafClasses: Int32Array,
  ) {}

  /** Which walk addScores takes. */
  get walk(): 'wasm' | 'js' {
    return this.nodes instanceof WasmLeafWeights ? 'wasm' : 'js';
  }

  /** The nodes and leaf weights for the JavaScript walks (views of the WebAssembly memory when they live there). */
  private jsNodes(): PaddedNodes {
    return this.nodes instanceof WasmLeafWeights ? this.nodes.views() : this.nodes;
  }

  get trees(): number {
    return this.depth.length;
  }

  /**
   * The padded layout of an ensemble, or why padding does not pay for it. `wasm: false` keeps addScores to
   * the JavaScript walk (the tests compare the two).
   */
  static build(e: Ensemble, { wasm = true }: { wasm?: boolean } = {}): PaddedForest | string {
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

    const paddedLeaves = depths.reduce((sum, d) => sum + 2 ** d, 0);
    if (paddedLeaves * e.slots > MAX_PADDED_WEIGHTS) return `${paddedLeaves} padded leaves of ${e.slots} weights each`;

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
    const slots = e.slots;
    const feature = new Int32Array(nodes);
    const threshold = new Float32Array(nodes).fill(Number.NaN);
    const leafWeights = new Float64Array(leaves * slots);
    const leafClasses = new Int32Array(leaves);
    for (let t = 0; t < trees; t++) {
      const d = depth[t]!;
      const fill = (node: TreeNode, pos: number, level: number): void => {
        if (level === d) {
          const padded = leafStart[t]! + pos - ((1 << d) - 1);
          const leaf = (node as { leaf: number }).leaf;
          leafWeights.set(e.leafWeights.subarray(leaf * slots, (leaf + 1) * slots), padded * slots);
          leafClasses[padded] = e.leafClasses[leaf]!;
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
    const arrays = { feature, threshold, leafWeights };
    const store = (wasm && WasmLeafWeights.create({ ...arrays, depth, nodeStart, leafStart }, slots)) || arrays;
    return new PaddedForest(depth, nodeStart, leafStart, store, slots, leafClasses);
  }

  /**
   * Adds, for each of `count` rows of `x` (row-major, `width` values a row), the weight of the leaf it
   * reaches in every tree to `scores[row]`, tree after tree: the order ONNX Runtime adds them in. With several
   * slots, row-major [count, slots], each of the leaf's weights to its slot (in JavaScript, addClassScores' walk).
   */
  addScores(x: Float32Array, width: number, count: number, scores: Float64Array): void {
    if (this.nodes instanceof WasmLeafWeights && this.nodes.add(x, width, count, scores)) return;
    if (this.slots !== 1) {
      this.addClassScores(x, width, count, scores, new Int32Array(count));
      return;
    }
    const { feature, threshold, leafWeights } = this.jsNodes();
    addLeafWeights(x, width, count, scores, feature, threshold, leafWeights, this.depth, this.nodeStart, this.leafStart);
  }

  /**
   * addScores for several slots (one per class), row-major [count, slots], a row at a time; also ORs into
   * `classes[row]` the classes a reached leaf carries a weight for.
   */
  addClassScores(x: Float32Array, width: number, count: number, scores: Float64Array, classes: Int32Array): void {
    const { leafClasses, slots } = this;
    const { feature: f, threshold: v, leafWeights: w } = this.jsNodes();
    for (let t = 0; t < this.depth.length; t++) {
      const d = this.depth[t]!;
      const b = this.nodeStart[t]!;
      const leaves = this.leafStart[t]! - ((1 << d) - 1);
      for (let r = 0; r < count; r++) {
        let i = 0;
        for (let s = 0; s < d; s++) i = step(x, r * width, f, v, b, i);
        const leaf = leaves + i;
        for (let k = 0; k < slots; k++) scores[r * slots + k] = scores[r * slots + k]! + w[leaf * slots + k]!;
        classes[r] = classes[r]! | leafClasses[leaf]!;
      }
    }
  }
}
