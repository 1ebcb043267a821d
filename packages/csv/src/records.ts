import { dialectBytes } from './dialect.js';
import { openSource } from './source.js';
import type { ByteSource, CsvDialect } from './types.js';

// Byte values, declared in this module on purpose: V8 does not constant-fold IMPORTED bindings, and in
// the per-byte loops an imported constant costs a load and a check per use (the parse was 30% slower).
const CR = 0x0d;
const LF = 0x0a;
const QUOTE = 0x22;

export interface ReadRecordsOptions {
  /** Byte offset of the first record (a chunk's `start`, or the layout's `dataStart`). */
  start: number;
  /** Byte offset just past the last record (exclusive). */
  end: number;
  /** Bytes per read (default 1 MiB); a block grows only for a record larger than that. */
  highWaterMark?: number;
  /** The file's dialect (a CsvLayout qualifies); only the delimiter matters here. Default `,`. */
  dialect?: Partial<CsvDialect> | null;
}

/**
 * Reads the records in the byte range [start, end) of a CSV file, in file order, as raw bytes: each
 * record without its line terminator (LF, CRLF, or a CR at the very end), blank lines skipped — exactly
 * the records CsvScanner counts and readBatches numbers, so the n-th record yielded is row firstRow + n.
 *
 * Yields one array per read block (hundreds to thousands of records) because one promise per record
 * would cost more than the work. The Buffers are views of a block that is never reused, so they stay
 * valid after the next iteration.
 */
export async function* readRecords(source: ByteSource, opts: ReadRecordsOptions): AsyncGenerator<Buffer[]> {
  const { start, end } = opts;
  if (!(start >= 0 && end >= start)) throw new RangeError(`invalid byte range [${start}, ${end})`);
  const blockSize = Math.max(opts.highWaterMark ?? 1024 * 1024, 1);
  const delimiter = dialectBytes(opts.dialect).delimiter;
  const fh = await openSource(source);
  try {
    let carry: Buffer | null = null;
    let filePos = start;
    let eof = end <= start;
    while (!eof || (carry !== null && carry.length > 0)) {
      const carryLen: number = carry === null ? 0 : carry.length;
      // Twice the cut record's size at least, so a huge record is re-scanned a logarithmic number of times.
      const block = Buffer.allocUnsafe(Math.max(blockSize, carryLen * 2));
      if (carry !== null) carry.copy(block, 0);
      let filled: number = carryLen;
      if (!eof) {
        const want = Math.min(block.length - filled, end - filePos);
        const { bytesRead } = await fh.read(block, filled, want, filePos);
        filled += bytesRead;
        filePos += bytesRead;
        if (filePos >= end || bytesRead === 0) eof = true;
      }
      const buf = block.subarray(0, filled);
      const { records, next } = splitRecords(buf, 0, eof, delimiter);
      carry = next < filled ? buf.subarray(next) : null;
      if (records.length > 0) yield records;
      if (eof && carry !== null) {
        // splitRecords consumes everything at eof; this cannot happen, but never loop forever.
        break;
      }
    }
  } finally {
    await fh.close();
  }
}

/**
 * Splits buf[p..] into records (views, terminators removed, blank lines skipped). `eof`: nothing follows
 * `buf`, so an unterminated last line is a record. `delimiter` is the dialect's delimiter byte. Returns the records and the offset of the first byte
 * not consumed (the start of a record cut by the end of `buf`).
 */
export function splitRecords(buf: Buffer, p: number, eof: boolean, delimiter = 0x2c): { records: Buffer[]; next: number } {
  const records: Buffer[] = [];
  const limit = buf.length;
  let quote = buf.indexOf(QUOTE, p);
  while (p < limit) {
    let n = buf.indexOf(LF, p);
    if (quote !== -1 && quote < p) quote = buf.indexOf(QUOTE, p);
    // A record whose bytes hold no quote ends at the next LF; otherwise walk its fields.
    if (quote !== -1 && (n === -1 || quote < n)) n = quotedRecordEnd(buf, p, delimiter);
    if (n === -1) {
      if (!eof) break;
      n = limit;
    }
    let e = n;
    if (e > p && buf[e - 1] === CR) e--;
    if (e > p) records.push(buf.subarray(p, e));
    p = n < limit ? n + 1 : limit;
  }
  return { records, next: p };
}

/**
 * Index of the LF that ends the record starting at buf[p], honouring quoted fields (the rule in
 * fields.ts), or -1 if the record does not end inside buf. Jumps between quotes and line ends.
 */
function quotedRecordEnd(buf: Buffer, p: number, delimiter: number): number {
  const limit = buf.length;
  let i = p;
  for (;;) {
    const n = buf.indexOf(LF, i);
    let q = buf.indexOf(QUOTE, i);
    if (q === -1 || (n !== -1 && n < q)) return n;
    // A quote opens a quoted field only as the first byte of a field.
    if (q === p || buf[q - 1] === delimiter) {
      q++;
      for (;;) {
        q = buf.indexOf(QUOTE, q);
        if (q === -1 || q + 1 >= limit) return -1;
        if (buf[q + 1] !== QUOTE) break;
        q += 2;
      }
    }
    i = q + 1;
  }
}
