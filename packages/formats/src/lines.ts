import type { ByteSource } from '@batchcast/csv';
import { isBlank } from './jsonl-scan.js';
import { openSource } from './source.js';

const LF = 0x0a;

/**
 * The non-blank lines in [start, end) of a file, in order, without their line ending (LF or CRLF): exactly
 * the records JsonlScanner counts, so the n-th line yielded is row firstRow + n. Yields one array per read
 * block; the Buffers stay valid after the next iteration.
 */
export async function* readLines(source: ByteSource, start: number, end: number, blockSize = 1024 * 1024): AsyncGenerator<Buffer[]> {
  if (!(start >= 0 && end >= start)) throw new RangeError(`invalid byte range [${start}, ${end})`);
  const reader = await openSource(source);
  try {
    let carry: Buffer | null = null;
    let pos = start;
    let eof = end <= start;
    while (!eof) {
      const carryLen = carry === null ? 0 : carry.length;
      const block = Buffer.allocUnsafe(Math.max(blockSize, carryLen * 2));
      if (carry !== null) carry.copy(block, 0);
      const want = Math.min(block.length - carryLen, end - pos);
      const { bytesRead } = await reader.read(block, carryLen, want, pos);
      pos += bytesRead;
      if (pos >= end || bytesRead === 0) eof = true;
      const buf = block.subarray(0, carryLen + bytesRead);
      const lines: Buffer[] = [];
      let p = 0;
      for (;;) {
        const n = buf.indexOf(LF, p);
        if (n === -1) break;
        pushLine(lines, buf.subarray(p, n));
        p = n + 1;
      }
      if (eof) {
        if (p < buf.length) pushLine(lines, buf.subarray(p));
        carry = null;
      } else {
        carry = p < buf.length ? buf.subarray(p) : null;
      }
      if (lines.length > 0) yield lines;
    }
  } finally {
    await reader.close();
  }
}

function pushLine(lines: Buffer[], line: Buffer): void {
  const l = line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, line.length - 1) : line;
  if (!isBlank(l)) lines.push(l);
}
