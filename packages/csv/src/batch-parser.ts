import { booleanNumber } from './boolean-text.js';
import { coerceCell, isFailure } from './coerce.js';
import { dialectBytes } from './dialect.js';
import { splitRecord } from './fields.js';
import { FLOAT_SKIP, FLOAT_STORE, type FloatRecordPlan, parseFloatRecords } from './float-record.js';
import { otherDecimalAdvice, truncate } from './messages.js';
import { RowFailure } from './row-failure.js';
import { allocateTarget, clearTarget, neutraliseRow } from './target-data.js';
import { WasmFloatKernel } from './wasm-float-kernel.js';
import { type NumberSlot, scanDecimal, scanDecimalGeneral, scanPlainDecimal } from './parse-number.js';
import type { CellType, ColumnTarget, CsvDecimal, CsvDelimiter, CsvDialect, RecordBatch, RowError, TargetData } from './types.js';

// Byte values, declared in this module on purpose: V8 does not constant-fold IMPORTED bindings, and in
// the per-byte loops an imported constant costs a load and a check per use (the parse was 30% slower).
const CR = 0x0d;
/** The line of an empty JSON list (ReadBatchesOptions.lists; pandas-values.ts in @batchcast/formats writes it). */
const EMPTY_LIST = Buffer.from('[]');
const LF = 0x0a;
const QUOTE = 0x22;

// What to do with the cells of one CSV column.
const SKIP = 0;
/** One float32/float64 consumer: parsed from bytes straight into the typed array. */
const FLOAT = 1;
/** One int32 consumer: parsed from bytes, checked integral and in range. */
const INT32 = 2;
/** One int64 consumer: as INT32, exact only up to 2^53 (beyond, the text path uses BigInt). */
const INT64 = 3;
/** Anything else (bool, string, a column used by several targets): the cell becomes text first. */
const GENERIC = 4;

interface Consumer {
  target: number;
  slot: number;
  width: number;
  type: CellType;
}

type NumericArray = Float32Array | Float64Array | Int32Array | BigInt64Array;

/** Copy of the first `length` elements (the last batch of a range is shorter than batchSize). */
function shorten(data: TargetData, length: number): TargetData {
  return data.length === length ? data : data.slice(0, length);
}

/** Switches for tests and benchmarks: every path must give the same results. */
export interface BatchParserOptions {
  /** false: never use the all-float fast paths (only the general, cell-by-cell path). */
  fast?: boolean;
  /** false: the JavaScript fast path instead of its WebAssembly twin. */
  wasm?: boolean;
  /**
   * The records are the lists of a JSON file, made CSV one list a line (ReadBatchesOptions.lists): a record with
   * another number of fields than the first says so in the file's own terms, values and lists. Not a test switch.
   */
  lists?: boolean;
  /** The file has no header row (ReadBatchesOptions.headerless): a record's field count is the first row's, not a header's. */
  headerless?: boolean;
}

/**
 * The synchronous core of readBatches: parses records from a block of bytes and coerces the target
 * columns into the typed arrays of the current batch.
 *
 * Hot path (an unquoted numeric cell with a single float consumer): no string, no allocation — the number
 * is parsed from the bytes (scanPlainDecimal) and stored at [row * width + slot]. Unused columns are skipped by
 * looking for the next comma or line feed. Quoted cells, failures and other types take the text path.
 *
 * A record that is cut by the end of the block is abandoned and parsed again from its first byte once
 * more bytes are there (`needMore`); cells already stored for it are simply overwritten, and its error is
 * only recorded when the record is complete, so retrying has no side effect.
 */
export class BatchParser {
  readonly batchSize: number;
  private readonly header: string[];
  private readonly targets: ColumnTarget[];
  private readonly ncols: number;
  private readonly kinds: Uint8Array;
  private readonly colTarget: Int32Array;
  private readonly colSlot: Int32Array;
  private readonly colWidth: Int32Array;
  private readonly consumers: Consumer[][];
  private readonly num: NumberSlot = { value: 0 };
  /** Delimiter and decimal separator bytes of the dialect. */
  private readonly delim: number;
  private readonly dec: number;
  private readonly decimal: CsvDecimal;
  /** Set when every column is skipped or a single float consumer: records then try parseFloatRecord first. */
  private readonly floatPlan: FloatRecordPlan | null;
  /** The WebAssembly twin of parseFloatRecords, when every stored column goes to one target. */
  private readonly kernel: WasmFloatKernel | null;
  /** The records were a JSON file's lists (BatchParserOptions.lists). */
  private readonly lists: boolean;
  /** What a record's field count is held to: the header's, or a header-less file's first row's. */
  private readonly countedBy: string;

  private arrays: TargetData[] = [];
  /** Arrays of a batch its consumer released (RecordBatch.release): the next batch is read into them. */
  private spare: TargetData[] | null = null;
  /** Per CSV column, the typed array its single numeric consumer fills (for the hot path). */
  private colArr: NumericArray[] = [];
  private firstRow = 0;
  /** Records in the current batch. */
  count = 0;
  private errors: RowError[] = [];
  /**
   * The columns of the current batch with a cell a number input read as a true/false word (RecordBatch.booleanWordColumns).
   * A fresh array per batch: a batch taken keeps its own.
   */
  private wordColumns: number[] = [];
  /** The cells of the record being parsed that could not be read, once one could not. */
  private rowError: RowFailure | null = null;
  /** Set by parse() when it stopped at a record cut by the end of the block (and it was not the end). */
  needMore = false;
  /** Records in a row that the fast path gave back to the general path. */
  private fastMisses = 0;
  /** Records left before the fast path is tried again, after many misses (a file full of exponents, say). */
  private fastPause = 0;

  constructor(
    header: string[],
    targets: ColumnTarget[],
    batchSize: number,
    dialect?: Partial<CsvDialect>,
    options: BatchParserOptions = {},
  ) {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    }
    this.batchSize = batchSize;
    this.header = header;
    this.targets = targets;
    this.ncols = header.length;
    this.kinds = new Uint8Array(this.ncols);
    this.colTarget = new Int32Array(this.ncols);
    this.colSlot = new Int32Array(this.ncols);
    this.colWidth = new Int32Array(this.ncols);
    this.consumers = Array.from({ length: this.ncols }, () => []);
    targets.forEach((t, ti) => {
      t.columns.forEach((c, slot) => {
        if (!Number.isInteger(c) || c < 0 || c >= this.ncols) {
          throw new RangeError(`target "${t.name}" uses column ${c}, but the header has ${this.ncols} columns`);
        }
        this.consumers[c]!.push({ target: ti, slot, width: t.columns.length, type: t.type });
      });
    });
    for (let c = 0; c < this.ncols; c++) {
      const list = this.consumers[c]!;
      if (list.length === 0) continue;
      const only = list[0]!;
      this.colTarget[c] = only.target;
      this.colSlot[c] = only.slot;
      this.colWidth[c] = only.width;
      if (list.length > 1) this.kinds[c] = GENERIC;
      else if (only.type === 'float32' || only.type === 'float64') this.kinds[c] = FLOAT;
      else if (only.type === 'int32') this.kinds[c] = INT32;
      else if (only.type === 'int64') this.kinds[c] = INT64;
      else this.kinds[c] = GENERIC;
    }
    const bytes = dialectBytes(dialect);
    this.delim = bytes.delimiter;
    this.dec = bytes.decimal;
    this.decimal = bytes.decimal === 0x2c ? ',' : '.';
    this.lists = options.lists === true;
    this.countedBy = options.headerless ? 'the first row' : 'the header';
    const allFloat = options.fast !== false && this.kinds.every((k) => k === SKIP || k === FLOAT);
    this.floatPlan = allFloat
      ? {
          ncols: this.ncols,
          kinds: this.kinds.map((k) => (k === FLOAT ? FLOAT_STORE : FLOAT_SKIP)),
          single: null,
          singleWidth: 0,
          row: 0,
          colArr: [],
          colWidth: this.colWidth,
          colSlot: this.colSlot,
          delimiter: this.delim,
          decimal: this.dec,
        }
      : null;
    const stored = new Set<number>();
    for (let c = 0; c < this.ncols; c++) if (this.kinds[c] === FLOAT) stored.add(this.colTarget[c]!);
    const only = stored.size === 1 ? targets[[...stored][0]!]! : null;
    this.kernel =
      this.floatPlan !== null && only !== null && options.wasm !== false
        ? WasmFloatKernel.create({
            kinds: this.floatPlan.kinds,
            slots: this.colSlot,
            width: only.columns.length,
            batchSize,
            f64: only.type === 'float64',
            delimiter: this.delim,
            decimal: this.dec,
          })
        : null;
  }

  /** Starts a new, empty batch whose first record has the absolute index `firstRow`. */
  begin(firstRow: number): void {
    this.firstRow = firstRow;
    this.count = 0;
    this.errors = [];
    this.wordColumns = [];
    // Fresh arrays per batch, unless the consumer gave an earlier batch's back: it may still hold the previous
    // batch (e.g. an async inference run). Given back, they are cleared, so a batch starts as a fresh one does.
    const spare = this.spare;
    this.spare = null;
    this.arrays = spare ? spare.map(clearTarget) : this.targets.map((t) => allocateTarget(t.type, this.batchSize * t.columns.length));
    this.colArr = Array.from({ length: this.ncols }, (_, c) =>
      this.kinds[c] === SKIP || this.kinds[c] === GENERIC
        ? (undefined as unknown as NumericArray)
        : (this.arrays[this.colTarget[c]!] as NumericArray),
    );
    const plan = this.floatPlan;
    if (plan !== null) {
      plan.colArr = this.colArr as (Float32Array | Float64Array)[];
      const used = new Set(this.colArr.filter((a) => a !== undefined));
      const only = used.size === 1 ? ([...used][0] as Float32Array | Float64Array) : null;
      plan.single = only;
      plan.singleWidth = only === null ? 0 : this.targets[this.arrays.indexOf(only)]!.columns.length;
    }
  }

  /** The current batch, arrays cut to its record count; its release() gives the arrays back for a later batch. */
  take(): RecordBatch {
    const n = this.count;
    const arrays = this.arrays;
    let released = false;
    return {
      firstRow: this.firstRow,
      count: n,
      data: arrays.map((a, t) => shorten(a, n * this.targets[t]!.columns.length)),
      errors: this.errors,
      booleanWordColumns: this.wordColumns,
      ...(this.decimal === ',' ? { decimal: this.decimal } : {}),
      release: () => {
        // Once only: given twice, the arrays could be handed to two batches at once.
        if (released) return;
        released = true;
        this.spare = arrays;
      },
    };
  }

  /**
   * Parses records from buf[p..] until the batch is full or the bytes run out. `eof`: no bytes follow
   * `buf` (the last record may then lack its line ending). Returns the position after the last complete
   * record consumed; sets `needMore` if it stopped because a record is cut by the end of `buf`.
   */
  parse(buf: Buffer, p: number, eof: boolean): number {
    const limit = buf.length;
    const ncols = this.ncols;
    const kinds = this.kinds;
    const colSlot = this.colSlot;
    const colWidth = this.colWidth;
    const colArr = this.colArr;
    const num = this.num;
    const batchSize = this.batchSize;
    const delim = this.delim;
    const dec = this.dec;
    const plan = this.floatPlan;
    // Records that start before the block's last LF end inside the block (unless a quoted field holds
    // that LF): the fast path may read them without bounds checks of its own.
    const safe = plan === null ? -1 : buf.lastIndexOf(LF, limit - 1);
    const kernel = this.kernel;
    kernel?.reset();
    let count = this.count;
    this.needMore = false;

    records: while (count < batchSize && p < limit) {
      if (p < safe) {
        if (this.fastPause === 0) {
          const before = count;
          if (kernel !== null) {
            p = kernel.parse(buf, p, safe, count, batchSize, plan!.single!);
            count = kernel.row;
          } else {
            p = parseFloatRecords(buf, p, safe, count, batchSize, plan!);
            count = plan!.row;
          }
          // Stopped at the batch's end or the block's last record; otherwise the next record needs the general path.
          if (count === batchSize || p >= safe) continue;
          if (count > before) this.fastMisses = 0;
          // Records the fast path keeps refusing are read twice; after a run of them, stop trying for a while.
          if (++this.fastMisses === 16) {
            this.fastMisses = 0;
            this.fastPause = 256;
          }
        } else {
          this.fastPause--;
        }
      }
      const recStart = p;
      const c0 = buf[p];
      // Blank lines (empty or a lone CR) are not records.
      if (c0 === LF) {
        p++;
        continue;
      }
      if (c0 === CR) {
        if (p + 1 < limit) {
          if (buf[p + 1] === LF) {
            p += 2;
            continue;
          }
        } else if (eof) {
          p++;
          continue;
        } else {
          this.needMore = true;
          break;
        }
      }
      this.rowError = null;
      let f = 0;
      for (;;) {
        // p is the first byte of field f; d becomes the index of the comma or LF after it (or limit).
        const kind = f < ncols ? kinds[f]! : SKIP;
        let d: number;
        // (buf[limit] is undefined, never a quote.)
        if (buf[p] === QUOTE) {
          d = this.quotedField(buf, p, eof, f, kind, count);
        } else if (kind === SKIP) {
          d = p;
          while (d < limit) {
            const b = buf[d];
            if (b === delim || b === LF) break;
            d++;
          }
          if (d === limit && !eof) d = -1;
        } else if (kind === GENERIC) {
          d = this.textField(buf, p, eof, f, kind, count);
        } else if (kind === FLOAT) {
          // The hot path: a plain decimal followed by a comma or LF goes straight into the typed array.
          const s = scanPlainDecimal(buf, p, limit, num, dec);
          const b = s >= 0 && s < limit ? buf[s] : -1;
          if (b === delim || b === LF) {
            (colArr[f] as Float64Array)[count * colWidth[f]! + colSlot[f]!] = num.value;
            d = s;
          } else {
            d = this.numberField(buf, p, eof, f, kind, count, s < 0);
          }
        } else {
          d = this.numberField(buf, p, eof, f, kind, count, false);
        }
        if (d < 0) {
          // The record is cut by the end of the block: retry it whole when more bytes are there.
          p = recStart;
          this.needMore = true;
          break records;
        }
        if (d < limit && buf[d] === delim) {
          f++;
          p = d + 1;
          continue;
        }
        // (The record's bytes go along for a record with another number of fields than the header only.)
        if (f + 1 !== ncols) this.endRecord(f + 1, count, buf.subarray(recStart, Math.min(d, limit)));
        else this.endRecord(f + 1, count);
        p = d < limit ? d + 1 : limit;
        count++;
        break;
      }
    }
    this.count = count;
    return p;
  }

  /**
   * An unquoted cell of a single numeric consumer, off the hot path: CRLF or the end of the data after the
   * number, spaces, exponents, integers, or not a number at all. Returns the delimiter index, or -1 if cut.
   */
  private numberField(buf: Buffer, p: number, eof: boolean, f: number, kind: number, row: number, plainFailed: boolean): number {
    const limit = buf.length;
    const num = this.num;
    // The plain form already failed here (more than 15 digits, say): straight to the general one.
    const s = plainFailed ? scanDecimalGeneral(buf, p, limit, num, this.dec) : scanDecimal(buf, p, limit, num, this.dec);
    let d = -2;
    if (s >= 0) {
      // The number must be the whole cell: followed by the delimiter, LF, CRLF or the end of the data.
      if (s < limit) {
        const b = buf[s];
        if (b === this.delim || b === LF) d = s;
        else if (b === CR) {
          if (s + 1 < limit) {
            if (buf[s + 1] === LF) d = s + 1;
          } else d = eof ? limit : -1;
        }
      } else d = eof ? limit : -1;
    }
    if (d === -1) return -1;
    if (d === -2) return this.textField(buf, p, eof, f, kind, row);
    const idx = row * this.colWidth[f]! + this.colSlot[f]!;
    const v = num.value;
    const arr = this.colArr[f]!;
    if (kind === FLOAT) {
      (arr as Float64Array)[idx] = v;
    } else if (kind === INT32 && (v | 0) === v) {
      (arr as Int32Array)[idx] = v;
    } else if (kind === INT64 && Number.isSafeInteger(v)) {
      (arr as BigInt64Array)[idx] = BigInt(v);
    } else {
      // Not an integer, out of range, beyond 2^53: the text path decides (and names the problem).
      return this.textField(buf, p, eof, f, kind, row);
    }
    return d;
  }

  /** An unquoted cell through the text path. Returns the delimiter index, or -1 if cut. */
  private textField(buf: Buffer, p: number, eof: boolean, f: number, kind: number, row: number): number {
    const limit = buf.length;
    const delim = this.delim;
    let d = p;
    while (d < limit) {
      const b = buf[d];
      if (b === delim || b === LF) break;
      d++;
    }
    if (d === limit && !eof) return -1;
    let e = d;
    // A CR just before the line end (or the end of the data) is part of the line ending.
    if (e > p && buf[e - 1] === CR && (d === limit || buf[d] === LF)) e--;
    if (kind !== SKIP) this.cell(f, kind, buf.toString('utf8', p, e), row);
    return d;
  }

  /** A quoted cell (buf[p] is `"`). Returns the delimiter index, or -1 if cut. */
  private quotedField(buf: Buffer, p: number, eof: boolean, f: number, kind: number, row: number): number {
    const limit = buf.length;
    let q = p + 1;
    let escaped = false;
    for (;;) {
      q = buf.indexOf(QUOTE, q);
      if (q === -1) {
        // Never closed: the scanner rejects such files; here the cell just runs to the end of the data.
        if (!eof) return -1;
        q = limit;
        break;
      }
      if (q + 1 < limit) {
        if (buf[q + 1] === QUOTE) {
          escaped = true;
          q += 2;
          continue;
        }
        break;
      }
      // A quote at the very end of the block: `""` or the closing quote? Only the next byte can tell.
      if (!eof) return -1;
      break;
    }
    let d = Math.min(q + 1, limit);
    const after = d;
    const delim = this.delim;
    while (d < limit) {
      const b = buf[d];
      if (b === delim || b === LF) break;
      d++;
    }
    if (d === limit && !eof) return -1;
    if (kind !== SKIP) {
      let text = buf.toString('utf8', p + 1, Math.min(q, limit));
      if (escaped) text = text.replaceAll('""', '"');
      if (d > after) {
        // Bytes after the closing quote are kept, except a CR that belongs to the line ending.
        let e = d;
        if (buf[e - 1] === CR && (d === limit || buf[d] === LF)) e--;
        if (e > after) text += buf.toString('utf8', after, e);
      }
      this.cell(f, kind, text, row);
    }
    return d;
  }

  /** Coerces one cell's text for every consumer of column f. */
  private cell(f: number, kind: number, text: string, row: number): void {
    const name = this.header[f]!;
    if (kind !== GENERIC) {
      // A single numeric consumer whose fast path did not apply.
      const target = this.targets[this.colTarget[f]!]!;
      this.store(target.type, this.colTarget[f]!, row * this.colWidth[f]! + this.colSlot[f]!, text, name, f);
      return;
    }
    for (const c of this.consumers[f]!) {
      this.store(c.type, c.target, row * c.width + c.slot, text, name, f);
    }
  }

  private store(type: CellType, target: number, idx: number, text: string, column: string, f: number): void {
    const v = coerceCell(type, text, column, this.decimal, 'pandas');
    // A number input read a true/false word as 1/0: the column is noted, so that a typed download looks for words
    // only in columns that hold some (csvResultTypes in @batchcast/jobs). Only here, off the hot path: a number the
    // fast paths read is never a word, and only a 1/0 that came from text is looked at again.
    if (
      (v === 1 || v === 0 || v === 1n || v === 0n) &&
      type !== 'bool' &&
      booleanNumber(text) !== undefined &&
      !this.wordColumns.includes(f)
    ) {
      this.wordColumns.push(f);
    }
    if (isFailure(v)) {
      if (this.rowError === null) this.rowError = new RowFailure(column, truncate(text), v.message);
      else this.rowError.add(column, v.message);
      // A number with the other decimal separator: say how to choose it (a decimal comma needs another delimiter).
      if (v.otherDecimal !== undefined && (v.otherDecimal === '.' || this.delim !== 0x2c)) {
        this.rowError.advise(otherDecimalAdvice(v.otherDecimal));
      }
      return;
    }
    (this.arrays[target] as unknown as Array<unknown>)[idx] = v;
  }

  /**
   * A record with `fields` fields is complete: report its error (if any) and neutralise its slots. `record` is
   * its bytes (without the line feed), given when it has another number of fields than the header.
   */
  private endRecord(fields: number, row: number, record?: Buffer): void {
    let error: RowError | null = null;
    if (fields !== this.ncols) {
      // The field count is reported rather than a cell error: shifted cells are a consequence of it.
      error = { row: this.firstRow + row, column: null, value: null, message: this.fieldCountMessage(fields, record) };
    } else if (this.rowError !== null) {
      error = this.rowError.error(this.firstRow + row);
    }
    if (error === null) return;
    this.errors.push(error);
    this.targets.forEach((t, ti) => {
      neutraliseRow(this.arrays[ti]!, t.columns.length, row);
    });
  }

  /** Why a record of `fields` fields (not the header's count) fails its row, in the words of the file it came from. */
  private fieldCountMessage(fields: number, record: Buffer | undefined): string {
    if (this.lists) {
      // A JSON list of another length than the first (the header-less CSV's first record): no delimiter to blame.
      const values = (n: number) => `${n} value${n === 1 ? '' : 's'}`;
      // An empty list is the line `[]` (pandas-values.ts: a nested empty list is quoted), one field to the reader.
      const empty = record !== undefined && EMPTY_LIST.equals(record[record.length - 1] === CR ? record.subarray(0, -1) : record);
      if (empty)
        return `this list is empty, the first list has ${values(this.ncols)} — every list is a row, its values the columns in order`;
      return (
        `this list has ${values(fields)}, the first list has ${this.ncols} — every list is a row, its values the columns in order` +
        (fields < this.ncols ? ': write null for a missing value' : this.extraFields(record, 'value'))
      );
    }
    return (
      `row has ${fields} fields, ${this.countedBy} has ${this.ncols} — check for an unquoted ${delimiterName(this.delim)}` +
      (fields < this.ncols ? ' or a missing value' : ` inside a value, or one at the end of the row${this.extraFields(record)}`)
    );
  }

  /**
   * The fields of `record` past the header's, quoted for its error: every results file has the header's columns
   * only (a wider row would put its predictions under other columns' names), so the error is where the fields
   * cut from the row are kept, for the row to be fixed and scored again. Text, not bytes: a field cut in the
   * middle of a line break or a quote is shown as splitRecord reads it.
   */
  private extraFields(record: Buffer | undefined, field = 'field'): string {
    if (record === undefined) return '';
    const end = record.length > 0 && record[record.length - 1] === CR ? record.length - 1 : record.length;
    const extra = splitRecord(record.subarray(0, end), { delimiter: String.fromCharCode(this.delim) as CsvDelimiter }).slice(this.ncols);
    const shown = extra.map((field) => JSON.stringify(field)).join(', ');
    const what = `${extra.length === 1 ? `the extra ${field}` : `the ${extra.length} extra ${field}s`}, left out of the results' columns`;
    return shown.length <= EXTRA_FIELDS_SHOWN
      ? `; ${what}: ${shown}`
      : `; ${what} (${shown.length.toLocaleString('en-US')} characters, the first ${EXTRA_FIELDS_SHOWN.toLocaleString('en-US')} here): ${shown.slice(0, EXTRA_FIELDS_SHOWN)}…`;
  }
}

/** At most this many characters of a row's extra fields are quoted in its error (a row can be megabytes long). */
const EXTRA_FIELDS_SHOWN = 2_000;

function delimiterName(b: number): string {
  if (b === 0x2c) return 'comma';
  if (b === 0x3b) return 'semicolon';
  if (b === 0x09) return 'tab';
  return "'|'";
}
