import { isUtf8 } from 'node:buffer';

// Byte values, declared in this module on purpose: V8 does not constant-fold IMPORTED bindings, and in
// the per-byte loops an imported constant costs a load and a check per use (the parse was 30% slower).
const LF = 0x0a;

/**
 * UTF-8 validation of a byte stream that arrives in arbitrary pieces, reporting the exact byte where the
 * stream stops being UTF-8 — the same byte whatever the pieces, so an upload gets the same error however
 * the network cut it.
 *
 * `buffer.isUtf8` (simdutf) validates hundreds of MB per second but only whole buffers, and a character
 * can be split between two pieces. So each piece is validated natively up to its last complete character;
 * the (at most 3) bytes of an unfinished character are checked as a prefix and carried into the next piece.
 * The byte-by-byte decoder below runs only on those few bytes and on the error path.
 */
export class Utf8StreamValidator {
  private readonly pending = Buffer.alloc(4);
  private pendingLen = 0;

  /**
   * Validates buf[from..]. Returns -1 when the stream is valid so far, otherwise the index in `buf` of the
   * first byte at which it is not (a byte that cannot follow what precedes it).
   */
  push(buf: Buffer, from: number): number {
    let i = from;
    const end = buf.length;
    if (this.pendingLen > 0) {
      // Complete the carried character with the first bytes of this piece.
      const have = this.pendingLen;
      const len = sequenceLength(this.pending[0]!);
      const take = Math.min(len - have, end - i);
      buf.copy(this.pending, have, i, i + take);
      const r = firstInvalidByte(this.pending, 0, have + take);
      if (r >= 0) return i + (r - have);
      if (r === INCOMPLETE_AT_END) {
        // Still unfinished (a piece of one or two bytes).
        this.pendingLen = have + take;
        return -1;
      }
      // Complete: skip the bytes of this piece that finished it.
      i += take;
      this.pendingLen = 0;
    }
    if (i >= end) return -1;
    // An unfinished character at the end: its lead is among the last 3 bytes.
    let cut = end;
    for (let k = end - 1; k >= i && k >= end - 3; k--) {
      const b = buf[k]!;
      if ((b & 0xc0) === 0x80) continue;
      if (b >= 0xc0 && k + sequenceLength(b) > end) cut = k;
      break;
    }
    if (!isUtf8(buf.subarray(i, cut))) {
      const r = firstInvalidByte(buf, lineStartOfFailure(buf, i, cut), cut);
      return r >= 0 ? r : cut;
    }
    if (cut < end) {
      const r = firstInvalidByte(buf, cut, end);
      if (r >= 0) return r;
      buf.copy(this.pending, 0, cut, end);
      this.pendingLen = end - cut;
    }
    return -1;
  }

  /** True when the stream did not end inside a multi-byte character. */
  get complete(): boolean {
    return this.pendingLen === 0;
  }
}

/** firstInvalidByte's answer when the bytes end inside a character that is valid so far. */
const INCOMPLETE_AT_END = -2;

/** Length of the sequence a lead byte announces (1 for ASCII and for invalid leads, which fail anyway). */
function sequenceLength(lead: number): number {
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}

/**
 * Decodes buf[s, e) (s at a character boundary) and returns the index of the first byte that makes it
 * invalid UTF-8 (per RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), -1 if valid,
 * or INCOMPLETE_AT_END if it ends inside a character that is valid so far.
 */
export function firstInvalidByte(buf: Uint8Array, s: number, e: number): number {
  let i = s;
  while (i < e) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0)
        lo = 0xa0; // overlong
      else if (b === 0xed) hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0)
        lo = 0x90; // overlong
      else if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else {
      return i;
    }
    for (let k = 1; k <= need; k++) {
      if (i + k >= e) return INCOMPLETE_AT_END;
      const c = buf[i + k]!;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i + k;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * Start of the first line of buf[from, to) that is not valid UTF-8 (a line start is a character
 * boundary: no multi-byte character contains 0x0A). Narrows the byte-by-byte search on the error path.
 */
function lineStartOfFailure(buf: Buffer, from: number, to: number): number {
  let s = from;
  while (s < to) {
    let e = buf.indexOf(LF, s);
    if (e === -1 || e >= to) e = to;
    if (!isUtf8(buf.subarray(s, e))) return s;
    s = e + 1;
  }
  return from;
}
