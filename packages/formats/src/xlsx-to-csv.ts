import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { type ByteSource, type HeaderDuplicate, isMissingMarker, NO_ROWS_ADVICE, unnamedColumn } from '@batchcast/csv';
import { pandasHeader } from '@batchcast/names';
import type { ResultColumnType } from './cell.js';
import { validateColumnNames } from './column-names.js';
import { canonicalField, shortestNumberText } from './csv-text.js';
import { FormatError, truncate } from './errors.js';
import { sourceSize } from './source.js';
import { type NumberKind, serialToIso } from './xlsx-dates.js';
import { firstValueColumn } from './xlsx-first-column.js';
import { readSharedStrings, readStyles, readWorkbook, type SheetRef } from './xlsx-parts.js';
import { columnLetters, parseCellRef, type RawCell, SheetReader } from './xlsx-sheet.js';
import { openZip, type ZipArchive } from './zip.js';

const GiB = 1024 * 1024 * 1024;

/** Data rows below the header in which a refusal of the columns looks for the real header (XlsxSummary.widerRows). */
export const TITLE_ROWS = 8;

export interface XlsxToCsvOptions {
  /** The sheet to read, by name (case-insensitive when no exact match); default: the first visible worksheet. */
  sheet?: string;
  /** Size of the stored file in bytes; required when `source` is not a path. */
  size?: number;
  /** Cap on the sheet's uncompressed XML (a zip bomb must not run forever); default 8 GiB. */
  maxSheetBytes?: number;
  /** Cap on the shared strings' uncompressed XML (they are held in memory); default 1 GiB. */
  maxSharedStringsBytes?: number;
  /** Cap on header columns; default 16384 (Excel's own limit). */
  maxColumns?: number;
  /**
   * The sheet has no header row (the upload's `header=none`): its first row with a value is the first record, and
   * the columns, as far as that row reaches (and any column left of it holding values), are named `column_1`… by
   * position (a first row of formulas without saved values, or of empty strings only, is skipped as an empty one).
   * `headerRow` is then 0.
   */
  headerless?: boolean;
}

/** What the cells of a column held: one kind, `empty` (no value at all) or `mixed`. */
export type XlsxColumnKind = 'number' | 'string' | 'date' | 'bool' | 'empty' | 'mixed';

/** Runs of consecutive sheet rows kept for a sheet's records (XlsxSummary.sheetRows): a few hundred bytes in a job's layout. */
export const MAX_SHEET_ROW_RUNS = 1000;
/** Formula cells without a saved value located for row errors (XlsxSummary.formulaCells); later ones are counted in the notes only. */
export const MAX_FORMULA_CELLS = 1000;

export interface XlsxSummary {
  /** The sheet read. */
  sheet: string;
  /** Every sheet of the workbook, in tab order. */
  sheets: string[];
  /** The workbook's worksheets (sheets with cells, hidden ones too: not chart sheets), in tab order. */
  worksheets: string[];
  /** 1-based sheet row of the header (the first row with a value); 0 for a sheet read without a header row. */
  headerRow: number;
  header: string[];
  /** What each column's data cells held (the header row excluded). */
  columnKinds: XlsxColumnKind[];
  /** The results column type for each input column (numbers as double, dates as date/timestamp...). */
  columnTypes: ResultColumnType[];
  /**
   * The first data rows (at most TITLE_ROWS) that hold more text cells than the header row, with those texts (cells
   * outside the header's columns too): when the header as read is a title ("Quarterly churn report"), the real column
   * names are in one of them, which a refusal of the columns names (the CSV has only the header's columns).
   */
  widerRows: { row: number; texts: string[] }[];
  /**
   * Header names equal (ignoring case) to an earlier one, renamed in `header` as pandas.read_excel renames them
   * (`note.1`): refused (duplicate_column, the message) only when the model reads one of them, as a CSV header's.
   */
  duplicateColumns: HeaderDuplicate[];
  /** Data records written (empty sheet rows are skipped, as blank CSV lines are). */
  rows: number;
  /**
   * Where the data records are on the sheet, for messages about a row ("row 5 (sheet row 7)"): `[record, sheet row]`
   * pairs (0-based record, 1-based sheet row), one where a run of consecutive sheet rows starts (after the header,
   * after empty rows skipped). Null when the sheet has more than MAX_SHEET_ROW_RUNS such runs (rows then go by number).
   */
  sheetRows: [number, number][] | null;
  /**
   * Data cells holding a formula with no saved value (read as empty), for the row errors of a model's column:
   * `[record (0-based), column (0-based), cell ("C7")]`, the first MAX_FORMULA_CELLS of them.
   */
  formulaCells: [number, number, string][];
  /** Bytes of CSV written. */
  bytes: number;
  /** Things the person should know, e.g. formulas without a saved value, cells outside the header's columns. */
  notes: string[];
}

export interface XlsxTranscode {
  /** The canonical CSV (UTF-8, comma, `\n`, RFC 4180 quoting); errors with FormatError. */
  stream: Readable;
  /** Resolves once the stream has ended; rejects with the stream's error. */
  summary: Promise<XlsxSummary>;
}

/**
 * Transcodes one sheet of an .xlsx into canonical CSV, streamed: the zip is read by random access, the
 * sheet XML is parsed as it inflates (saxes), and CSV leaves as each row is read. Memory: the shared
 * string table (bounded by the file) plus one row. The workbook is read twice: a fast pass without XML
 * parsing finds merged cells (Excel stores them after the cells) so a merged header is known first.
 *
 * Cells: numbers as the shortest text that reads back as the same double; dates (number formats that show
 * dates, 1900 or 1904 system) as `YYYY-MM-DD`, date-times as `YYYY-MM-DDTHH:MM:SS`, times as `HH:MM:SS`;
 * booleans `true`/`false`; formulas as their saved value (none saved: empty, and a note); error values
 * as their text: `#N/A` is then a missing value (one of pandas' markers, @batchcast/csv), `#DIV/0!` fails the row
 * of a numeric model input and says why.
 *
 * Header: the first row with a value; its columns run from the sheet's leftmost column holding a value (the
 * index `DataFrame.to_excel` writes under an empty A1 included) to the header's last non-empty cell. An empty
 * header cell names its column `Unnamed: <column from A, 0-based>`, as pandas.read_excel does; a merged header
 * cell names its first column, the others get `<name>_2`, `<name>_3`... Cells right of the header are ignored
 * (with a note). Empty rows are skipped, and so are leading columns without a value anywhere.
 */
export function xlsxToCsv(source: ByteSource, opts: XlsxToCsvOptions = {}): XlsxTranscode {
  let resolve!: (s: XlsxSummary) => void;
  let reject!: (err: unknown) => void;
  const summary = new Promise<XlsxSummary>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Callers may watch only the stream; the rejection is theirs to see there.
  summary.catch(() => undefined);
  async function* run(): AsyncGenerator<Buffer> {
    try {
      const result = yield* transcode(source, opts);
      resolve(result);
    } catch (err) {
      reject(err);
      throw err;
    }
  }
  return { stream: Readable.from(run(), { objectMode: false }), summary };
}

/** A number cell's shortest text that is a whole number int64 holds exactly (within 2^53, as a double holds it). */
const WHOLE_NUMBER = /^-?(0|[1-9][0-9]{0,14})$/;
const NUMBER = 1;
const STRING = 2;
const DATE = 4;
const DATETIME = 8;
const BOOL = 16;

const FLUSH_CHARS = 256 * 1024;

/** Text a `mixed` column's unquoted canonical CSV cell reads back as a number or boolean (readInputRows' mixedCell). */
const READS_AS_TYPED = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false)$/;

interface Merge {
  c1: number;
  c2: number;
}

async function* transcode(source: ByteSource, opts: XlsxToCsvOptions): AsyncGenerator<Buffer, XlsxSummary> {
  const size = await sourceSize(source, opts.size);
  const zip = await openZip(source, size, 'the workbook');
  try {
    const book = await readWorkbook(zip);
    const ref = chooseSheet(book.sheets, opts.sheet);
    const where = `sheet "${ref.name}"`;
    if (!zip.entries.has(ref.path))
      throw new FormatError('invalid_xlsx', `the workbook has no part for ${where}; save it again and upload it`);
    const maxSheet = opts.maxSheetBytes ?? 8 * GiB;
    const styles = await readStyles(zip, book.stylesPath);
    const strings = await readSharedStrings(zip, book.sharedStringsPath, opts.maxSharedStringsBytes ?? GiB);
    const merges = await findFirstRowMerges(zip, ref.path, maxSheet);
    const leftmost = await firstValueColumn(zip, ref.path, maxSheet, strings);

    const notes = new Notes();
    const textOnly = textOnlyOf(strings);
    let header: string[] | null = null;
    let headerRow = 0;
    let first = 0;
    let width = 0;
    let kinds: number[] = [];
    /** Per column, how many of its data cells hold a whole number (WHOLE_NUMBER): every row's makes it int64. */
    let wholeNumbers: number[] = [];
    let rows = 0;
    let sheetRows: [number, number][] | null = [];
    const formulaCells: [number, number, string][] = [];
    let lastSheetRow = 0;
    let headerTexts = 0;
    let duplicateColumns: HeaderDuplicate[] = [];
    const widerRows: { row: number; texts: string[] }[] = [];
    let bytes = 0;
    let out = '';
    // The kind of the cell cellText last read (0 for none).
    let lastKind = 0;

    const cellText = (c: RawCell, row: number, inData: boolean, col: number): string => {
      const v = c.value;
      let text: string;
      let kind = 0;
      switch (c.type) {
        case 's': {
          const s = v === null ? undefined : strings[Number(v)];
          if (s === undefined) {
            notes.add('badString', `${columnLetters(c.col)}${row}`, '');
            text = '';
          } else {
            text = s;
            kind = STRING;
          }
          break;
        }
        case 'inlineStr':
        case 'str':
          text = v ?? '';
          kind = STRING;
          break;
        case 'b':
          text = v === '1' || v === 'true' ? 'true' : v === '0' || v === 'false' ? 'false' : (v ?? '');
          kind = BOOL;
          break;
        case 'e':
          text = v ?? '';
          kind = STRING;
          if (text !== '') notes.add('error', `${columnLetters(c.col)}${row}`, text);
          break;
        case 'd':
          text = (v ?? '').replace(/(\.\d+)?Z$/, '');
          kind = text.includes('T') ? DATETIME : DATE;
          break;
        default: {
          if (v === null || v === '') {
            text = '';
            break;
          }
          const fmt: NumberKind = styles[c.style] ?? 'number';
          const iso = fmt === 'number' ? null : serialToIso(Number(v), fmt, book.date1904);
          if (iso !== null) {
            text = iso;
            kind = fmt === 'date' ? DATE : fmt === 'datetime' ? DATETIME : STRING;
            break;
          }
          const shortest = shortestNumberText(v);
          if (shortest === null) {
            text = v;
            kind = STRING;
          } else {
            text = shortest;
            kind = NUMBER;
          }
        }
      }
      // openpyxl writes an empty <v></v> for a formula it could not compute: no saved value either.
      if (c.formula && (v === null || v === '')) notes.add('formula', `${columnLetters(c.col)}${row}`, '');
      lastKind = kind;
      if (text === '') return '';
      // A missing-value marker (NA, NULL, #N/A…) is a missing value for the model, as an empty cell is: it does not make
      // a column of numbers text (pandas.read_excel reads that column as numbers with NaN).
      if (inData && !(kind === STRING && isMissingMarker(text, 'pandas'))) kinds[col] = kinds[col]! | kind;
      if (inData && kind === NUMBER && WHOLE_NUMBER.test(text)) wholeNumbers[col] = wholeNumbers[col]! + 1;
      return text;
    };

    const onRow = (row: number, cells: RawCell[]): void => {
      if (cells.length > 1 && !ascending(cells)) cells.sort((a, b) => a.col - b.col);
      if (header === null && opts.headerless) {
        // Which cells hold a value, without reading them (their notes are taken once, as data, below).
        const valued = cells.filter((c) =>
          c.type === 's' ? c.value !== null && !!strings[Number(c.value)] : c.value !== null && c.value !== '',
        );
        if (valued.length === 0) return;
        ({ header, first, width } = positionalHeader(valued, row, leftmost, where, opts.maxColumns ?? 16384));
        kinds = new Array<number>(width).fill(0);
        wholeNumbers = new Array<number>(width).fill(0);
        out += `${header.map(canonicalField).join(',')}\n`;
        // This row is the first record: read on below.
      } else if (header === null) {
        const texts = cells.map((c) => cellText(c, row, false, 0));
        if (texts.every((t) => t === '')) return;
        headerRow = row;
        lastSheetRow = row;
        headerTexts = texts.filter((t) => t !== '').length;
        ({
          header,
          first,
          width,
          duplicates: duplicateColumns,
        } = headerOf(cells, texts, row, leftmost, merges, where, opts.maxColumns ?? 16384, notes));
        kinds = new Array<number>(width).fill(0);
        wholeNumbers = new Array<number>(width).fill(0);
        out += `${header.map(canonicalField).join(',')}\n`;
        return;
      }
      const fields = new Array<string>(width).fill('');
      let any = false;
      const formulas: [number, number, string][] = [];
      for (const c of cells) {
        const col = c.col - first;
        if (col < 0 || col >= width) {
          if (cellText(c, row, false, 0) !== '') notes.add('outside', `${columnLetters(c.col)}${row}`, '');
          continue;
        }
        if (c.formula && (c.value === null || c.value === '')) formulas.push([rows, col, `${columnLetters(c.col)}${row}`]);
        const text = cellText(c, row, true, col);
        if (text !== '') {
          // A text cell that reads as a number or boolean (`'5.1'`, stored as text) is quoted: the same value to
          // every CSV reader (the model reads 5.1 as before), while the typed results of a column of several kinds
          // keep it text, as pandas.read_excel does (readInputRows; a CSV cell is quoted for no other such text).
          fields[col] = lastKind === STRING && READS_AS_TYPED.test(text) ? `"${text}"` : canonicalField(text);
          any = true;
        }
      }
      if (!any) return;
      if (rows < TITLE_ROWS && !opts.headerless) {
        const texts = cells.map(textOnly).filter((t): t is string => t !== null && t.trim() !== '');
        if (texts.length > headerTexts) widerRows.push({ row, texts: texts.slice(0, 200).map((t) => t.slice(0, 100)) });
      }
      // The first record, and one after empty rows, start a run: only runs are kept, not a number per row.
      if (sheetRows !== null && (rows === 0 || row !== lastSheetRow + 1)) {
        if (sheetRows.length < MAX_SHEET_ROW_RUNS) sheetRows.push([rows, row]);
        else sheetRows = null;
      }
      lastSheetRow = row;
      for (const f of formulas) if (formulaCells.length < MAX_FORMULA_CELLS) formulaCells.push(f);
      rows++;
      out += `${fields.join(',')}\n`;
    };

    const reader = new SheetReader(onRow);
    const decoder = new StringDecoder('utf8');
    try {
      for await (const piece of zip.stream(ref.path, maxSheet)) {
        reader.write(decoder.write(piece));
        if (out.length >= FLUSH_CHARS) {
          const buf = Buffer.from(out);
          out = '';
          bytes += buf.length;
          yield buf;
        }
        if (reader.done) break;
      }
      reader.write(decoder.end());
      reader.close();
    } catch (err) {
      if (err instanceof FormatError) throw err;
      throw new FormatError('invalid_xlsx', `${where} is not valid XML (${(err as Error).message}); save the workbook again and upload it`);
    }
    // When the sheet read was the first one by default, the data may well be on another: say which there are.
    const others = opts.sheet === undefined ? book.sheets.filter((s) => s !== ref && s.worksheet).map((s) => s.name) : [];
    const elsewhere =
      others.length > 0
        ? `; ${theOtherSheets(others)}: choose the one with the data (under "How to read the file → Sheet" on the upload page, the "sheet" field of POST /api/jobs, or --sheet)`
        : '';
    if (header === null) {
      throw new FormatError(
        'empty_sheet',
        opts.headerless
          ? `${where} is empty: put one record per row in it${elsewhere}`
          : `${where} is empty: put the column names in its first row and one record per row below${elsewhere}`,
      );
    }
    if (rows === 0) {
      // With other sheets, choosing one is the advice; otherwise the file has nothing to score.
      throw new FormatError(
        'no_rows',
        `${where} has a header (row ${headerRow}) but no data rows${elsewhere || NO_ROWS_ADVICE}`,
        headerRow,
      );
    }
    if (out.length > 0) {
      const buf = Buffer.from(out);
      bytes += buf.length;
      yield buf;
    }
    const columnKinds = kinds.map(kindOf);
    return {
      sheet: ref.name,
      sheets: book.sheets.map((s) => s.name),
      worksheets: book.sheets.filter((s) => s.worksheet).map((s) => s.name),
      headerRow,
      header: header as string[],
      columnKinds,
      // A column of whole numbers in every row is int64, as pandas.read_excel reads it (openpyxl's whole floats are
      // ints there); one with an empty cell or a fraction is float64 (`100001.0` was what an id column came back as).
      columnTypes: kinds.map((bits, col) => (bits === NUMBER && wholeNumbers[col] === rows ? 'int64' : resultTypeOf(bits))),
      widerRows,
      duplicateColumns,
      rows,
      sheetRows,
      formulaCells,
      bytes,
      notes: notes.sentences(where),
    };
  } finally {
    zip.close();
  }
}

function ascending(cells: RawCell[]): boolean {
  for (let i = 1; i < cells.length; i++) if (cells[i]!.col <= cells[i - 1]!.col) return false;
  return true;
}

function chooseSheet(sheets: SheetRef[], wanted: string | undefined): SheetRef {
  const list = sheets.map((s) => `"${s.name}"`).join(', ');
  if (wanted === undefined) {
    const ref = sheets.find((s) => s.worksheet && !s.hidden) ?? sheets.find((s) => s.worksheet);
    if (!ref) throw new FormatError('empty_sheet', `the workbook has no worksheet with cells (its sheets: ${list || 'none'})`);
    return ref;
  }
  const ref = sheets.find((s) => s.name === wanted) ?? sheets.find((s) => s.name.toLowerCase() === wanted.toLowerCase());
  if (!ref) throw new FormatError('sheet_not_found', `the workbook has no sheet named "${truncate(wanted)}"; its sheets are: ${list}`);
  if (!ref.worksheet)
    throw new FormatError('sheet_not_found', `sheet "${ref.name}" is a chart sheet, it has no cells; its sheets are: ${list}`);
  return ref;
}

/**
 * The columns of a sheet read without a header row: from its leftmost column holding a value (`leftmost`, or the
 * first row's own) to the last cell with a value in its first row, named `column_1`… by position, as a header-less
 * CSV's first line names them.
 */
function positionalHeader(
  valued: RawCell[],
  row: number,
  leftmost: number | null,
  where: string,
  maxColumns: number,
): { header: string[]; first: number; width: number } {
  const cols = valued.map((c) => c.col);
  const first = Math.min(...cols, leftmost ?? Number.POSITIVE_INFINITY);
  const width = Math.max(...cols) - first + 1;
  if (width > maxColumns) {
    throw new FormatError('too_many_columns', `row ${row} of ${where} has ${width} columns; at most ${maxColumns} are accepted`, row);
  }
  return { header: Array.from({ length: width }, (_, i) => `column_${i + 1}`), first, width };
}

/** Names and span of the header row (see xlsxToCsv). */
function headerOf(
  cells: RawCell[],
  texts: string[],
  row: number,
  leftmost: number | null,
  merges: Map<number, Merge[]>,
  where: string,
  maxColumns: number,
  notes: Notes,
): { header: string[]; first: number; width: number; duplicates: HeaderDuplicate[] } {
  const byCol = new Map<number, string>();
  for (let i = 0; i < cells.length; i++) if (texts[i] !== '') byCol.set(cells[i]!.col, texts[i]!);
  const cols = [...byCol.keys()];
  const named = Math.min(...cols);
  // Columns left of the first name that hold values below are data (an index), not cells to ignore.
  const first = leftmost === null ? named : Math.min(named, leftmost);
  let last = Math.max(...cols);
  const rowMerges = merges.get(row) ?? [];
  for (const m of rowMerges) if (byCol.has(m.c1) && m.c2 > last) last = m.c2;
  if (last - first + 1 > maxColumns) {
    throw new FormatError(
      'too_many_columns',
      `the header (row ${row} of ${where}) has ${last - first + 1} columns; at most ${maxColumns} are accepted`,
      row,
    );
  }
  const header: string[] = [];
  const blanks = new BlankHeaderCells();
  for (let col = first; col <= last; col++) {
    const own = byCol.get(col);
    if (own !== undefined) {
      header.push(own);
      continue;
    }
    const m = rowMerges.find((x) => x.c1 < col && col <= x.c2 && byCol.has(x.c1));
    if (m) {
      header.push(`${byCol.get(m.c1)!}_${col - m.c1 + 1}`);
      continue;
    }
    // A blank header cell: its column is named as pandas.read_excel names it (and CSV's). pandas counts from
    // column A whatever is empty, so the name is the same as pandas' when leading empty columns are skipped.
    header.push(unnamedColumn(col));
    blanks.add(col, col < named);
  }
  blanks.noteInto(notes, row);
  for (const m of rowMerges) {
    if (!byCol.has(m.c1) || m.c2 <= m.c1) continue;
    const name = byCol.get(m.c1)!;
    const names = [name, ...Array.from({ length: m.c2 - m.c1 }, (_, k) => `${name}_${k + 2}`)].map((n) => `"${truncate(n, 60)}"`);
    // A merge across the whole row names 16,384 columns: the first few and the last say what the rest are.
    const listed = names.length <= MAX_NAMES_LISTED ? names.join(', ') : `${names.slice(0, 3).join(', ')}, … ${names.at(-1)}`;
    notes.addText(`header cells ${columnLetters(m.c1)}${row}:${columnLetters(m.c2)}${row} are merged: their columns are named ${listed}`);
  }
  // A name given twice (`note` in B1 and E1, or `Age` and `age`) is read as pandas.read_excel reads it, the later one
  // `note.1`: it was refused, the whole file, although the model may never look at it. One the model reads is refused
  // at the columns' check (duplicate_column, this message), as a CSV header's is: which of the two should it read?
  const cell = (i: number) => `cell ${columnLetters(first + i)}${row}`;
  const context = `the header (row ${row} of ${where})`;
  const read = pandasHeader(header);
  const duplicates = read.duplicates.map(({ columns: [a, b] }): HeaderDuplicate => {
    const same =
      header[a] === header[b]
        ? `two columns named "${truncate(header[a]!)}"`
        : `two columns named "${truncate(header[a]!)}" and "${truncate(header[b]!)}" (names are compared ignoring case)`;
    notes.addText(`${cell(b)} repeats the name of ${cell(a)}: its column is named "${truncate(read.names[b]!, 60)}", as pandas names it`);
    return { columns: [a, b], message: `${context} has ${same}: ${cell(a)} and ${cell(b)}; rename one of them`, line: row };
  });
  validateColumnNames(read.names, { where: cell, context, line: row });
  if (row > 1) notes.addText(`the header is row ${row} of ${where} (the rows above it are empty)`);
  return { header: read.names, first, width: last - first + 1, duplicates };
}

function kindOf(bits: number): XlsxColumnKind {
  switch (bits) {
    case 0:
      return 'empty';
    case NUMBER:
      return 'number';
    case STRING:
      return 'string';
    case BOOL:
      return 'bool';
    case DATE:
    case DATETIME:
    case DATE | DATETIME:
      return 'date';
    default:
      return 'mixed';
  }
}

function resultTypeOf(bits: number): ResultColumnType {
  switch (bits) {
    case NUMBER:
      return 'double';
    case BOOL:
      return 'bool';
    case DATE:
      return 'date';
    case DATETIME:
    case DATE | DATETIME:
      return 'timestamp';
    case 0:
    case STRING:
      return 'string';
    default:
      // Cells of several kinds (numbers and text, a boolean among numbers...): each cell keeps its own kind in
      // the typed results (readInputRows gives such cells as `mixed` JSON texts).
      return 'mixed';
  }
}

/** Names a merge note lists in full; a longer merge lists its first three and its last. */
const MAX_NAMES_LISTED = 8;
/** Runs of blank header cells noted one by one; the rest are counted in one more note. */
const MAX_BLANK_RUNS_NOTED = 10;

/**
 * The header's blank cells, as runs of adjacent columns: one stray cell in XFD1 leaves 16,000 blank cells
 * between it and the names, and a note for each made the job's status (polled by its page) megabytes long.
 */
class BlankHeaderCells {
  private readonly runs: { from: number; to: number; index: boolean }[] = [];

  /** `index`: the cells below hold values left of the first name (DataFrame.to_excel's index). */
  add(col: number, index: boolean): void {
    const last = this.runs.at(-1);
    if (last && last.to === col - 1 && last.index === index) last.to = col;
    else this.runs.push({ from: col, to: col, index });
  }

  noteInto(notes: Notes, row: number): void {
    for (const { from, to, index } of this.runs.slice(0, MAX_BLANK_RUNS_NOTED)) {
      const why = index ? ' and the cells below it hold values (DataFrame.to_excel leaves the cell above its index empty)' : '';
      if (from === to) {
        notes.addText(
          `header cell ${columnLetters(from)}${row} is empty${why}: its column is named "${unnamedColumn(from)}", as pandas names it`,
        );
      } else {
        notes.addText(
          `header cells ${columnLetters(from)}${row} to ${columnLetters(to)}${row} are empty${why.replace('it hold', 'them hold')}: ` +
            `their columns are named "${unnamedColumn(from)}" to "${unnamedColumn(to)}", as pandas names them`,
        );
      }
    }
    const rest = this.runs.slice(MAX_BLANK_RUNS_NOTED);
    if (rest.length > 0) {
      const cells = rest.reduce((n, r) => n + r.to - r.from + 1, 0);
      notes.addText(
        `${cells} more header cells are empty, from ${columnLetters(rest[0]!.from)}${row} on: each column is named "Unnamed: <its position from 0>", as pandas names it`,
      );
    }
  }
}

/** Counted, located notes: one sentence per kind however many cells it concerns. */
class Notes {
  private readonly counts = new Map<string, { n: number; first: string; value: string }>();
  private readonly texts: string[] = [];

  add(kind: 'formula' | 'error' | 'outside' | 'badString', cell: string, value: string): void {
    const c = this.counts.get(kind);
    if (c) c.n++;
    else this.counts.set(kind, { n: 1, first: cell, value });
  }

  addText(text: string): void {
    this.texts.push(text);
  }

  sentences(where: string): string[] {
    const out = [...this.texts];
    for (const [kind, { n, first, value }] of this.counts) {
      const cells = n === 1 ? `1 cell of ${where}` : `${n} cells of ${where}`;
      const [holds, refers, they, was] = n === 1 ? ['holds', 'refers', 'it', 'was'] : ['hold', 'refer', 'they', 'were'];
      if (kind === 'formula') {
        out.push(
          `${cells} ${holds} a formula with no saved value (first: ${first}); ${they} ${was} read as empty: open the workbook in Excel and save it again to store the values`,
        );
      } else if (kind === 'error') {
        out.push(`${cells} ${holds} an error value such as ${value} (first: ${first}); ${they} ${was} read as that text`);
      } else if (kind === 'outside') {
        out.push(`${cells} outside the header's columns ${was} ignored (first: ${first}); give the column a header to read it`);
      } else {
        out.push(`${cells} ${refers} to a shared string that does not exist (first: ${first}); ${they} ${was} read as empty`);
      }
    }
    return out;
  }
}

/**
 * Merged ranges across several columns that start on the sheet's first row with merges, found by a pass
 * over the inflated sheet that only searches bytes (no XML parsing): Excel writes `<mergeCells>` after the
 * cells. Only the topmost row of merges can touch the header: the header is the first row with a value,
 * and a merge's value is in its top-left cell.
 */
async function findFirstRowMerges(zip: ZipArchive, path: string, maxBytes: number): Promise<Map<number, Merge[]>> {
  const found = new Map<number, Merge[]>();
  let top = Number.POSITIVE_INFINITY;
  const seen = new Set<string>();
  let tail: Buffer = Buffer.alloc(0);
  const needle = Buffer.from('mergeCell');
  const re = /^mergeCell\s[^>]*?\bref\s*=\s*["']([A-Za-z]+\d+):([A-Za-z]+\d+)["']/;
  for await (const piece of zip.stream(path, maxBytes)) {
    const buf: Buffer = tail.length > 0 ? Buffer.concat([tail, piece]) : piece;
    for (let i = buf.indexOf(needle); i !== -1; i = buf.indexOf(needle, i + needle.length)) {
      const m = re.exec(buf.toString('latin1', i, Math.min(buf.length, i + 512)));
      if (!m || seen.has(m[0])) continue;
      seen.add(m[0]);
      const a = parseCellRef(m[1]!);
      const b = parseCellRef(m[2]!);
      if (!a || !b || b.col <= a.col || a.row > top) continue;
      if (a.row < top) {
        found.clear();
        top = a.row;
      }
      const list = found.get(a.row) ?? [];
      list.push({ c1: a.col, c2: b.col });
      found.set(a.row, list);
    }
    tail = Buffer.from(buf.subarray(Math.max(0, buf.length - 512)));
  }
  return found;
}

/**
 * `the workbook's other sheet is "Data"`, `the workbook's other sheets are "A", "B"` (ten named at most, then
 * `and 3 more`): where else the data may be, in every message that says so.
 */
export function theOtherSheets(names: readonly string[]): string {
  const quoted = names.slice(0, 10).map((s) => `"${s}"`);
  const listed = `${quoted.join(', ')}${names.length > 10 ? ` and ${names.length - 10} more` : ''}`;
  return `the workbook's other sheet${names.length === 1 ? ' is' : 's are'} ${listed}`;
}

/** A text cell's text (a shared or inline string), without cellText's notes; null for other cells. */
function textOnlyOf(strings: readonly string[]): (c: RawCell) => string | null {
  return (c) => {
    if (c.type === 's') return c.value === null ? null : (strings[Number(c.value)] ?? null);
    if (c.type === 'inlineStr' || c.type === 'str') return c.value;
    return null;
  };
}
