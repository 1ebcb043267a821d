/**
 * Loading the project's WebAssembly kernels (the CSV float parser, the forest walk): their bytes are compiled
 * once per process and instantiated per user, each instance with memory of its own. Either step returns null
 * where this runtime cannot do it, and the caller keeps to its JavaScript path, which gives the same results.
 */

/**
 * The part of the WebAssembly API used here, declared locally: the project's TypeScript libs (no DOM) do
 * not declare the global, although Node has always had it.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
type WasmModule = object;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** A WebAssembly memory page. */
export const WASM_PAGE = 65536;

/** A module's bytes (base64, as scripts/build-wasm.mjs writes them), compiled at most once. */
export class WasmKernelModule<Exports> {
  private compiled: WasmModule | null | undefined;

  constructor(private readonly base64: string) {}

  /** A new instance with its own memory, or null when this runtime cannot compile or instantiate the module. */
  instantiate(): Exports | null {
    if (this.compiled === undefined) {
      try {
        this.compiled = wasmApi === undefined ? null : new wasmApi.Module(Buffer.from(this.base64, 'base64'));
      } catch {
        this.compiled = null;
      }
    }
    if (this.compiled === null) return null;
    try {
      return new wasmApi!.Instance(this.compiled, {}).exports as Exports;
    } catch {
      // No memory for another instance (address-space limits).
      return null;
    }
  }
}

/** Grows `memory` to at least `bytes`; false when it cannot grow (the caller falls back). */
export function ensureMemory(memory: WasmMemory, bytes: number): boolean {
  const pages = Math.ceil(bytes / WASM_PAGE);
  const have = memory.buffer.byteLength / WASM_PAGE;
  if (pages <= have) return true;
  try {
    memory.grow(pages - have);
    return true;
  } catch {
    return false;
  }
}
