import { PickleError } from './errors.js';

/**
 * Bounds on what one file may make the reader do. A pickle is a program for a stack machine: without bounds a
 * few bytes can ask for gigabytes (a memo index of 2^32, an array shape of 10^12, a zip bomb) or a nesting deeper
 * than any consumer can walk. Every limit is refused with `limit_exceeded`, the error's `limit` naming the bound.
 */
export interface PickleLimits {
  /** Output of zlib/gzip decompression of a joblib file, in bytes. */
  maxDecompressedBytes: number;
  /** Entries in the pickle memo (PUT / MEMOIZE). */
  maxMemoEntries: number;
  /** Nesting: open MARKs, and containers inside containers. Python itself cannot pickle deeper than ~1000. */
  maxDepth: number;
  /** Items on the pickle stack at once. Picklers batch list and dict items by 1000, so real files stay far below. */
  maxStackItems: number;
  /** Containers, objects and container slots created in total (a list of n items counts n + 1). */
  maxObjects: number;
  /** Length of one str or bytes value, in bytes. */
  maxStringBytes: number;
  /** Total bytes of numpy array data decoded (every array, every copy). */
  maxArrayBytes: number;
}

export const DEFAULT_PICKLE_LIMITS: Readonly<PickleLimits> = Object.freeze({
  maxDecompressedBytes: 1024 * 1024 * 1024,
  maxMemoEntries: 4_000_000,
  maxDepth: 1000,
  maxStackItems: 100_000,
  maxObjects: 20_000_000,
  maxStringBytes: 256 * 1024 * 1024,
  maxArrayBytes: 1024 * 1024 * 1024,
});

/** Counts what a read has consumed so far and refuses what goes beyond its limits. */
export class Budget {
  private objects = 0;
  private arrayBytes = 0;

  constructor(readonly limits: Readonly<PickleLimits>) {}

  /** Charges `n` objects or container slots. */
  objectsUsed(n: number, offset?: number): void {
    this.objects += n;
    if (this.objects > this.limits.maxObjects) {
      throw exceeded(`more than ${this.limits.maxObjects} objects and container items`, 'maxObjects', offset);
    }
  }

  /** Charges `n` bytes of decoded array data, before they are allocated. */
  arrayBytesUsed(n: number, offset?: number): void {
    this.arrayBytes += n;
    if (this.arrayBytes > this.limits.maxArrayBytes) {
      throw exceeded(`more than ${this.limits.maxArrayBytes} bytes of numpy array data`, 'maxArrayBytes', offset);
    }
  }
}

export function exceeded(what: string, option: keyof PickleLimits, offset?: number): PickleError {
  const at = offset === undefined ? '' : ` (at byte ${offset})`;
  return new PickleError(
    'limit_exceeded',
    `The file holds ${what}${at}, beyond what batchcast reads from a model. A scikit-learn model ` +
      'this large is unusual: check that the file is the model you meant, or export it to ONNX (skl2onnx) and upload the .onnx file.',
    offset,
    undefined,
    option,
  );
}
