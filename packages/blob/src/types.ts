import type { Readable } from 'node:stream';
import type { RangeReader } from '@batchcast/csv';

export type { RangeReader };

/**
 * Where uploads live. Workers on any host must be able to read them: `fs` for one host or a shared volume,
 * `postgres` when nothing but PostgreSQL and Redis is shared between hosts.
 */
export interface BlobStore {
  readonly kind: 'fs' | 'postgres';
  /** Streams `source` into the blob `key` (bounded memory); resolves with the number of bytes stored. */
  write(key: string, source: Readable): Promise<number>;
  /** Opens the blob for reads by byte range. */
  open(key: string): Promise<RangeReader>;
  /** Removes the blob; removing a missing blob is not an error. */
  delete(key: string): Promise<void>;
  /** Whether the blob exists. */
  exists(key: string): Promise<boolean>;
}
