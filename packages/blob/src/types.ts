import type { Readable } from 'node:stream';
import type { RangeReader } from '@batchcast/csv';

export type { RangeReader };

/**
 * Where uploads live. Workers on any host must be able to read them: `fs` for one host or a shared volume,
 * `postgres` when nothing but PostgreSQL and Redis is shared between hosts.
 */
export interface BlobStore {
  readonly kind: 'fs' | 'postgres';
  /**
   * Streams `source` into the blob `key` (bounded memory); resolves with the number of bytes stored.
   * `onStored`, where the store can tell, hears how many bytes readers of the blob can already read while the
   * write goes on (`fs`: written to the file; `postgres`: the groups of pieces committed): an upload's first
   * chunks can be scored before its end.
   */
  write(key: string, source: Readable, onStored?: (bytes: number) => void): Promise<number>;
  /** Whether write() calls `onStored` while it writes. */
  readonly readableWhileWritten: boolean;
  /** Opens the blob for reads by byte range. */
  open(key: string): Promise<RangeReader>;
  /** Removes the blob; removing a missing blob is not an error. */
  delete(key: string): Promise<void>;
  /** Whether the blob exists. */
  exists(key: string): Promise<boolean>;
  /**
   * Removes blobs under `prefix` older than `olderThanMs` that nothing refers to (left by a crash mid-upload
   * or mid-sweep); resolves with how many were removed.
   */
  sweepOrphans(sweep: OrphanSweep): Promise<number>;
}

/**
 * A write refused because the store's disk is down to its reserve (FsBlobStore's `minFreeBytes`), or failed
 * because the disk is full (`diskFull`: ENOSPC or a quota, before the reserve was seen overrun, or with none).
 */
export class StoreFullError extends Error {
  constructor(
    readonly freeBytes: number,
    readonly reserveBytes: number,
    readonly diskFull = false,
  ) {
    super(
      diskFull
        ? `the disk where uploads are kept is full (${freeBytes} bytes free once the partial file was removed)`
        : `only ${freeBytes} bytes are free where uploads are kept, below the reserve of ${reserveBytes}`,
    );
  }
}

export interface OrphanSweep {
  /** Key prefix of the blobs concerned, e.g. `uploads/`. */
  prefix: string;
  olderThanMs: number;
  /** Which of these keys are still in use (the caller knows what refers to blobs). */
  referenced(keys: string[]): Promise<Set<string>>;
}
