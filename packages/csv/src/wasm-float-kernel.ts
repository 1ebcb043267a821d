import { ensureMemory, type WasmMemory, WasmKernelModule } from '@batchcast/wasm';
import { FLOAT_RECORDS_WASM_BASE64 } from './wasm/float-records-wasm.js';

const LF = 0x0a;

interface KernelExports {
  memory: WasmMemory;
  configure(out: number, width: number, kinds: number, slots: number, ncols: number, delim: number, dec: number, f64: number): void;
  parse(p: number, safe: number, row: number, rowEnd: number): number;
  row(): number;
}

/** Bytes copied into the kernel's memory at a time (a read block is 1 MiB by default). */
const WINDOW = 1024 * 1024 + 64 * 1024;
/** The kernel is not used when one batch of output would need more memory than this (huge batches). */
const MAX_OUT_BYTES = 64 * 1024 * 1024;

const floatRecords = new WasmKernelModule<KernelExports>(FLOAT_RECORDS_WASM_BASE64);

/**
 * The WebAssembly twin of parseFloatRecords (float-record.ts) for the common case: every stored column
 * goes to ONE float32/float64 target. Each BatchParser gets its own instance (its own memory), so
 * parsers running side by side never share state.
 *
 * The bytes are copied into the kernel's memory a window at a time (memcpy, a few % of the parse) and
 * the rows it parsed are copied back into the batch's typed array; everything else is parseFloatRecords'
 * rules, except that it also takes numbers of 16 to 19 digits and exponents, which parseFloatRecords gives
 * the general path. The tests hold the kernel, parseFloatRecords and the general path to identical results.
 */
export class WasmFloatKernel {
  private readonly k: KernelExports;
  private readonly u8: Uint8Array;
  private readonly outView: Float32Array | Float64Array;
  private readonly data: number;
  private readonly width: number;
  /** The window of the current source buffer that is in memory: buffer positions [from, safe]. */
  private src: Uint8Array | null = null;
  private from = 0;
  private safe = -1;
  /** Output of parse(): the batch row after the last record parsed. */
  row = 0;

  private constructor(k: KernelExports, u8: Uint8Array, outView: Float32Array | Float64Array, data: number, width: number) {
    this.k = k;
    this.u8 = u8;
    this.outView = outView;
    this.data = data;
    this.width = width;
  }

  /**
   * A kernel for records of `kinds.length` columns (1 = stored at `slots[c]` of a row `width` wide), or
   * null when WebAssembly is not available or one batch would be too large for it.
   */
  static create(opts: {
    kinds: Uint8Array;
    slots: Int32Array;
    width: number;
    batchSize: number;
    f64: boolean;
    delimiter: number;
    decimal: number;
  }): WasmFloatKernel | null {
    const elem = opts.f64 ? 8 : 4;
    const outBytes = opts.batchSize * opts.width * elem;
    if (outBytes > MAX_OUT_BYTES) return null;
    const ncols = opts.kinds.length;
    const kinds = 256;
    const slots = align(kinds + ncols, 8);
    // 16 bytes of slack after the window: a load never leaves memory even at its very end.
    const data = align(slots + 4 * ncols, 64);
    const out = align(data + WINDOW + 16, 64);
    // No instance (no WebAssembly, or no memory for another): the JavaScript fast path does the same work.
    const k = floatRecords.instantiate();
    if (k === null || !ensureMemory(k.memory, out + outBytes)) return null;
    const buffer = k.memory.buffer;
    new Float64Array(buffer, 0, 23).set(Array.from({ length: 23 }, (_, e) => Number(`1e${e}`)));
    const u8 = new Uint8Array(buffer);
    u8.set(opts.kinds, kinds);
    new Int32Array(buffer, slots, ncols).set(opts.slots);
    k.configure(out, opts.width, kinds, slots, ncols, opts.delimiter, opts.decimal, opts.f64 ? 1 : 0);
    const n = opts.batchSize * opts.width;
    const outView = opts.f64 ? new Float64Array(buffer, out, n) : new Float32Array(buffer, out, n);
    return new WasmFloatKernel(k, u8, outView, data, opts.width);
  }

  /** Forgets the bytes in memory: the next parse() copies from its buffer again. */
  reset(): void {
    this.src = null;
  }

  /**
   * As parseFloatRecords(buf, p, safe, row, rowEnd, …): parses records from `p` while they start before
   * `safe` (an LF) and `row < rowEnd`, stores them into `target` (row-major, `width` per row), leaves the
   * next row in `this.row` and returns the position after the last record parsed.
   */
  parse(buf: Buffer, p: number, safe: number, row: number, rowEnd: number, target: Float32Array | Float64Array): number {
    const first = row;
    while (p < safe && row < rowEnd) {
      if (this.src !== buf || p < this.from || p >= this.safe) {
        // Copy the next window, cut after its last LF.
        const to = Math.min(safe + 1, p + WINDOW);
        const last = to === safe + 1 ? safe : buf.lastIndexOf(LF, to - 1);
        if (last <= p) break; // a record longer than the window: the JavaScript paths take it
        this.u8.set(buf.subarray(p, last + 1), this.data);
        this.src = buf;
        this.from = p;
        this.safe = last;
      }
      const base = this.data - this.from;
      const q = this.k.parse(p + base, this.safe + base, row, rowEnd) - base;
      const r = this.k.row();
      if (q === p) break; // the record at p needs the general path
      p = q;
      row = r;
      if (p < this.safe) break; // stopped inside the window: batch full, or a record for the general path
    }
    if (row > first) target.set(this.outView.subarray(first * this.width, row * this.width), first * this.width);
    this.row = row;
    return p;
  }
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
