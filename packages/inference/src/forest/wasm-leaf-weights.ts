import { ensureMemory, type WasmMemory, WasmKernelModule } from '@batchcast/wasm';
import type { PaddedNodes } from './padded-forest.js';
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
  ): void;
}

/** A padded forest's arrays (padded-forest.ts), as the walk reads them: its nodes and, per tree, where they are. */
export interface PaddedArrays extends PaddedNodes {
  depth: Int32Array;
  nodeStart: Int32Array;
  leafStart: Int32Array;
}

const leafWeights = new WasmKernelModule<LeafWeightsExports>(LEAF_WEIGHTS_WASM_BASE64);

type Typed = Int32Array | Float32Array | Float64Array;

/**
 * addLeafWeights (padded-forest.ts) run by the WebAssembly walk (wasm/leaf-weights.wat). Each padded forest
 * gets its own instance: the forest's arrays are copied into its memory once; for each batch, the rows and
 * the scores are copied in (about 1 MB for 8,192 rows of 30 values: a few % of the walk) and the scores back.
 * A session scores one batch at a time, so one instance serves it.
 */
export class WasmLeafWeights {
  private constructor(
    private readonly k: LeafWeightsExports,
    /** Where the forest's arrays are in memory: feature, threshold, leafWeights, depth, nodeStart, leafStart. */
    private readonly at: number[],
    /** Lengths of feature, threshold and leafWeights. */
    private readonly lengths: [number, number, number],
    /** Where the per-batch area (scores, then rows) starts. */
    private readonly batchAt: number,
    private readonly trees: number,
  ) {}

  /** The walk for a forest, or null where WebAssembly or its memory is not available (the caller walks in JavaScript). */
  static create(forest: PaddedArrays): WasmLeafWeights | null {
    const arrays: Typed[] = [forest.feature, forest.threshold, forest.leafWeights, forest.depth, forest.nodeStart, forest.leafStart];
    const at: number[] = [];
    let end = 0;
    for (const a of arrays) {
      at.push(end);
      end = align(end + a.byteLength);
    }
    const k = leafWeights.instantiate();
    if (k === null || !ensureMemory(k.memory, end)) return null;
    const memory = new Uint8Array(k.memory.buffer);
    for (const [i, a] of arrays.entries()) memory.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at[i]!);
    const lengths: [number, number, number] = [forest.feature.length, forest.threshold.length, forest.leafWeights.length];
    return new WasmLeafWeights(k, at, lengths, end, forest.depth.length);
  }

  /**
   * The forest's nodes and leaf weights as views of this memory, for the JavaScript walks (current until the
   * memory next grows: take them for one use).
   */
  views(): PaddedNodes {
    const buffer = this.k.memory.buffer;
    const [f, v, w] = this.at as [number, number, number];
    return {
      feature: new Int32Array(buffer, f, this.lengths[0]),
      threshold: new Float32Array(buffer, v, this.lengths[1]),
      leafWeights: new Float64Array(buffer, w, this.lengths[2]),
    };
  }

  /**
   * Adds to `scores[r]`, for each of `count` rows of `x` (`width` values a row), the weight of the leaf the row
   * reaches in every tree. False, and nothing done, when memory for the batch cannot be had.
   */
  add(x: Float32Array, width: number, count: number, scores: Float64Array): boolean {
    const scoresAt = this.batchAt;
    const xAt = align(scoresAt + 8 * count);
    if (!ensureMemory(this.k.memory, xAt + 4 * width * count)) return false;
    // Views made after any growth: growing memory replaces its buffer.
    const buffer = this.k.memory.buffer;
    new Float32Array(buffer, xAt, width * count).set(x.subarray(0, width * count));
    const inMemory = new Float64Array(buffer, scoresAt, count);
    inMemory.set(scores.subarray(0, count));
    const [f, v, w, depth, nodeStart, leafStart] = this.at as [number, number, number, number, number, number];
    this.k.add_leaf_weights(xAt, width, count, scoresAt, f, v, w, depth, nodeStart, leafStart, this.trees);
    scores.set(inMemory);
    return true;
  }
}

/** Offsets are kept 64-byte aligned (a cache line): every typed view's alignment holds. */
function align(n: number): number {
  return Math.ceil(n / 64) * 64;
}
