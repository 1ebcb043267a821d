import { Readable } from 'node:stream';
import type { ByteSource, RangeReader } from '@batchcast/csv';
import yauzl from 'yauzl';
import { FormatError, formatBytes } from './errors.js';
import { openSource, readFully } from './source.js';

const BLOCK = 256 * 1024;
/**
 * The most parts a workbook may have. Excel writes a few per sheet (the sheet, its relationships, drawings,
 * comments); every entry of the index is read before any part is, and 300,000 empty ones (a 25 MB upload)
 * took the reader 112 s.
 */
export const MAX_ZIP_ENTRIES = 10_000;
/** Reads of the zip's index are served from blocks of this size. */
const WINDOW = 64 * 1024;

/**
 * The most a large part may unpack to, relative to its compressed size: Apache POI's default (its minimum
 * inflate ratio, 1 %). Spreadsheets' XML deflates 5-25 times (cell references differ from cell to cell, and
 * shared strings are stored once each); a part that unpacks hundreds of times its size is built to make the
 * reader work: 2.4 MB of shared strings unpacked to 1 GB held the web process for two minutes of CPU and
 * 1.7 GB of memory, and 0.5 MB of sheet to 220 MB took 46 s, where a CSV upload of the same cost is gigabytes.
 */
export const MAX_INFLATE_RATIO = 100;
/** Parts that unpack to at most this are read whatever their ratio (a small sheet of zeros, styles): their cost is small anyway. */
export const INFLATE_RATIO_GRACE_BYTES = 10 * 1024 * 1024;

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

  /** The block last read for small reads: yauzl reads the zip's index entry by entry, 46 bytes and a name at a time. */
  private window: { start: number; bytes: Buffer } | null = null;

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    const cutShort = () => new FormatError('invalid_xlsx', 'the workbook file is cut short: upload it again');
    if (length > WINDOW) {
      readFully(this.reader, buffer, offset, length, position).then(
        (got) => callback(got === length ? null : cutShort()),
        (err: Error) => callback(err),
      );
      return;
    }
    // One read of the store per WINDOW bytes rather than one per entry: each went through the thread pool (and,
    // with BLOB_STORE=postgres, a query), and an index of 10,000 entries took 5.7 s to read.
    const copy = (w: { start: number; bytes: Buffer }): boolean => {
      if (position < w.start || position + length > w.start + w.bytes.length) return false;
      w.bytes.copy(buffer, offset, position - w.start, position - w.start + length);
      return true;
    };
    const held = this.window;
    if (held && copy(held)) {
      setImmediate(callback, null);
      return;
    }
    const block = Buffer.allocUnsafe(WINDOW);
    readFully(this.reader, block, 0, WINDOW, position).then(
      (got) => {
        this.window = { start: position, bytes: block.subarray(0, got) };
        callback(copy(this.window) ? null : cutShort());
      },
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
  if (zip.entryCount > MAX_ZIP_ENTRIES) {
    zip.close();
    throw new FormatError(
      'too_large',
      `${what} has ${zip.entryCount.toLocaleString('en-US')} parts; a workbook has a few dozen, and at most ${MAX_ZIP_ENTRIES.toLocaleString('en-US')} are read. ` +
        'Save the workbook again from the spreadsheet (or export it as CSV) and upload that',
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
    checkInflateRatio(what, name, entry);
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

/**
 * Refuses, before inflating a byte, a part whose index says it unpacks to more than MAX_INFLATE_RATIO times its
 * compressed size (past the grace size). The index cannot lie about it: yauzl reads only the compressed
 * bytes the index gives, and fails a part that unpacks to more or less than the size the index declares.
 */
function checkInflateRatio(what: string, name: string, entry: yauzl.Entry): void {
  const unpacked = entry.uncompressedSize;
  if (unpacked <= INFLATE_RATIO_GRACE_BYTES || unpacked <= MAX_INFLATE_RATIO * entry.compressedSize) return;
  const bytes = (n: number) => `${n.toLocaleString('en-US')} bytes`;
  const ratio = entry.compressedSize > 0 ? `${Math.round(unpacked / entry.compressedSize).toLocaleString('en-US')} times` : 'infinitely';
  throw new FormatError(
    'too_large',
    `${what}: the part "${name}" unpacks to ${bytes(unpacked)} from ${bytes(entry.compressedSize)}, ${ratio} its size; ` +
      `a spreadsheet's parts unpack to at most ${MAX_INFLATE_RATIO} times theirs, so this file is refused as a zip bomb. ` +
      'Save the workbook again from the spreadsheet (or export it as CSV) and upload that',
  );
}

/** yauzl's entry iterator (lazyEntries), typed. */
function eachEntry(zip: yauzl.ZipFile): AsyncIterable<yauzl.Entry> {
  return (zip as unknown as { eachEntry(): AsyncIterable<yauzl.Entry> }).eachEntry();
}
