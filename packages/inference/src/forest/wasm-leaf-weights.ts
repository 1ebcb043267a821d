import type { WasmMemory } from '@batchcast/wasm';
import { WasmKernelModule } from '@batchcast/wasm';
import type { PaddedNodes } from './padded-forest.js';
import { WasmForestMemory } from './wasm-forest-memory.js';
import { LEAF_WEIGHTS_WASM_BASE64 } from './wasm/leaf-weights-wasm.js';

interface LeafWeightsExports {
  memory: WasmMemory;
  add_leaf_weights(
    x: number,
    width: number,
    count: number,
    scores: number,
    f: number,
    v: number,
    w: number,
    depth: number,
    nodeStart: number,
    leafStart: number,
    trees: number,
    slots: number,
  ): void;
}

/** A padded forest's arrays (padded-forest.ts), as the walk reads them: its nodes and, per tree, where they are. */
export interface PaddedArrays extends PaddedNodes {
  depth: Int32Array;
  nodeStart: Int32Array;
  leafStart: Int32Array;
}

const leafWeights = new WasmKernelModule<LeafWeightsExports>(LEAF_WEIGHTS_WASM_BASE64);

/** addLeafWeights (padded-forest.ts) run by the WebAssembly walk (wasm/leaf-weights.wat), in its own instance. */
export class WasmLeafWeights {
  private constructor(
    /** Holds feature, threshold, leafWeights, depth, nodeStart, leafStart. */
    private readonly memory: WasmForestMemory<LeafWeightsExports>,
    /** Lengths of feature, threshold and leafWeights. */
    private readonly lengths: [number, number, number],
    private readonly trees: number,
    /** Weights a leaf, scores a row. */
    private readonly slots: number,
  ) {}

  /** The walk for a forest, or null where WebAssembly or its memory is not available (the caller walks in JavaScript). */
  static create(forest: PaddedArrays, slots: number): WasmLeafWeights | null {
    const memory = WasmForestMemory.create(leafWeights, [
      forest.feature,
      forest.threshold,
      forest.leafWeights,
      forest.depth,
      forest.nodeStart,
      forest.leafStart,
    ]);
    if (memory === null) return null;
    const lengths: [number, number, number] = [forest.feature.length, forest.threshold.length, forest.leafWeights.length];
    return new WasmLeafWeights(memory, lengths, forest.depth.length, slots);
  }

  /**
   * The forest's nodes and leaf weights as views of this memory, for the JavaScript walks (current until the
   * memory next grows: take them for one use).
   */
  views(): PaddedNodes {
    const buffer = this.memory.buffer;
    const [f, v, w] = this.memory.at as [number, number, number];
    return {
      feature: new Int32Array(buffer, f, this.lengths[0]),
      threshold: new Float32Array(buffer, v, this.lengths[1]),
      leafWeights: new Float64Array(buffer, w, this.lengths[2]),
    };
  }

  /**
   * Adds to `scores[r * slots + k]`, for each of `count` rows of `x` (`width` values a row), the weight k of the
   * leaf the row reaches in every tree. False, and nothing done, when memory for the batch cannot be had.
   */
  add(x: Float32Array, width: number, count: number, scores: Float64Array): boolean {
    const [f, v, w, depth, nodeStart, leafStart] = this.memory.at as [number, number, number, number, number, number];
    return this.memory.batch(x, width, count, this.slots, scores, (xAt, scoresAt) =>
      this.memory.k.add_leaf_weights(xAt, width, count, scoresAt, f, v, w, depth, nodeStart, leafStart, this.trees, this.slots),
    );
  }
}
