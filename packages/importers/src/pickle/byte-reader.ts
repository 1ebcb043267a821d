import { PickleError } from './errors.js';

/**
 * A cursor over the pickle's bytes. Every read checks what is left first, so a length field claiming more than the
 * file holds is a `truncated` error before anything is allocated, never an out-of-range read.
 */
export class ByteReader {
  pos: number;
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Throws `truncated` unless `n` more bytes are present. */
  need(n: number, what: string): void {
    if (n > this.remaining) {
      throw new PickleError(
        'truncated',
        `The file ends in the middle of the model: ${what} needs ${n} bytes at byte ${this.pos} but only ${this.remaining} ` +
          'remain. The upload or copy was probably cut short: save the model again and upload the complete file.',
        this.pos,
      );
    }
  }

  u8(what = 'an opcode'): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /**
   * An unsigned 64-bit length. Anything beyond the file's own length cannot be honest: refused as truncated, with
   * the size the file declares (which may be beyond any real file: a damaged length rather than a short copy).
   */
  u64Length(what: string): number {
    this.need(8, what);
    const at = this.pos;
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(this.remaining)) {
      throw new PickleError(
        'truncated',
        `The file ends in the middle of the model: ${what} at byte ${at} declares ${v} bytes, but only ${this.remaining} remain. ` +
          'The file was cut short (an upload or copy that did not finish) or is damaged: save the model again and upload the complete file.',
        at,
      );
    }
    return Number(v);
  }

  f64be(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }

  /** A view (no copy) of the next `n` bytes. */
  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** The bytes up to the next newline (protocol 0 arguments), without it. */
  line(what: string, maxLength: number): Uint8Array {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.need(this.remaining + 1, what);
    if (end - this.pos > maxLength) {
      throw new PickleError('corrupt', `The pickle's ${what} at byte ${this.pos} is longer than ${maxLength} bytes.`, this.pos);
    }
    const out = this.bytes.subarray(this.pos, end);
    this.pos = end + 1;
    return out;
  }
}
