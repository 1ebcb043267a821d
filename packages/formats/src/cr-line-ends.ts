import { Transform, type TransformCallback } from 'node:stream';

const CR = 0x0d;
const LF = 0x0a;

/**
 * Text whose lines end with a bare carriage return (old Mac line ends: Excel for Mac's "CSV (Macintosh)", files
 * from classic Mac OS) made into text whose lines end with LF, as pandas reads it: each CR not followed by LF
 * becomes an LF, byte for byte (the text keeps its length, so positions do not move). Decided by the file's first
 * line end: a file whose first line ends with LF or CRLF passes through untouched (a bare CR in it stays what it
 * is: a quoted cell's content, or an error the reader names). `converted` says, once the text has ended, whether
 * the lines were so.
 */
export class CrLineEnds extends Transform {
  private mode: 'undecided' | 'cr' | 'as-is' = 'undecided';
  /** A CR ended the last piece: whether it is a line end of its own depends on the next byte. */
  private pendingCr = false;

  /** Whether the text's lines ended with a bare CR (and were converted). */
  get converted(): boolean {
    return this.mode === 'cr';
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let buf = chunk;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (this.mode === 'undecided') this.mode = buf[0] === LF ? 'as-is' : 'cr';
      this.push(Buffer.from([this.mode === 'cr' && buf[0] !== LF ? LF : CR]));
    }
    if (this.mode === 'undecided') {
      const cr = buf.indexOf(CR);
      const lf = buf.indexOf(LF);
      if (lf !== -1 && (cr === -1 || lf < cr)) this.mode = 'as-is';
      else if (cr !== -1 && cr + 1 < buf.length) this.mode = buf[cr + 1] === LF ? 'as-is' : 'cr';
    }
    if (this.mode === 'as-is' || (this.mode === 'undecided' && buf[buf.length - 1] !== CR)) {
      done(null, buf);
      return;
    }
    // A CR at the end waits for the next byte (undecided: it may be the first line's end).
    if (buf[buf.length - 1] === CR) {
      this.pendingCr = true;
      buf = buf.subarray(0, buf.length - 1);
    }
    if (this.mode === 'cr') buf = bareCrToLf(buf);
    done(null, buf);
  }

  override _flush(done: TransformCallback): void {
    if (this.pendingCr) {
      if (this.mode === 'undecided') this.mode = 'cr';
      this.push(Buffer.from([this.mode === 'cr' ? LF : CR]));
    }
    done();
  }
}

/** `buf` with each CR not followed by LF made an LF: a copy when there is one, `buf` itself otherwise. */
function bareCrToLf(buf: Buffer): Buffer {
  let i = buf.indexOf(CR);
  if (i === -1) return buf;
  const out = Buffer.from(buf);
  for (; i !== -1; i = out.indexOf(CR, i + 1)) if (i + 1 >= out.length || out[i + 1] !== LF) out[i] = LF;
  return out;
}
