import { isUtf8 } from 'node:buffer';
import { LF } from './bytes.js';

/**
 * UTF-8 validation of a byte stream that arrives in arbitrary pieces.
 *
 * `buffer.isUtf8` (simdutf) validates hundreds of MB per second, but only whole buffers: a multi-byte
 * character split between two pushes would look invalid at the end of one piece and at the start of
 * the next. So each piece is validated up to its last complete character, and the (at most 3) bytes
 * of an unfinished character are carried into the next piece.
 */
export class Utf8StreamValidator {
  private readonly carry = Buffer.alloc(4);
  private carryLen = 0;
  /** Total length of the sequence whose first bytes are in `carry`. */
  private carryNeed = 0;

  /**
   * Validates buf[from..]. Returns -1 when valid so far, otherwise the index in `buf` of the start of
   * the line segment that holds the first invalid byte (callers turn it into a line number).
   */
  push(buf: Buffer, from: number): number {
    let i = from;
    const end = buf.length;
    if (this.carryLen > 0) {
      while (this.carryLen < this.carryNeed && i < end) {
        const b = buf[i];
        // Anything but a continuation byte here means the carried character was truncated.
        if ((b & 0xc0) !== 0x80) return from;
        this.carry[this.carryLen++] = b;
        i++;
      }
      if (this.carryLen < this.carryNeed) return -1;
      if (!isUtf8(this.carry.subarray(0, this.carryLen))) return from;
      this.carryLen = 0;
    }
    if (i >= end) return -1;
    // Find an unfinished character at the end: look back over at most 3 continuation bytes for its lead.
    let cut = end;
    let need = 0;
    for (let k = end - 1; k >= i && k >= end - 3; k--) {
      const b = buf[k];
      if ((b & 0xc0) === 0x80) continue;
      if (b >= 0xc0) {
        need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
        if (k + need > end) cut = k;
      }
      break;
    }
    if (!isUtf8(buf.subarray(i, cut))) return firstInvalidLine(buf, i, cut);
    if (cut < end) {
      buf.copy(this.carry, 0, cut, end);
      this.carryLen = end - cut;
      this.carryNeed = need;
    }
    return -1;
  }

  /** True when the stream did not end inside a multi-byte character. */
  get complete(): boolean {
    return this.carryLen === 0;
  }
}

/**
 * Start of the first line segment of buf[from, to) that is not valid UTF-8. A multi-byte character never
 * contains the byte 0x0A, so validating line by line finds the failing line exactly. Error path only.
 */
function firstInvalidLine(buf: Buffer, from: number, to: number): number {
  let s = from;
  while (s < to) {
    let e = buf.indexOf(LF, s);
    if (e === -1 || e >= to) e = to;
    if (!isUtf8(buf.subarray(s, e))) return s;
    s = e + 1;
  }
  return from;
}
