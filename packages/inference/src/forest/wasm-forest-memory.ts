import { ensureMemory, type WasmKernelModule, type WasmMemory } from '@batchcast/wasm';

type Typed = Int32Array | Float32Array | Float64Array;

/**
 * A forest walk's WebAssembly instance and its memory, for both layouts' walks (wasm-leaf-weights.ts,
 * wasm-compact-walk.ts). Each forest gets its own instance: the forest's arrays are copied into its memory
 * once; for each batch, the rows and the scores are copied in (about 1 MB for 8,192 rows of 30 values: a few %
 * of the walk) and the scores back. A session scores one batch at a time, so one instance serves it.
 */
export class WasmForestMemory<Exports extends { memory: WasmMemory }> {
  private constructor(
    readonly k: Exports,
    /** Where the forest's arrays are in memory, in the order given to create. */
    readonly at: number[],
    /** Where the per-batch area (scores, then rows) starts. */
    private readonly batchAt: number,
  ) {}

  /** The instance holding the arrays, or null where WebAssembly or its memory is not available. */
  static create<Exports extends { memory: WasmMemory }>(
    kernel: WasmKernelModule<Exports>,
    arrays: Typed[],
  ): WasmForestMemory<Exports> | null {
    const at: number[] = [];
    let end = 0;
    for (const a of arrays) {
      at.push(end);
      end = align(end + a.byteLength);
    }
    const k = kernel.instantiate();
    if (k === null || !ensureMemory(k.memory, end)) return null;
    const memory = new Uint8Array(k.memory.buffer);
    for (const [i, a] of arrays.entries()) memory.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at[i]!);
    return new WasmForestMemory(k, at, end);
  }

  /** The memory's current buffer (replaced when memory grows: take views for one use). */
  get buffer(): ArrayBuffer {
    return this.k.memory.buffer;
  }

  /**
   * Copies `count` rows of `x` (`width` values a row) and their scores (`slots` a row) in, runs `walk` with
   * where they are, and copies the scores back. False, and nothing done, when memory for the batch cannot be had.
   */
  batch(
    x: Float32Array,
    width: number,
    count: number,
    slots: number,
    scores: Float64Array,
    walk: (xAt: number, scoresAt: number) => void,
  ): boolean {
    const scoresAt = this.batchAt;
    const xAt = align(scoresAt + 8 * count * slots);
    if (!ensureMemory(this.k.memory, xAt + 4 * width * count)) return false;
    // Views made after any growth: growing memory replaces its buffer.
    const buffer = this.k.memory.buffer;
    new Float32Array(buffer, xAt, width * count).set(x.subarray(0, width * count));
    const inMemory = new Float64Array(buffer, scoresAt, count * slots);
    inMemory.set(scores.subarray(0, count * slots));
    walk(xAt, scoresAt);
    scores.set(inMemory);
    return true;
  }
}

/** Offsets are kept 64-byte aligned (a cache line): every typed view's alignment holds. */
function align(n: number): number {
  return Math.ceil(n / 64) * 64;
}
