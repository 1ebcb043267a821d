import { isAscii, isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import { TextDecoder } from 'node:util';
import { ENCODING_WINDOW, utf16ByteOrder, withoutCutCharacter } from '@batchcast/bytes';
import { FormatError } from './errors.js';

/**
 * The text encodings delimited text is read in: detected (utf-8, windows-1252, utf-16le, utf-16be) or the WHATWG
 * name of one the submitter chose (encodingOfLabel in @batchcast/bytes). Everything after this step sees UTF-8.
 */
export type TextEncodingName = string;

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Converts delimited text to UTF-8 on its way into the store, as the program that saved it wrote it:
 *
 * - **UTF-8** (with or without a BOM) passes through untouched: the CSV scanner validates it, and an invalid
 *   byte after UTF-8 text is refused there, naming its line (a file that mixes encodings).
 * - **Windows-1252**: Excel's "CSV (Comma delimited)" and "CSV (semicolon)" on Windows in Western locales,
 *   and most older exports (Latin-1 reads the same for every printable character). Its letters beyond ASCII
 *   (é, ß, €) are single bytes that are not valid UTF-8.
 * - **UTF-16** with a byte order mark: Excel's "Unicode Text" (tab-separated). Written out with a UTF-8 BOM,
 *   so the results, which keep the input's BOM, open in Excel as UTF-8.
 *
 * How the encoding is told: a UTF-16 BOM at the start says UTF-16. Otherwise, bytes are ASCII (the same in
 * both) until the first byte of 0x80 or above; the ENCODING_WINDOW bytes from there decide: valid UTF-8 (a
 * character the window cuts at its end aside) means UTF-8, anything else Windows-1252 from that byte on. A
 * Windows-1252 text whose first non-ASCII letters happen to form valid UTF-8 (`Ã©`, itself garbled text) is
 * the one case read wrongly. An all-ASCII file costs one `isAscii` per piece.
 *
 * A `chosen` encoding (a WHATWG name) replaces detection, for what it cannot tell: Mac Roman, ISO-8859-15, Shift_JIS,
 * UTF-16 without a byte order mark… The text is decoded strictly: a byte sequence that encoding does not have is
 * refused, naming where, rather than read as U+FFFD; a UTF-8 or UTF-16 byte order mark that says otherwise too.
 */
export class TextToUtf8 extends Transform {
  private decided: TextEncodingName | null = null;
  private decoder: TextDecoder | null = null;
  /** The first bytes, until there are two to look for a UTF-16 BOM in. */
  private start: Buffer | null = Buffer.alloc(0);
  /** From the first non-ASCII byte on, until ENCODING_WINDOW bytes of it (or the end) are here. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** Bytes of input taken, for messages. */
  private taken = 0;

  constructor(private readonly chosen: TextEncodingName | null = null) {
    super();
  }

  /** The encoding the text was read in; null until known (always known once the stream has ended). */
  get encoding(): TextEncodingName | null {
    return this.decided;
  }

  override _transform(piece: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.receive(piece, false);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.receive(Buffer.alloc(0), true);
      if (this.decoder) this.pushText(this.decode(undefined, false));
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  private receive(piece: Buffer, last: boolean): void {
    if (this.start !== null) {
      // Copied only when a first piece of one byte is waiting (the first piece is usually a MiB).
      const first = this.start.length === 0 ? piece : Buffer.concat([this.start, piece]);
      if (first.length < 2 && !last) {
        this.start = first;
        return;
      }
      this.start = null;
      piece = first;
      if (this.chosen !== null) {
        this.choose(this.chosen, first);
        return;
      }
      const utf16 = utf16ByteOrder(first);
      if (utf16 !== null) {
        this.utf16(utf16, first);
        return;
      }
    }
    if (this.decoder) {
      this.taken += piece.length;
      // A Windows-1252 file is mostly ASCII: a piece without a letter beyond it is the same bytes in UTF-8 (a
      // single-byte decoder holds nothing between pieces). Decoding every piece cost 3.2 ns a byte.
      if (this.decided === 'windows-1252' && isAscii(piece)) this.push(piece);
      else this.pushText(this.decode(piece, true));
      return;
    }
    if (this.decided === 'utf-8') {
      this.push(piece);
      return;
    }
    if (this.heldBytes === 0) {
      if (isAscii(piece)) {
        this.taken += piece.length;
        if (piece.length > 0) this.push(piece);
        if (last) this.decided = 'utf-8';
        return;
      }
      let p = 0;
      while (piece[p]! < 0x80) p++;
      this.taken += p;
      if (p > 0) this.push(piece.subarray(0, p));
      piece = piece.subarray(p);
    }
    if (piece.length > 0) {
      this.held.push(piece);
      this.heldBytes += piece.length;
    }
    if (this.heldBytes >= ENCODING_WINDOW || last) this.decide(last);
  }

  /** Decides from the window of held bytes, then hands them on the decided way. */
  private decide(last: boolean): void {
    const held = Buffer.concat(this.held);
    this.held = [];
    this.heldBytes = 0;
    const window = held.subarray(0, ENCODING_WINDOW);
    // A window that ends before the file does may cut its last character in two: that part is not judged.
    const cut = !last || held.length > ENCODING_WINDOW;
    if (isUtf8(cut ? withoutCutCharacter(window) : window)) {
      this.decided = 'utf-8';
      this.taken += held.length;
      this.push(held);
      return;
    }
    this.decided = 'windows-1252';
    this.decoder = new TextDecoder('windows-1252');
    this.taken += held.length;
    this.pushText(this.decode(held, true));
  }

  /** Reads the text in the encoding chosen, from its first bytes on. */
  private choose(chosen: TextEncodingName, first: Buffer): void {
    const mark = utf16ByteOrder(first) ?? (first.subarray(0, 3).equals(UTF8_BOM) ? 'utf-8' : null);
    if (mark !== null && mark !== chosen) {
      throw new FormatError(
        'invalid_text',
        `the file starts with the byte order mark of ${mark.toUpperCase()} text, not ${chosen}: leave the encoding to be detected, or choose ${mark}`,
      );
    }
    if (chosen === 'utf-8') {
      // The CSV scanner checks UTF-8 as it reads, naming the line of a byte that is not.
      this.decided = 'utf-8';
      this.taken += first.length;
      this.push(first);
      return;
    }
    if (chosen === 'utf-16le' || chosen === 'utf-16be') {
      this.utf16(chosen, first);
      return;
    }
    this.decided = chosen;
    this.decoder = new TextDecoder(chosen, { fatal: true });
    this.taken += first.length;
    this.pushText(this.decode(first, true));
  }

  private utf16(encoding: 'utf-16le' | 'utf-16be', first: Buffer): void {
    this.decided = encoding;
    // fatal: a lone surrogate or an odd last byte is a damaged file, refused rather than read with U+FFFD.
    this.decoder = new TextDecoder(encoding, { fatal: true });
    this.push(UTF8_BOM);
    this.taken += first.length;
    this.pushText(this.decode(first, true));
  }

  /**
   * Pieces are decoded with `stream: true`, which also matters for Windows-1252: Node 20's TextDecoder decodes a
   * call without it as Latin-1 (0x80 becomes U+0080, not €), a fast path its streaming calls do not take.
   */
  private decode(bytes: Buffer | undefined, stream: boolean): string {
    try {
      return this.decoder!.decode(bytes, { stream });
    } catch {
      if (this.chosen !== null) {
        throw new FormatError(
          'invalid_text',
          stream
            ? `the file holds bytes that are not ${this.chosen} text before byte ${this.taken}: it was saved in another encoding (or is damaged); choose the one it was saved in, or leave the encoding to be detected`
            : `the file ends in the middle of a ${this.chosen} character: it is truncated, or in another encoding; upload the whole file, or choose the encoding it was saved in`,
        );
      }
      const what = this.decided === 'utf-16le' ? 'UTF-16 (little-endian)' : 'UTF-16 (big-endian)';
      throw new FormatError(
        'invalid_text',
        stream
          ? `the file is ${what} text but holds bytes that are not UTF-16 before byte ${this.taken}; it may be damaged: save it again, as "CSV UTF-8" if you can`
          : `the file is ${what} text but ends in the middle of a character: it is truncated; upload the whole file, or save it as "CSV UTF-8"`,
      );
    }
  }

  private pushText(text: string): void {
    if (text.length > 0) this.push(Buffer.from(text, 'utf8'));
  }
}
