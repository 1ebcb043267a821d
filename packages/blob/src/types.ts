import type { Readable } from 'node:stream';

/**
 * Random access to a stored blob, shaped like the part of fs.promises.FileHandle that readers use, so the
 * CSV readers take a local file or a blob held in PostgreSQL alike.
 */
export interface RangeReader {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

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
