/**
 * The float arrays Parquet chunks are decoded into, kept for the next chunk read in this thread. A chunk's
 * columns are a row group's rows (DuckDB: 122,880 rows × 30 inputs × 4 bytes = 15 MB); allocated afresh for
 * every chunk, each thread carried the last chunk's arrays until V8 collected them (external memory, freed
 * late) beside the next chunk's: the bench's worker peaked 45-78 MB above the same rows read as CSV.
 * Reused, a scoring thread holds one chunk's arrays, the same ones, from chunk to chunk.
 */
type FloatArray = Float32Array | Float64Array;

/** Arrays given back, by type, for whichever chunk of this thread comes next (a few at most: chunks are read one at a time). */
const free: { float32: Float32Array[]; float64: Float64Array[] } = { float32: [], float64: [] };
/** Beyond this, arrays given back are left to the garbage collector (concurrent reads of many columns). */
const MAX_FREE_BYTES = 64 * 1024 * 1024;
let freeBytes = 0;

function takeFree(type: 'float32' | 'float64', length: number): FloatArray {
  const list = free[type];
  const i = list.findIndex((a) => a.length >= length);
  if (i >= 0) {
    const [a] = list.splice(i, 1) as [FloatArray];
    freeBytes -= a.byteLength;
    return a;
  }
  return type === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

function giveBack(a: FloatArray): void {
  if (freeBytes + a.byteLength > MAX_FREE_BYTES) return;
  freeBytes += a.byteLength;
  if (a instanceof Float32Array) free.float32.push(a);
  else free.float64.push(a);
}

/**
 * The arrays one reading of a chunk holds, one per column, reused from segment to segment; release() gives
 * them back once the chunk is read. Two readings at once (the web process's sample checks) each hold their own.
 */
export class HeldFloatBuffers {
  private readonly byColumn = new Map<string, FloatArray>();

  /** Column `column`'s array for `length` values (zeroed or not: every value is written before it is read). */
  take(column: string, type: 'float32' | 'float64', length: number): FloatArray {
    let a = this.byColumn.get(column);
    if (!a || a.length < length || (type === 'float32') !== a instanceof Float32Array) {
      if (a) giveBack(a);
      a = takeFree(type, length);
      this.byColumn.set(column, a);
    }
    return a.subarray(0, length);
  }

  release(): void {
    for (const a of this.byColumn.values()) giveBack(a);
    this.byColumn.clear();
  }
}
