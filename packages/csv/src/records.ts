import { open } from 'node:fs/promises';
import { COMMA, CR, LF, QUOTE } from './bytes.js';

export interface ReadRecordsOptions {
  /** Byte offset of the first record (a chunk's `start`, or the layout's `dataStart`). */
  start: number;
  /** Byte offset just past the last record (exclusive). */
  end: number;
  /** Bytes per read (default 1 MiB); a block grows only for a record larger than that. */
  highWaterMark?: number;
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
export async function* readRecords(path: string, opts: ReadRecordsOptions): AsyncGenerator<Buffer[]> {
  const { start, end } = opts;
  if (!(start >= 0 && end >= start)) throw new RangeError(`invalid byte range [${start}, ${end})`);
  const blockSize = Math.max(opts.highWaterMark ?? 1024 * 1024, 1);
  const fh = await open(path, 'r');
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
      const { records, next } = splitRecords(buf, 0, eof);
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
 * `buf`, so an unterminated last line is a record. Returns the records and the offset of the first byte
 * not consumed (the start of a record cut by the end of `buf`).
 */
export function splitRecords(buf: Buffer, p: number, eof: boolean): { records: Buffer[]; next: number } {
  const records: Buffer[] = [];
  const limit = buf.length;
  let quote = buf.indexOf(QUOTE, p);
  while (p < limit) {
    let n = buf.indexOf(LF, p);
    if (quote !== -1 && quote < p) quote = buf.indexOf(QUOTE, p);
    // A record whose bytes hold no quote ends at the next LF; otherwise walk its fields.
    if (quote !== -1 && (n === -1 || quote < n)) n = quotedRecordEnd(buf, p);
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
 * fields.ts), or -1 if the record does not end inside buf.
 */
function quotedRecordEnd(buf: Buffer, p: number): number {
  const limit = buf.length;
  let fieldStart = p;
  let i = p;
  while (i < limit) {
    const b = buf[i];
    if (b === QUOTE && i === fieldStart) {
      let q = i + 1;
      for (;;) {
        q = buf.indexOf(QUOTE, q);
        if (q === -1 || q + 1 >= limit) return -1;
        if (buf[q + 1] === QUOTE) {
          q += 2;
          continue;
        }
        break;
      }
      i = q + 1;
      continue;
    }
    if (b === COMMA) fieldStart = i + 1;
    else if (b === LF) return i;
    i++;
  }
  return -1;
}
