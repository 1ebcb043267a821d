/**
 * The forest evaluator's layout for trees the padded one refuses (padded-forest.ts): deep trees, which
 * scikit-learn grows by default (max_depth=None), where padding to a complete tree would take 2^depth nodes.
 *
 * Every node of every tree, unpadded, in one array of four 32-bit words: feature, float32 threshold, and the
 * indices (into the same array) of the node the row goes to when `x <= t` holds and when it does not. A leaf
 * points to itself both ways, so a step taken from a leaf stays there: a step is
 * `i = child[i][!(t >= x)]`, a load instead of a branch, and a row that reached its leaf while others of its
 * group still walk takes the same steps without moving. Eight rows go through a tree together (their eight
 * chains of loads are independent, so the processor overlaps them) until a step moves none of them: the group
 * takes the steps of its deepest row, plus one. Per node, its weights (zero for inner nodes), so the leaf a row
 * stops at is also where its weight is read.
 *
 * Thresholds are float32 as in the padded layout (float32.ts: no decision changes); a leaf's is NaN, its
 * feature 0, so its step reads a value that exists and goes to itself either way. Weights are added tree after
 * tree in double, as ONNX Runtime adds them on one thread and as the padded walk does: the same sums bit for bit.
 */
import type { Ensemble, TreeNode } from './ensemble.js';
import { float32Threshold } from './float32.js';
import { WasmCompactWalk } from './wasm-compact-walk.js';

/** Node weights (nodes x slots) at most: 32 MB of doubles per loaded model and thread, as the padded layout. */
const MAX_NODE_WEIGHTS = 4_000_000;

/** Words per node in `nodes`: feature, threshold (its bits), child when `x <= t`, child when not. */
export const NODE_WORDS = 4;

/** The compact nodes and weights, as the walks read them. */
export interface CompactNodes {
  /** NODE_WORDS words per node; the thresholds are `threshold`, a view of the same memory. */
  nodes: Int32Array;
  threshold: Float32Array;
  /** Per node, row-major [nodes, slots]: a leaf's weights, zeros for inner nodes. */
  nodeWeights: Float64Array;
}

/**
 * CompactForest.addScores in JavaScript, eight rows at a time: the fallback where WebAssembly is not available
 * (wasm/compact-walk.wat does the same steps), and what the tests hold that walk to.
 */
function addNodeWeights(
  x: Float32Array,
  width: number,
  count: number,
  scores: Float64Array,
  nodes: Int32Array,
  v: Float32Array,
  w: Float64Array,
  roots: Int32Array,
): void {
  for (let t = 0; t < roots.length; t++) {
    const root = roots[t]!;
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
      let i0 = root;
      let i1 = root;
      let i2 = root;
      let i3 = root;
      let i4 = root;
      let i5 = root;
      let i6 = root;
      let i7 = root;
      for (;;) {
        const n0 = nodes[4 * i0 + 2 + (+!(v[4 * i0 + 1]! >= x[x0 + nodes[4 * i0]!]!) | 0)]!;
        const n1 = nodes[4 * i1 + 2 + (+!(v[4 * i1 + 1]! >= x[x1 + nodes[4 * i1]!]!) | 0)]!;
        const n2 = nodes[4 * i2 + 2 + (+!(v[4 * i2 + 1]! >= x[x2 + nodes[4 * i2]!]!) | 0)]!;
        const n3 = nodes[4 * i3 + 2 + (+!(v[4 * i3 + 1]! >= x[x3 + nodes[4 * i3]!]!) | 0)]!;
        const n4 = nodes[4 * i4 + 2 + (+!(v[4 * i4 + 1]! >= x[x4 + nodes[4 * i4]!]!) | 0)]!;
        const n5 = nodes[4 * i5 + 2 + (+!(v[4 * i5 + 1]! >= x[x5 + nodes[4 * i5]!]!) | 0)]!;
        const n6 = nodes[4 * i6 + 2 + (+!(v[4 * i6 + 1]! >= x[x6 + nodes[4 * i6]!]!) | 0)]!;
        const n7 = nodes[4 * i7 + 2 + (+!(v[4 * i7 + 1]! >= x[x7 + nodes[4 * i7]!]!) | 0)]!;
        // Only a leaf leads to itself: when no row moved, all eight are at their leaves.
        if (((n0 ^ i0) | (n1 ^ i1) | (n2 ^ i2) | (n3 ^ i3) | (n4 ^ i4) | (n5 ^ i5) | (n6 ^ i6) | (n7 ^ i7)) === 0) break;
        i0 = n0;
        i1 = n1;
        i2 = n2;
        i3 = n3;
        i4 = n4;
        i5 = n5;
        i6 = n6;
        i7 = n7;
      }
      scores[r] = scores[r]! + w[i0]!;
      scores[r + 1] = scores[r + 1]! + w[i1]!;
      scores[r + 2] = scores[r + 2]! + w[i2]!;
      scores[r + 3] = scores[r + 3]! + w[i3]!;
      scores[r + 4] = scores[r + 4]! + w[i4]!;
      scores[r + 5] = scores[r + 5]! + w[i5]!;
      scores[r + 6] = scores[r + 6]! + w[i6]!;
      scores[r + 7] = scores[r + 7]! + w[i7]!;
    }
    for (; r < count; r++) {
      const leaf = leafOf(x, r * width, nodes, v, root);
      scores[r] = scores[r]! + w[leaf]!;
    }
  }
}

/** The leaf one row (its values from `row`) reaches from `root`, node by node. */
function leafOf(x: Float32Array, row: number, nodes: Int32Array, v: Float32Array, root: number): number {
  let i = root;
  for (;;) {
    const n = nodes[4 * i + 2 + (+!(v[4 * i + 1]! >= x[row + nodes[4 * i]!]!) | 0)]!;
    if (n === i) return i;
    i = n;
  }
}

function countNodes(node: TreeNode): number {
  return 'leaf' in node ? 1 : 1 + countNodes(node.whenTrue) + countNodes(node.whenFalse);
}

export class CompactForest {
  readonly layout = 'compact';

  private constructor(
    /** Per tree, the index of its root. */
    private readonly roots: Int32Array,
    /** In the WebAssembly walk's memory when it is used (and only there), else JavaScript arrays. */
    private readonly store: CompactNodes | WasmCompactWalk,
    readonly slots: number,
    /** Per node: the classes its leaf carries a weight for (bit k = class k); 0 for inner nodes. */
    private readonly nodeClasses: Int32Array,
  ) {}

  get walk(): 'wasm' | 'js' {
    return this.store instanceof WasmCompactWalk ? 'wasm' : 'js';
  }

  get trees(): number {
    return this.roots.length;
  }

  private jsNodes(): CompactNodes {
    return this.store instanceof WasmCompactWalk ? this.store.views() : this.store;
  }

  /** The compact layout of an ensemble, or why it is not made. `wasm: false` keeps to the JavaScript walk. */
  static build(e: Ensemble, { wasm = true }: { wasm?: boolean } = {}): CompactForest | string {
    const count = e.trees.reduce((n, tree) => n + countNodes(tree), 0);
    if (count * e.slots > MAX_NODE_WEIGHTS) return `${count} nodes of ${e.slots} weights each`;
    const slots = e.slots;
    const buffer = new ArrayBuffer(count * NODE_WORDS * 4);
    const nodes = new Int32Array(buffer);
    const threshold = new Float32Array(buffer);
    const nodeWeights = new Float64Array(count * slots);
    const nodeClasses = new Int32Array(count);
    const roots = new Int32Array(e.trees.length);
    let next = 0;
    // Depth first, the true side first: a node's true child is usually the next node in memory.
    const place = (node: TreeNode): number => {
      const i = next++;
      const at = NODE_WORDS * i;
      if ('leaf' in node) {
        threshold[at + 1] = Number.NaN;
        nodes[at + 2] = i;
        nodes[at + 3] = i;
        nodeWeights.set(e.leafWeights.subarray(node.leaf * slots, (node.leaf + 1) * slots), i * slots);
        nodeClasses[i] = e.leafClasses[node.leaf]!;
        return i;
      }
      nodes[at] = node.feature;
      threshold[at + 1] = float32Threshold(node.threshold, e.mode);
      nodes[at + 2] = place(node.whenTrue);
      nodes[at + 3] = place(node.whenFalse);
      return i;
    };
    for (const [t, tree] of e.trees.entries()) roots[t] = place(tree);
    const arrays = { nodes, threshold, nodeWeights };
    const store = (wasm && WasmCompactWalk.create(arrays, roots, slots)) || arrays;
    return new CompactForest(roots, store, slots, nodeClasses);
  }

  /** As PaddedForest.addScores: the reached leaves' weights added tree after tree, `slots` a row. */
  addScores(x: Float32Array, width: number, count: number, scores: Float64Array): void {
    if (this.store instanceof WasmCompactWalk && this.store.add(x, width, count, scores)) return;
    if (this.slots !== 1) {
      this.addClassScores(x, width, count, scores, new Int32Array(count));
      return;
    }
    const { nodes, threshold, nodeWeights } = this.jsNodes();
    addNodeWeights(x, width, count, scores, nodes, threshold, nodeWeights, this.roots);
  }

  /** As PaddedForest.addClassScores: several slots, a row at a time, and the reached leaves' classes. */
  addClassScores(x: Float32Array, width: number, count: number, scores: Float64Array, classes: Int32Array): void {
    const { slots, nodeClasses } = this;
    const { nodes, threshold, nodeWeights: w } = this.jsNodes();
    for (const root of this.roots) {
      for (let r = 0; r < count; r++) {
        const leaf = leafOf(x, r * width, nodes, threshold, root);
        for (let k = 0; k < slots; k++) scores[r * slots + k] = scores[r * slots + k]! + w[leaf * slots + k]!;
        classes[r] = classes[r]! | nodeClasses[leaf]!;
      }
    }
  }
}
