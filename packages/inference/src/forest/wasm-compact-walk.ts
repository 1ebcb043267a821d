import type { WasmMemory } from '@batchcast/wasm';
import { WasmKernelModule } from '@batchcast/wasm';
import type { CompactNodes } from './compact-forest.js';
import { WasmForestMemory } from './wasm-forest-memory.js';
import { COMPACT_WALK_WASM_BASE64 } from './wasm/compact-walk-wasm.js';

interface CompactWalkExports {
  memory: WasmMemory;
  add_node_weights(
    x: number,
    width: number,
    count: number,
    scores: number,
    nodes: number,
    w: number,
    roots: number,
    trees: number,
    slots: number,
  ): void;
}

const compactWalk = new WasmKernelModule<CompactWalkExports>(COMPACT_WALK_WASM_BASE64);

/** CompactForest.addScores (compact-forest.ts) run by the WebAssembly walk (wasm/compact-walk.wat), in its own instance. */
export class WasmCompactWalk {
  private constructor(
    /** Holds nodes (with the thresholds among them), nodeWeights, roots. */
    private readonly memory: WasmForestMemory<CompactWalkExports>,
    /** Lengths of nodes and nodeWeights. */
    private readonly lengths: [number, number],
    private readonly trees: number,
    /** Weights a node, scores a row. */
    private readonly slots: number,
  ) {}

  /** The walk for a forest, or null where WebAssembly or its memory is not available (the caller walks in JavaScript). */
  static create(forest: CompactNodes, roots: Int32Array, slots: number): WasmCompactWalk | null {
    const memory = WasmForestMemory.create(compactWalk, [forest.nodes, forest.nodeWeights, roots]);
    if (memory === null) return null;
    return new WasmCompactWalk(memory, [forest.nodes.length, forest.nodeWeights.length], roots.length, slots);
  }

  /** The forest's nodes and weights as views of this memory, for the JavaScript walks (take them for one use). */
  views(): CompactNodes {
    const buffer = this.memory.buffer;
    const [nodes, w] = this.memory.at as [number, number];
    return {
      nodes: new Int32Array(buffer, nodes, this.lengths[0]),
      threshold: new Float32Array(buffer, nodes, this.lengths[0]),
      nodeWeights: new Float64Array(buffer, w, this.lengths[1]),
    };
  }

  /** As WasmLeafWeights.add: false, and nothing done, when memory for the batch cannot be had. */
  add(x: Float32Array, width: number, count: number, scores: Float64Array): boolean {
    const [nodes, w, roots] = this.memory.at as [number, number, number];
    return this.memory.batch(x, width, count, this.slots, scores, (xAt, scoresAt) =>
      this.memory.k.add_node_weights(xAt, width, count, scoresAt, nodes, w, roots, this.trees, this.slots),
    );
  }
}
