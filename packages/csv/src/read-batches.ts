import { BatchParser, type BatchParserOptions } from './batch-parser.js';
import { openSource } from './source.js';
import type { ByteSource, ColumnTarget, CsvDialect, RangeReader, RecordBatch } from './types.js';

/**
 * Which records to read into batches, and where their cells go: what every reader of a chunk takes
 * (readBatches here, @batchcast/formats' readJsonlBatches). A Chunk spreads into the first three.
 */
export interface BatchRangeOptions {
  /** Byte offset of the first record to read (a chunk's `start`, or the layout's `dataStart`). */
  start: number;
  /** Byte offset just past the last record to read (exclusive). */
  end: number;
  /** Absolute index of the record at `start` (a chunk's `firstRow`); batches and errors are numbered from it. */
  firstRow: number;
  /** The layout's header: target columns index into it (in a CSV file, every record must have as many fields). */
  header: string[];
  /** Where the cells go. */
  targets: ColumnTarget[];
  /** Records per batch (the last batch of the range may be smaller). */
  batchSize: number;
}

export interface ReadBatchesOptions extends BatchRangeOptions {
  /** Bytes per read (default 1 MiB). */
  highWaterMark?: number;
  /** The file's dialect (delimiter, decimal separator); a CsvLayout qualifies. Default `,` and `.`. */
  dialect?: Partial<CsvDialect> | null;
  /**
   * The CSV was made from a JSON file's lists, one a line (pandas' to_json(orient='values'), stored as a header-less
   * CSV): a record with another number of fields than the first fails its row saying so of lists and their values.
   */
  lists?: boolean;
  /** The file has no header row: a record of another field count than the first row's is said so of that row. */
  headerless?: boolean;
}

/** Room kept before each read block for the cut record of the previous block, so it is rarely copied twice. */
const MAX_RESERVE = 64 * 1024;

/**
 * Reads the records in the byte range [start, end) of a CSV file and yields them as RecordBatches, cells
 * coerced into typed arrays (row-major [count, columns.length] per target). A cell that cannot be coerced
 * and a record with the wrong number of fields fail their row (RecordBatch.errors), never the whole read.
 *
 * I/O overlaps parsing: while one block is parsed (synchronously, on this thread), the next is already
 * being read (positional reads, libuv thread pool) into a second block. The record cut by the end of a
 * block is copied into the reserved room just before the next block's bytes. Memory: two blocks plus one
 * batch (a single record larger than the reserve gets a block of its own).
 */
export function readBatches(source: ByteSource, opts: ReadBatchesOptions): AsyncGenerator<RecordBatch> {
  return readBatchesWith(source, opts, {});
}

/** readBatches with the parser's paths chosen (tests hold the fast paths to the general one with it). */
export async function* readBatchesWith(
  source: ByteSource,
  opts: ReadBatchesOptions,
  paths: BatchParserOptions,
): AsyncGenerator<RecordBatch> {
  const parser = new BatchParser(opts.header, opts.targets, opts.batchSize, opts.dialect ?? undefined, {
    ...paths,
    ...(opts.lists ? { lists: true } : {}),
    ...(opts.headerless ? { headerless: true } : {}),
  });
  const { start, end } = opts;
  if (!(start >= 0 && end >= start)) throw new RangeError(`invalid byte range [${start}, ${end})`);
  const blockSize = Math.max(opts.highWaterMark ?? 1024 * 1024, 1);
  const reserve = Math.min(blockSize, MAX_RESERVE);
  const fh = await openSource(source);
  const blocks = [Buffer.allocUnsafe(reserve + blockSize), Buffer.allocUnsafe(reserve + blockSize)];
  let next = 0;
  let filePos = start;
  let pending: Promise<number> | null = null;
  const readNext = (): void => {
    const length = Math.min(blockSize, end - filePos);
    pending = length > 0 ? readFully(fh, blocks[next]!, reserve, length, filePos) : Promise.resolve(0);
    filePos += length;
  };
  try {
    let view = Buffer.alloc(0);
    let p = 0;
    let eof = end <= start;
    let rows = opts.firstRow;
    if (!eof) readNext();
    parser.begin(rows);
    for (;;) {
      if (!eof && (p >= view.length || parser.needMore)) {
        const block = blocks[next]!;
        const n = await pending!;
        const carry = view.length - p;
        if (carry <= reserve) {
          view.copy(block, reserve - carry, p);
          view = block.subarray(reserve - carry, reserve + n);
        } else {
          // A record longer than the reserve: join it with the new bytes in a buffer of its own.
          const joined = Buffer.allocUnsafe(carry + n);
          view.copy(joined, 0, p);
          block.copy(joined, carry, reserve, reserve + n);
          view = joined;
        }
        p = 0;
        next = 1 - next;
        // A short read means the file shrank since it was scanned: the data ends where the bytes end.
        if (filePos >= end || n < blockSize) eof = true;
        else readNext();
      }
      p = parser.parse(view, p, eof);
      if (parser.count === parser.batchSize) {
        yield parser.take();
        rows += parser.count;
        parser.begin(rows);
        continue;
      }
      if (eof && !parser.needMore && p >= view.length) break;
    }
    if (parser.count > 0) yield parser.take();
  } finally {
    // Never leave a read in flight on a closed descriptor (the consumer may stop early).
    if (pending !== null) await (pending as Promise<number>).catch(() => 0);
    await fh.close();
  }
}

/** Reads `length` bytes at `position` into buf[offset..], looping over short reads; returns bytes read. */
async function readFully(fh: RangeReader, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, offset + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}
