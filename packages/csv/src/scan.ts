import { countLf } from './bytes.js';
import { ChunkCutter } from './chunks.js';
import { type DetectedDialect, describeDelimiter, detectDialect, isCsvDelimiter, resolveDialect } from './dialect.js';
import { splitRecord } from './fields.js';
import { type HeaderDuplicate, validateHeader } from './header.js';
import { formatBytes, utf16ByteOrder } from '@batchcast/bytes';
import { truncate } from './messages.js';
import { sepLine } from './sep-line.js';
import { SIGNATURE_BYTES, describeBinarySignature } from './signature.js';
import {
  type Chunk,
  CsvFormatError,
  type CsvDecimal,
  type CsvDelimiter,
  type CsvHeadLayout,
  type CsvLayout,
  NO_ROWS_ADVICE,
} from './types.js';
import { Utf8StreamValidator } from './utf8.js';

// Byte values, declared in this module on purpose: V8 does not constant-fold IMPORTED bindings, and in
// the per-byte loops an imported constant costs a load and a check per use (the parse was 30% slower).
const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;
const QUOTE = 0x22;

/** The most columns a CSV header may have: the widest file any upload can be, so the most inputs a model can be fed. */
export const MAX_CSV_COLUMNS = 20_000;
/** The most bytes a CSV header line may have (the upload page checks the same before sending). */
export const MAX_CSV_HEADER_BYTES = 4 * 1024 * 1024;

export interface CsvScannerOptions {
  /** Maximum records per chunk (a chunk is the unit of work of one worker job). */
  chunkRows: number;
  /** Maximum number of header columns (default MAX_CSV_COLUMNS). */
  maxColumns?: number;
  /** Maximum bytes of one field, quotes included (default 1 MiB). */
  maxFieldBytes?: number;
  /** Maximum bytes of the header line (default MAX_CSV_HEADER_BYTES, 4 MiB). */
  maxHeaderBytes?: number;
  /**
   * The file's dialect (default `,` and `.`), or `'auto'`: detectDialect on the first `detectBytes` of the
   * file (the scan waits for them, or for finish()), and wrong_delimiter only when no delimiter is
   * consistent. Explicit choices (the upload's `delimiter`/`decimal` fields) are passed as an object, each
   * part a value or `'auto'` (e.g. `{ delimiter: 'auto', decimal: ',' }`); an absent part is the default.
   */
  dialect?: CsvDialectChoice;
  /** How many first bytes detection looks at (default 64 KiB). */
  detectBytes?: number;
  /**
   * Whether a first line `sep=;` is Excel's delimiter line (default true: see sep-line.ts); false for text no
   * person saved, whose first line is its header whatever it holds (a workbook's canonical CSV).
   */
  sepLine?: boolean;
  /**
   * Hears each chunk as soon as its last record is scanned (the last one during finish()), with the layout
   * known by then (the header and dialect come before any record), so its scoring can start while the rest
   * of the file arrives. The file may still be refused later. It must not throw.
   */
  onChunk?: (chunk: Chunk, layout: CsvHeadLayout) => void;
  /**
   * The file has no header row (the upload's `header=none`): its first line (after blank lines and a `sep=`
   * line) is a record, and the columns are named by position, `column_1`… (headerlessNames), as many as that
   * line has fields. Default false: the first line names the columns.
   */
  headerless?: boolean;
}

/** The names of a header-less file's `count` columns, by position: `column_1`, `column_2`… */
export function headerlessNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `column_${i + 1}`);
}

// Quote state of the byte stream (see fields.ts for the quoting rule).
const OUT = 0;
const IN = 1;
/** Inside a quoted field, just after a `"`: the next byte decides between `""` (literal) and the end. */
const IN_QUOTE_SEEN = 2;

/** A dialect, `'auto'`, or a dialect whose parts may each be `'auto'`. */
export type CsvDialectChoice = 'auto' | { delimiter?: CsvDelimiter | 'auto'; decimal?: CsvDecimal | 'auto' };

const MiB = 1024 * 1024;
const DETECT_BYTES = 64 * 1024;
/**
 * The first bytes of a record kept while it spans pieces, to name the column of a field_too_large: a field that
 * starts further into its record is said by row only (the same whatever the pieces).
 */
const RECORD_HEAD = 256 * 1024;

/**
 * One pass over an upload's bytes, fed in order while they stream to disk, that learns the file's layout
 * (header, line ending, record count, chunk byte ranges) and rejects files that cannot be processed,
 * without keeping the file: memory is bounded by the header plus a few bytes of state.
 *
 * Speed: the scan runs during the upload, on the web process, for files of hundreds of MB. Stretches
 * without a `"` are handled with `Buffer.indexOf` (memchr, native) for line ends only; records holding a
 * quote are walked from quote to quote, also with indexOf; only the header is read byte by byte. UTF-8
 * and NUL checks are native too (buffer.isUtf8, indexOf). Measured: ~0.06 s of CPU for 281 MB.
 *
 * Results do not depend on how the bytes are cut into pieces — including WHICH error is reported when a
 * file has several problems: problems are reported in file order (see consume()).
 *
 * Errors are thrown by push() as soon as they are visible (binary signature in the first bytes, a NUL,
 * invalid UTF-8, an oversized field or header) and otherwise by finish(). After an error, every further
 * call rethrows it.
 */
export class CsvScanner {
  private readonly chunks: ChunkCutter;
  private readonly maxColumns: number;
  private readonly maxFieldBytes: number;
  private readonly maxHeaderBytes: number;
  private readonly utf8 = new Utf8StreamValidator();
  /** Whether the dialect (or a part of it) is detected, and the part the user chose, if any. */
  private readonly auto: boolean;
  private readonly autoDelimiter: boolean;
  private readonly chosenDelimiter: CsvDelimiter | undefined;
  private readonly chosenDecimal: CsvDecimal | undefined;
  private readonly holdBytes: number;
  private readonly readsSepLine: boolean;
  /** The file has no header row (CsvScannerOptions.headerless). */
  readonly headerless: boolean;
  private delimiter: CsvDelimiter;
  private decimal: CsvDecimal;
  /** The delimiter byte. */
  private delim: number;
  private detected: DetectedDialect | null = null;
  /** The decimal separator was detected from a sample that decided nothing, lines of the file unseen. */
  private decimalUndecided = false;
  /** The detection's cell that read both ways, when nothing else decided the decimal separator. */
  private decimalAmbiguous: string | undefined;

  /** The first bytes are held back until SIGNATURE_BYTES are known, to check signatures and the BOM. */
  private head: Buffer[] | null = [];
  private headLen = 0;
  private bom = false;
  /** Where a first line `sep=;` ends (its LF's offset + 1), or -1: that line is skipped like a blank one. */
  private sepEnd = -1;

  /** Absolute offset of byte 0 of the piece being consumed. */
  private base = 0;
  /** Bytes consumed so far (the file size at finish()). */
  private bytes = 0;
  /** 1-based line number of the byte being consumed (physical lines: every LF counts). */
  private line = 1;
  private quote = OUT;
  /** Line where the open quoted field started, for unterminated_quote. */
  private quoteLine = 0;
  /** Whether the current field started with a quote (its size error then names quoteLine). */
  private fieldQuoted = false;
  /** Absolute offset of the first line break inside the current quoted field, or -1 (none seen). */
  private quotedLfAt = -1;
  /** The piece being consumed (byte 0 at `base`), and the first bytes (RECORD_HEAD at most) of a record begun before it. */
  private piece: Buffer = Buffer.alloc(0);
  private recordHead: Buffer | null = null;
  /**
   * Absolute offset where the current field starts. Exact at every record start and at the end of every
   * piece; between them, in quote-free regions, it may lag (a lower bound), which only makes the cheap
   * per-record size check conservative: an exact comma-by-comma check runs when it fails.
   */
  private fieldStart = 0;
  /** Absolute offset where the current line starts. */
  private recordStart = 0;
  /** Last byte of the previous piece (to see a CR that precedes an LF across pieces). */
  private prevByte = LF;

  private inHeader = true;
  private headerParts: Buffer[] = [];
  private headerLine = 1;
  private headerCommas = 0;
  /** A CR ended the previous piece inside the header: the next byte must be LF. */
  private headerCrPending = false;
  private header: string[] = [];
  /** Names of the header equal to an earlier one (renamed in `header`, as pandas renames them). */
  private duplicates: HeaderDuplicate[] = [];
  private newline: '\n' | '\r\n' = '\n';

  private failure: CsvFormatError | null = null;
  private finished = false;

  constructor(opts: CsvScannerOptions) {
    const onChunk = opts.onChunk;
    // A chunk closes right after a record's LF was counted: this.line is then the line of the next byte.
    this.chunks = new ChunkCutter(opts.chunkRows, onChunk && ((chunk) => onChunk(chunk, this.headLayout())), () => this.line);
    this.maxColumns = opts.maxColumns ?? MAX_CSV_COLUMNS;
    this.maxFieldBytes = opts.maxFieldBytes ?? MiB;
    this.maxHeaderBytes = opts.maxHeaderBytes ?? MAX_CSV_HEADER_BYTES;
    const choice = opts.dialect === 'auto' ? { delimiter: 'auto' as const, decimal: 'auto' as const } : (opts.dialect ?? {});
    this.autoDelimiter = choice.delimiter === 'auto';
    this.auto = this.autoDelimiter || choice.decimal === 'auto';
    this.chosenDelimiter = choice.delimiter === 'auto' ? undefined : choice.delimiter;
    this.chosenDecimal = choice.decimal === 'auto' ? undefined : choice.decimal;
    // Checked now when nothing is left to detect (an impossible choice is the caller's RangeError).
    const dialect = this.auto
      ? { delimiter: this.chosenDelimiter ?? ',', decimal: '.' as const }
      : resolveDialect({ delimiter: this.chosenDelimiter, decimal: this.chosenDecimal });
    this.delimiter = dialect.delimiter;
    this.decimal = dialect.decimal;
    this.delim = this.delimiter.charCodeAt(0);
    this.readsSepLine = opts.sepLine ?? true;
    this.headerless = opts.headerless ?? false;
    // Held back before scanning: a signature, or a BOM and a whole `sep=;` line (3 + 7 bytes), or detection's sample.
    const held = Math.max(SIGNATURE_BYTES, this.readsSepLine ? 10 : 0);
    this.holdBytes = this.auto ? Math.max(opts.detectBytes ?? DETECT_BYTES, held) : held;
  }

  /** What detection concluded (with `dialect: 'auto'`, once the first bytes were seen), else null. */
  get detectedDialect(): DetectedDialect | null {
    return this.detected;
  }

  /**
   * The header's column names once its line has ended (after the dialect was detected: the names are those
   * finish() gives), else null: the upload checks them against the model while the rest of the file arrives.
   */
  get headerNames(): readonly string[] | null {
    return this.inHeader ? null : this.header;
  }

  /** The header's names equal to an earlier one (renamed in headerNames), once its line has ended. */
  get headerDuplicates(): readonly HeaderDuplicate[] {
    return this.duplicates;
  }

  /** Feeds the next piece of the file. Throws CsvFormatError as soon as the file is known to be unusable. */
  push(buf: Buffer): void {
    if (this.failure) throw this.failure;
    if (this.finished) throw new Error('CsvScanner.push() called after finish()');
    if (buf.length === 0) return;
    try {
      if (this.head) {
        // Copied: the caller may reuse its buffer after push() returns (only the first few bytes wait here).
        this.head.push(Buffer.from(buf));
        this.headLen += buf.length;
        if (this.headLen >= this.holdBytes) this.startBody(false);
        return;
      }
      this.consume(buf, 0);
    } catch (err) {
      if (err instanceof CsvFormatError) this.failure = err;
      throw err;
    }
  }

  /** Ends the scan and returns the layout, or throws CsvFormatError. */
  finish(): CsvLayout {
    if (this.failure) throw this.failure;
    if (this.finished) throw new Error('CsvScanner.finish() called twice');
    try {
      return this.finishScan();
    } catch (err) {
      if (err instanceof CsvFormatError) this.failure = err;
      throw err;
    }
  }

  private finishScan(): CsvLayout {
    if (this.head) {
      if (this.headLen > 0) this.startBody(true);
      else this.head = null;
    }
    this.finished = true;
    if (this.bytes === 0 || (this.bom && this.bytes === 3)) {
      throw new CsvFormatError(
        'empty_file',
        'the file is empty: choose the file that holds your data (a header row naming the columns, then a row per record)',
        1,
      );
    }
    if (!this.utf8.complete) {
      throw new CsvFormatError(
        'invalid_utf8',
        `the file ends in the middle of a character (line ${this.line}); it is truncated or not UTF-8 text — save it as "CSV UTF-8"`,
        this.line,
      );
    }
    if (this.quote === IN) {
      throw new CsvFormatError(
        'unterminated_quote',
        `a quoted value that starts on line ${this.quoteLine} is never closed: a closing '"' is missing ` +
          `(a quote inside a quoted value must be doubled: "")`,
        this.quoteLine,
      );
    }
    const end = this.bytes;
    if (this.recordStart < end) {
      // The last line has no line ending: it is a record unless it is blank. (Its sizes were checked at
      // the end of the last piece.)
      const blank = end - this.recordStart === 1 && this.prevByte === CR;
      if (!blank) {
        if (this.inHeader) {
          this.finishHeader(Buffer.concat(this.headerParts), false);
          if (this.headerless) this.chunks.add(this.recordStart, end);
        } else {
          this.chunks.add(this.recordStart, end);
        }
      }
    }
    if (this.inHeader && this.headerless) {
      throw new CsvFormatError('no_rows', `the file holds only blank lines, no data rows${NO_ROWS_ADVICE}`, 1);
    }
    if (this.inHeader) {
      throw new CsvFormatError(
        'no_header',
        this.sepEnd === -1
          ? 'the file has no header: it contains only blank lines (the first line must hold the column names)'
          : 'the file has no header: after its "sep=" line it holds only blank lines (the next line must hold the column names)',
        1,
      );
    }
    if (this.chunks.rows === 0) {
      throw new CsvFormatError(
        'no_rows',
        `the file has a header (line ${this.headerLine}) but no data rows${NO_ROWS_ADVICE}`,
        this.headerLine,
      );
    }
    return { ...this.headLayout(), bytes: this.bytes, rows: this.chunks.rows, chunks: this.chunks.finish() };
  }

  /** The layout as far as it is known once the first record was seen. */
  private headLayout(): CsvHeadLayout {
    const layout: CsvHeadLayout = { header: this.header, bom: this.bom, newline: this.newline, dataStart: this.chunks.dataStart };
    // Only a dialect other than the default is written down: the layout of a plain CSV stays what it was
    // (stored layouts, and everything comparing them, are unchanged).
    if (this.delimiter !== ',') layout.delimiter = this.delimiter;
    if (this.decimal !== '.') layout.decimal = this.decimal;
    if (this.decimalUndecided) layout.decimalUndecided = true;
    if (this.decimalAmbiguous !== undefined) layout.decimalAmbiguous = this.decimalAmbiguous;
    if (this.duplicates.length > 0) layout.duplicateColumns = this.duplicates;
    if (this.headerless) layout.headerless = true;
    return layout;
  }

  /** Checks the held-back first bytes (signatures, UTF-16, BOM, the dialect when detected), then scans them. */
  private startBody(complete: boolean): void {
    const first = Buffer.concat(this.head!);
    this.head = null;
    const what = describeBinarySignature(first);
    if (what !== null) {
      throw new CsvFormatError('binary_file', `this looks like ${what}, not a CSV file`, 1);
    }
    if (utf16ByteOrder(first) !== null) {
      throw new CsvFormatError(
        'invalid_utf8',
        'the file is UTF-16 text (Excel "Unicode Text"); save it as "CSV UTF-8 (comma delimited)"',
        1,
      );
    }
    let from = 0;
    if (first.length >= 3 && first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf) {
      this.bom = true;
      from = 3;
    }
    // Excel's `sep=;` first line: its delimiter, unless one was chosen, and the header on the next line.
    const sep = this.readsSepLine ? sepLine(first, from) : null;
    let sampleFrom = from;
    let sepDelimiter: CsvDelimiter | undefined;
    if (sep) {
      if (!isCsvDelimiter(sep.delimiter)) {
        throw new CsvFormatError(
          'wrong_delimiter',
          `the file's first line, "sep=${sep.delimiter}", says its columns are separated by ${describeDelimiter(sep.delimiter)}; ` +
            "batchcast reads files separated by ',' ';' tab or '|': save it with one of those",
          1,
        );
      }
      this.sepEnd = from + sep.length;
      sampleFrom = this.sepEnd;
      sepDelimiter = sep.delimiter;
      if (!this.auto && this.chosenDelimiter === undefined) this.setDelimiter(sep.delimiter);
    }
    if (this.auto) {
      this.detect(
        first.subarray(sampleFrom, Math.min(first.length, this.holdBytes)),
        complete && first.length <= this.holdBytes,
        this.chosenDelimiter ?? sepDelimiter,
      );
    }
    this.recordStart = this.fieldStart = from;
    this.consume(first, from);
  }

  /** Detection on exactly the first holdBytes (whatever the pieces were), so the outcome never depends on them. */
  private detect(sample: Buffer, complete: boolean, delimiter: CsvDelimiter | undefined): void {
    const found = detectDialect(sample, { complete, delimiter, decimal: this.chosenDecimal });
    this.detected = found;
    if (found.confidence === 'none') {
      throw new CsvFormatError(
        'wrong_delimiter',
        `${found.reason}; ${found.advice ?? 'check that every row has as many fields as the header, or choose the delimiter and decimal separator explicitly'}`,
        1,
      );
    }
    this.setDelimiter(found.delimiter);
    this.decimal = found.decimal;
    this.decimalUndecided = found.decimalUndecided === true;
    this.decimalAmbiguous = found.decimalAmbiguous;
  }

  private setDelimiter(delimiter: CsvDelimiter): void {
    this.delimiter = delimiter;
    this.delim = delimiter.charCodeAt(0);
  }

  /**
   * Scans one piece. Problems are reported in file order, whatever the pieces: a NUL or an invalid UTF-8
   * byte at position X is only reported after the bytes before X were scanned (and treated as if a piece
   * ended at X), so an earlier problem (say, an oversized field) wins exactly as it would with other cuts.
   */
  private consume(buf: Buffer, from: number): void {
    this.base = this.bytes;
    this.piece = buf;
    if (this.headerCrPending) {
      this.headerCrPending = false;
      if (this.inHeader && buf[from] !== LF) throw this.crOnlyNewlines();
    }
    let end = buf.length;
    let problem: 'binary_file' | 'invalid_utf8' | null = null;
    const nul = buf.indexOf(NUL, from);
    const bad = this.utf8.push(buf, from);
    if (nul !== -1 || bad !== -1) {
      const isNul = nul !== -1 && (bad === -1 || nul <= bad);
      end = isNul ? nul : bad;
      problem = isNul ? 'binary_file' : 'invalid_utf8';
    }
    let i = from;
    while (i < end) {
      if (this.quote === OUT && !this.inHeader) {
        const q = buf.indexOf(QUOTE, i);
        if (q === -1 || q >= end) {
          this.fastRegion(buf, i, end);
          break;
        }
        // The lines before the one holding the quote have no quote: scan them the fast way.
        const lineStart = q > i ? buf.lastIndexOf(LF, q - 1) + 1 : i;
        if (lineStart > i) {
          this.fastRegion(buf, i, lineStart);
          i = lineStart;
        }
      }
      i = this.inHeader ? this.slowRegion(buf, i, end) : this.quotedRegion(buf, i, end);
    }
    if (problem !== null) {
      // A CR just before the bad byte is not followed by LF either: that was seen first.
      if (this.headerCrPending && this.inHeader) throw this.crOnlyNewlines();
      const line = this.line;
      if (problem === 'binary_file') {
        throw new CsvFormatError(
          'binary_file',
          `the file contains binary data (a NUL byte on line ${line}), not CSV text: if the file is otherwise text, remove ` +
            'that byte (a text editor shows it as NUL or \\0), or export the file again, and upload it again',
          line,
        );
      }
      throw new CsvFormatError(
        'invalid_utf8',
        `line ${line} is not valid UTF-8 text, though the text before it is: the file mixes two text encodings (UTF-8 and another, such as Windows-1252, as when files saved differently are joined); save it again as "CSV UTF-8"`,
        line,
      );
    }
    this.prevByte = buf[end - 1]!;
    if (!this.inHeader) this.keepRecordHead(buf, end);
    this.bytes += end;
  }

  /** At the end of a piece: the first bytes of the record it ends inside, for fieldColumn. */
  private keepRecordHead(buf: Buffer, end: number): void {
    const start = this.recordStart - this.base;
    const head = this.recordHead;
    if (start >= end) this.recordHead = null;
    else if (start >= 0) this.recordHead = Buffer.from(buf.subarray(start, Math.min(end, start + RECORD_HEAD)));
    else if (head !== null && head.length === this.base - this.recordStart && head.length < RECORD_HEAD)
      this.recordHead = Buffer.concat([head, buf.subarray(0, Math.min(end, RECORD_HEAD - head.length))]);
  }

  /**
   * Handles buf[from, to) when it holds no quote and the stream is outside quotes: only line ends matter.
   * One indexOf per line; field sizes are checked per record (a record no longer than maxFieldBytes
   * cannot hold a field that is), comma by comma only when that check fails.
   */
  private fastRegion(buf: Buffer, from: number, to: number): void {
    const base = this.base;
    const max = this.maxFieldBytes;
    let i = from;
    for (;;) {
      const n = buf.indexOf(LF, i);
      if (n === -1 || n >= to) break;
      const abs = base + n;
      if (abs - this.fieldStart > max) this.checkFieldsSlow(buf, i, n);
      this.dataLineEnd(buf, n, abs);
      i = n + 1;
    }
    if (i < to) {
      // The piece ends inside a record: check its fields so far, and make fieldStart exact for the next piece.
      if (base + to - this.fieldStart > max) this.checkFieldsSlow(buf, i, to);
      const c = buf.lastIndexOf(this.delim, to - 1);
      if (c >= i) this.fieldStart = base + c + 1;
    }
  }

  /** Exact field-size check of buf[from, to) (no quotes in it); throws field_too_large. */
  private checkFieldsSlow(buf: Buffer, from: number, to: number): void {
    let i = from;
    for (;;) {
      const c = buf.indexOf(this.delim, i);
      if (c === -1 || c >= to) break;
      this.endField(this.base + c);
      i = c + 1;
    }
    if (this.base + to - this.fieldStart > this.maxFieldBytes) throw this.fieldTooLarge();
  }

  /**
   * Data records that contain a quote, from the start of such a record: jumps from quote to quote and line
   * end with indexOf; the plain stretches between them matter only for their commas (field starts and
   * sizes). Returns the index just after the record's line end, or `len` if the piece ends first.
   */
  private quotedRegion(buf: Buffer, from: number, len: number): number {
    const base = this.base;
    let i = from;
    while (i < len) {
      if (this.quote !== OUT) {
        i = this.skipQuoted(buf, i, len);
        if (i === len) break;
      }
      let q = buf.indexOf(QUOTE, i);
      if (q === -1 || q > len) q = len;
      let n = buf.indexOf(LF, i);
      if (n === -1 || n > len) n = len;
      const stop = Math.min(q, n);
      this.plainSegment(buf, i, stop);
      if (stop === len) {
        i = len;
        break;
      }
      if (stop === n) {
        this.endLine(buf, n);
        return n + 1;
      }
      this.quoteAt(base + q);
      i = q + 1;
    }
    // The piece ends inside a record.
    if (base + len - this.fieldStart > this.maxFieldBytes) throw this.fieldTooLarge();
    return len;
  }

  /**
   * From buf[i] (i < len) inside a quoted field: runs to the first byte after its closing quote, jumping from
   * quote to quote and stepping over each `""`; line breaks on the way are data, but still count as lines for
   * messages. Returns that byte's index (the stream is then outside quotes), or `len` when the piece ends
   * first (the quote state waits for the next piece).
   */
  private skipQuoted(buf: Buffer, i: number, len: number): number {
    for (;;) {
      if (this.quote === IN) {
        let q = buf.indexOf(QUOTE, i);
        if (q >= len) q = -1;
        const lfs = countLf(buf, i, q === -1 ? len : q);
        if (lfs > 0) {
          this.line += lfs;
          if (this.quotedLfAt < 0) this.quotedLfAt = this.base + buf.indexOf(LF, i);
        }
        if (q === -1) return len;
        this.quote = IN_QUOTE_SEEN;
        i = q + 1;
      }
      // Just after a quote: a second one is a literal `"`, anything else follows the closing quote.
      if (i >= len) return len;
      if (buf[i] !== QUOTE) {
        this.quote = OUT;
        return i;
      }
      this.quote = IN;
      i++;
    }
  }

  /** A quote (outside quotes) at absolute offset `abs` opens a quoted field only as the field's first byte; elsewhere it is a character. */
  private quoteAt(abs: number): void {
    if (abs === this.fieldStart) {
      this.quote = IN;
      this.quoteLine = this.line;
      this.fieldQuoted = true;
      this.quotedLfAt = -1;
    }
  }

  /** buf[from, to) holds no quote and no line end: checks field sizes and makes fieldStart exact. */
  private plainSegment(buf: Buffer, from: number, to: number): void {
    if (to <= from) return;
    if (this.base + to - this.fieldStart > this.maxFieldBytes) {
      this.checkFieldsSlow(buf, from, to);
      return;
    }
    const c = buf.lastIndexOf(this.delim, to - 1);
    if (c >= from) {
      this.fieldStart = this.base + c + 1;
      this.fieldQuoted = false;
    }
  }

  /**
   * Byte-by-byte state machine for the header (where every comma is counted and a bare CR is refused).
   * Returns the index just after the first line end it reaches (outside quotes), or `len`.
   */
  private slowRegion(buf: Buffer, from: number, len: number): number {
    const base = this.base;
    for (let i = from; i < len; i++) {
      if (this.quote !== OUT) {
        i = this.skipQuoted(buf, i, len);
        if (i === len) break;
      }
      const b = buf[i]!;
      if (b === this.delim) {
        if (this.inHeader) {
          this.checkHeaderSizes(base + i, base + i);
          this.endField(base + i);
          if (++this.headerCommas >= this.maxColumns) throw this.tooManyColumns();
        } else {
          this.endField(base + i);
        }
      } else if (b === LF) {
        if (this.inHeader) this.endHeaderLine(buf, from, i);
        else this.endLine(buf, i);
        return i + 1;
      } else if (b === QUOTE) {
        this.quoteAt(base + i);
      } else if (b === CR && this.inHeader) {
        if (i + 1 < len) {
          if (buf[i + 1] !== LF) {
            // Sizes first, as a piece ending right after this CR would have checked them.
            this.checkHeaderSizes(base + i + 1, base + i);
            throw this.crOnlyNewlines();
          }
        } else {
          this.headerCrPending = true;
        }
      }
    }
    // The piece ends inside a record.
    if (this.inHeader) {
      // A CR at the very end, outside quotes, may be the header's line ending: not counted as header bytes yet.
      const crEnd = this.quote === OUT && buf[len - 1] === CR;
      this.checkHeaderSizes(base + len, crEnd ? base + len - 1 : base + len);
      // Copied: the caller may reuse its buffer after push() returns.
      if (len > from) this.headerParts.push(Buffer.from(buf.subarray(from, len)));
    } else if (base + len - this.fieldStart > this.maxFieldBytes) {
      throw this.fieldTooLarge();
    }
    return len;
  }

  /**
   * Header checkpoint at absolute offset `abs` (a comma, the line end, a piece end), the header's content
   * ending at `contentEnd`. When both the field and the header are too large, the limit crossed first
   * (lower byte position) is reported, as a scan that checked at every byte would.
   */
  private checkHeaderSizes(abs: number, contentEnd: number): void {
    const fieldOver = abs - this.fieldStart > this.maxFieldBytes;
    const headerOver = contentEnd - this.recordStart > this.maxHeaderBytes;
    if (fieldOver && headerOver) {
      throw this.fieldStart + this.maxFieldBytes < this.recordStart + this.maxHeaderBytes ? this.fieldTooLarge() : this.headerTooLarge();
    }
    if (headerOver) throw this.headerTooLarge();
    if (fieldOver) throw this.fieldTooLarge();
  }

  /** A comma at absolute offset `abs` ends a field. */
  private endField(abs: number): void {
    if (abs - this.fieldStart > this.maxFieldBytes) throw this.fieldTooLarge();
    this.fieldStart = abs + 1;
    this.fieldQuoted = false;
  }

  /** An LF (outside quotes) at buf[i] ends a data line. */
  private endLine(buf: Buffer, i: number): void {
    const abs = this.base + i;
    if (abs - this.fieldStart > this.maxFieldBytes) throw this.fieldTooLarge();
    this.dataLineEnd(buf, i, abs);
  }

  /** The LF at buf[i] (absolute offset `abs`) ends a data line whose fields were checked: a record, unless blank. */
  private dataLineEnd(buf: Buffer, i: number, abs: number): void {
    const lineLen = abs - this.recordStart;
    this.line++;
    // Blank lines (empty, or a lone CR) are not records.
    if (lineLen > 1 || (lineLen === 1 && (i > 0 ? buf[i - 1] : this.prevByte) !== CR)) {
      this.chunks.add(this.recordStart, abs + 1);
    }
    this.recordStart = this.fieldStart = abs + 1;
    this.fieldQuoted = false;
  }

  /** An LF at buf[i] ends a line before or of the header; the line began at buf[from] or earlier. */
  private endHeaderLine(buf: Buffer, from: number, i: number): void {
    const abs = this.base + i;
    const lineLen = abs - this.recordStart;
    const cr = lineLen > 0 && (i > 0 ? buf[i - 1] : this.prevByte) === CR;
    this.checkHeaderSizes(abs, cr ? abs - 1 : abs);
    this.line++;
    if (lineLen === 0 || (lineLen === 1 && cr) || abs + 1 === this.sepEnd) {
      // A blank line before the header, or Excel's `sep=` line.
      this.headerParts = [];
      this.headerCommas = 0;
      this.headerLine = this.line;
    } else {
      this.headerParts.push(buf.subarray(from, i));
      this.finishHeader(Buffer.concat(this.headerParts), cr);
      // A header-less file's first line is its first record, read byte by byte as a header is.
      if (this.headerless) this.chunks.add(this.recordStart, abs + 1);
    }
    this.recordStart = this.fieldStart = abs + 1;
    this.fieldQuoted = false;
  }

  private finishHeader(raw: Buffer, crlf: boolean): void {
    let bytes = raw;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length > this.maxHeaderBytes) throw this.headerTooLarge();
    const names = splitRecord(bytes, { delimiter: this.delimiter });
    if (names.length > this.maxColumns) throw this.tooManyColumns();
    if (this.headerless) {
      // Values, not names: nothing to check of them here (a row of the wrong width fails as a row).
      this.header = headerlessNames(names.length);
    } else {
      const read = validateHeader(names, this.headerLine, this.delimiter, this.autoDelimiter);
      this.header = read.names;
      this.duplicates = read.duplicates;
    }
    this.newline = crlf ? '\r\n' : '\n';
    this.inHeader = false;
    this.headerParts = [];
  }

  /**
   * A field of more than maxFieldBytes, said by its row, line and column, with the cause its bytes show: a quoted
   * value running over line breaks has most likely lost its closing quote (the lines after it read into it);
   * otherwise the value is that large. Said the same whatever pieces the file came in.
   */
  private fieldTooLarge(): CsvFormatError {
    const line = this.fieldQuoted ? this.quoteLine : this.line;
    const limit = formatBytes(this.maxFieldBytes);
    const column = this.fieldColumn();
    let where: string;
    const naming = this.inHeader && !this.headerless;
    if (naming) where = `the header (line ${line}), column ${column! + 1}: its name is`;
    else {
      const name = column === null ? undefined : this.header[column];
      const col = column === null ? '' : `, column ${column + 1}${name === undefined ? '' : ` ("${truncate(name)}")`}`;
      where = `row ${this.chunks.rows + 1} (line ${line})${col}: its value is`;
    }
    const what = naming ? 'a name' : 'a value';
    const fix = naming
      ? 'check that line 1 is the header (the column names)'
      : 'shorten it, or leave that column out of the file if the model does not need it';
    let cause: string;
    if (this.fieldQuoted && this.quotedLfAt >= 0 && this.quotedLfAt - this.fieldStart <= this.maxFieldBytes) {
      cause =
        `it opens with a quote on line ${line} and runs on over line breaks: its closing quote is probably missing, so the ` +
        `lines after it were read as part of it; close the quote (a quote inside a value is written twice, "")`;
    } else {
      const kind = this.fieldQuoted ? 'it is quoted and has no line break' : 'no delimiter or line break ends it';
      cause = `${kind} within ${limit}: ${what} that large is not read; ${fix}`;
    }
    return new CsvFormatError('field_too_large', `${where} larger than ${limit}, the most batchcast reads in one cell; ${cause}`, line);
  }

  /**
   * 0-based column of the field being read: in the header, the delimiters counted so far; in a record, its fields
   * before fieldStart (the bytes kept of it, quotes respected), or null when the field starts past RECORD_HEAD.
   */
  private fieldColumn(): number | null {
    if (this.inHeader) return this.headerCommas;
    const len = this.fieldStart - this.recordStart;
    if (len === 0) return 0;
    if (len > RECORD_HEAD) return null;
    const start = this.recordStart - this.base;
    let prefix: Buffer;
    if (start >= 0) prefix = this.piece.subarray(start, start + len);
    else {
      const head = this.recordHead;
      if (head === null) return null;
      if (head.length >= len) prefix = head.subarray(0, len);
      else if (head.length === -start) prefix = Buffer.concat([head, this.piece.subarray(0, len - head.length)]);
      else return null;
    }
    return splitRecord(prefix, { delimiter: this.delimiter }).length - 1;
  }

  private tooManyColumns(): CsvFormatError {
    return new CsvFormatError(
      'too_many_columns',
      `${this.firstLine()} has more than ${this.maxColumns.toLocaleString('en-US')} columns, the most batchcast reads: ` +
        'keep only the columns the model needs (and those you want back beside the predictions); if the rows of the file ' +
        'are all on one line (its line breaks lost), save it again with one row per line',
      this.headerLine,
    );
  }

  private headerTooLarge(): CsvFormatError {
    return new CsvFormatError(
      'header_too_large',
      `${this.firstLine()} is longer than ${formatBytes(this.maxHeaderBytes)}; ` +
        (this.headerless
          ? 'a first line that long is not read: check that the file has one row per line'
          : 'the first line must hold only the column names'),
      this.headerLine,
    );
  }

  /** The first line, as messages about its size name it: the header, or a header-less file's row 1. */
  private firstLine(): string {
    return this.headerless ? `row 1 (line ${this.headerLine})` : `the header (line ${this.headerLine})`;
  }

  private crOnlyNewlines(): CsvFormatError {
    return new CsvFormatError(
      'unsupported_newline',
      `line ${this.line} ends with a bare carriage return (old Mac line endings, e.g. Excel "CSV (Macintosh)"); ` +
        'save the file as "CSV UTF-8 (comma delimited)"',
      this.line,
    );
  }
}
