import { open, stat } from 'node:fs/promises';
import type { ByteSource, RangeReader } from '@batchcast/csv';

/** Opens a ByteSource for positional reads (a path, or the blob store's opener). */
export function openSource(source: ByteSource): Promise<RangeReader> {
  return typeof source === 'string' ? open(source, 'r') : source();
}

/**
 * The size of a source: formats whose index is at the end (zip, Parquet) need it. A RangeReader does not
 * know its size, so a source that is not a path must come with one (the upload's stored size).
 */
export async function sourceSize(source: ByteSource, size: number | undefined): Promise<number> {
  if (size !== undefined) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`invalid size ${size}`);
    return size;
  }
  if (typeof source === 'string') return (await stat(source)).size;
  throw new TypeError('the size of the upload is required when it is read through a RangeReader (pass opts.size)');
}

/** Reads `length` bytes at `position` into buf[offset..], looping over short reads; returns the bytes read. */
export async function readFully(reader: RangeReader, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await reader.read(buf, offset + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}
