import type { Pool } from '@batchcast/db';
import { FsBlobStore } from './fs-store.js';
import { PostgresBlobStore } from './postgres-store.js';
import type { BlobStore } from './types.js';

export type { BlobStore, OrphanSweep, RangeReader } from './types.js';
export { StoreFullError } from './types.js';
export { FsBlobStore } from './fs-store.js';
export { PostgresBlobStore, PIECE_BYTES } from './postgres-store.js';

/** The store BLOB_STORE names. */
export function createBlobStore(kind: 'fs' | 'postgres', opts: { dataDir: string; pool: Pool; minFreeBytes?: number }): BlobStore {
  return kind === 'postgres' ? new PostgresBlobStore(opts.pool) : new FsBlobStore(opts.dataDir, opts.minFreeBytes);
}
