import { Readable } from 'node:stream';
import type { ByteSource, RangeReader } from '@batchcast/csv';
import yauzl from 'yauzl';
import { FormatError, formatBytes } from './errors.js';
import { openSource, readFully } from './source.js';

const BLOCK = 256 * 1024;

/** yauzl's view of a RangeReader: the zip is read where it is stored (a file, or pieces in PostgreSQL). */
class RangeRandomAccessReader extends yauzl.RandomAccessReader {
  constructor(private readonly reader: RangeReader) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const reader = this.reader;
    async function* blocks(): AsyncGenerator<Buffer> {
      for (let p = start; p < end; ) {
        const n = Math.min(BLOCK, end - p);
        const buf = Buffer.allocUnsafe(n);
        const got = await readFully(reader, buf, 0, n, p);
        if (got === 0) throw new FormatError('invalid_xlsx', 'the workbook file is shorter than its own index says: upload it again');
        yield got === n ? buf : buf.subarray(0, got);
        p += got;
      }
    }
    return Readable.from(blocks(), { objectMode: false });
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    readFully(this.reader, buffer, offset, length, position).then(
      (got) => callback(got === length ? null : new FormatError('invalid_xlsx', 'the workbook file is cut short: upload it again')),
      (err: Error) => callback(err),
    );
  }

  override close(callback: (err: Error | null) => void): void {
    this.reader.close().then(
      () => callback(null),
      (err: Error) => callback(err),
    );
  }
}

/** An opened zip: its entries by name, and a way to stream one. */
export interface ZipArchive {
  entries: Map<string, yauzl.Entry>;
  /** Streams an entry's uncompressed bytes, failing with `too_large` past `maxBytes`. */
  stream(name: string, maxBytes: number): AsyncGenerator<Buffer>;
  /** Reads a (small) entry whole as UTF-8 text. */
  text(name: string, maxBytes: number): Promise<string>;
  close(): void;
}

/** Opens the zip at `source` (`size` bytes long) by random access: only the index and the entries read are fetched. */
export async function openZip(source: ByteSource, size: number, what: string): Promise<ZipArchive> {
  const reader = await openSource(source);
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromRandomAccessReaderPromise(new RangeRandomAccessReader(reader), size, {
      lazyEntries: true,
      autoClose: false,
      // Part names are ASCII in practice; a strange name must not refuse the whole workbook.
      strictFileNames: false,
    });
  } catch (err) {
    await reader.close().catch(() => undefined);
    throw new FormatError(
      'invalid_xlsx',
      `${what} is not a readable zip archive (${(err as Error).message}); save it again as .xlsx and upload it`,
    );
  }
  const entries = new Map<string, yauzl.Entry>();
  try {
    for await (const entry of eachEntry(zip)) entries.set(entry.fileName, entry);
  } catch (err) {
    zip.close();
    throw new FormatError(
      'invalid_xlsx',
      `${what} has a damaged zip index (${(err as Error).message}); save it again as .xlsx and upload it`,
    );
  }
  async function* stream(name: string, maxBytes: number): AsyncGenerator<Buffer> {
    const entry = entries.get(name);
    if (!entry) throw new FormatError('invalid_xlsx', `${what} has no part "${name}"; save it again as .xlsx and upload it`);
    if (entry.isEncrypted()) throw new FormatError('invalid_xlsx', `${what} is encrypted; save it without a password`);
    let s: Readable;
    try {
      s = await zip.openReadStreamPromise(entry);
    } catch (err) {
      throw new FormatError('invalid_xlsx', `${what}: the part "${name}" cannot be read (${(err as Error).message})`);
    }
    let total = 0;
    try {
      for await (const piece of s as AsyncIterable<Buffer>) {
        total += piece.length;
        if (total > maxBytes) {
          throw new FormatError(
            'too_large',
            `${what}: the part "${name}" unpacks to more than ${formatBytes(maxBytes)}; split the data into smaller files`,
          );
        }
        yield piece;
      }
    } catch (err) {
      if (err instanceof FormatError) throw err;
      throw new FormatError(
        'invalid_xlsx',
        `${what}: the part "${name}" is damaged (${(err as Error).message}); save the workbook again and upload it`,
      );
    } finally {
      s.destroy();
    }
  }
  return {
    entries,
    stream,
    async text(name: string, maxBytes: number): Promise<string> {
      const parts: Buffer[] = [];
      for await (const piece of stream(name, maxBytes)) parts.push(piece);
      return Buffer.concat(parts).toString('utf8');
    },
    close: () => zip.close(),
  };
}

/** yauzl's entry iterator (lazyEntries), typed. */
function eachEntry(zip: yauzl.ZipFile): AsyncIterable<yauzl.Entry> {
  return (zip as unknown as { eachEntry(): AsyncIterable<yauzl.Entry> }).eachEntry();
}
