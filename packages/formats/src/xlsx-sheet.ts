import type { SaxesParser, SaxesTagPlain } from 'saxes';
import { FormatError } from './errors.js';
import { unescapeXstring, xmlParser } from './xml.js';

/**
 * The most cells a sheet row may hold: Excel's 16,384 columns (A to XFD). A row's cells are kept until the row
 * ends, so a row of 10,000,000 cells (220 MB of XML, outside the header's columns, whose cells are ignored)
 * held them all in the web process; a larger one would have ended it.
 */
export const MAX_ROW_CELLS = 16_384;

/**
 * The most characters a cell's text may have while it is read: the CSV scanner's field limit (1 MiB; a
 * character is at least a byte), which refused such a value only after the sheet had been transcoded. Until
 * then the web process held it whole: a cell of hundreds of MB unpacks from a few MB of upload. Excel's own
 * limit is 32,767 characters, so no workbook Excel wrote comes near.
 */
export const MAX_CELL_CHARS = 1024 * 1024;

/** The refusal of a cell (or shared string) longer than MAX_CELL_CHARS; `where` names it. */
export function cellTooLarge(where: string, row?: number): FormatError {
  return new FormatError(
    'field_too_large',
    `${where} holds more than ${MAX_CELL_CHARS.toLocaleString('en-US')} characters of text, more than a value may be (Excel itself allows 32,767): shorten or remove that text and upload the workbook again`,
    row,
  );
}

/** One cell as stored in the sheet XML, before its value is interpreted. */
export interface RawCell {
  /** 0-based column. */
  col: number;
  /** The `t` attribute: n (number, the default), s (shared string), inlineStr, str (formula text), b, e, d. */
  type: string;
  /** The `s` attribute: index into the style table (number formats tell dates). */
  style: number;
  /** Text of `<v>`, or of `<is>` for an inline string; null when the cell has neither. */
  value: string | null;
  /** Whether the cell holds a formula (`<f>`). */
  formula: boolean;
}

/** `AB12` -> { col: 27, row: 12 }; null when `ref` is not a cell reference. */
export function parseCellRef(ref: string): { col: number; row: number } | null {
  let col = 0;
  let i = 0;
  for (; i < ref.length; i++) {
    const c = ref.charCodeAt(i);
    if (c >= 65 && c <= 90) col = col * 26 + (c - 64);
    else if (c >= 97 && c <= 122) col = col * 26 + (c - 96);
    else break;
  }
  if (i === 0 || i === ref.length) return null;
  const row = Number(ref.slice(i));
  if (!Number.isInteger(row) || row < 1) return null;
  return { col: col - 1, row };
}

/** 27 -> `AB` (0-based column to letters). */
export function columnLetters(col: number): string {
  let s = '';
  for (let n = col + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

const NONE = 0;
const IN_V = 1;
const IN_IS_T = 2;

/**
 * A push parser of a worksheet's `<sheetData>`: feed text with write(), get each row (its 1-based number
 * and its cells, sparse, in column order) through `onRow`. Rows and cells without an `r` attribute follow
 * the previous one, as Excel reads them. Nothing is kept between rows.
 */
export class SheetReader {
  private readonly parser: SaxesParser;
  private rowNumber = 0;
  private cells: RawCell[] = [];
  private inRow = false;
  private cell: RawCell | null = null;
  private lastCol = -1;
  private capture = NONE;
  private text = '';
  private inIs = false;
  private phonetic = 0;
  /** Set at `</sheetData>`: what follows (merged cells, print settings) is not read here. */
  done = false;
  /** The `<dimension ref>` before the cells (`B3:G7`, the range the writer says is used), or null. */
  dimension: string | null = null;

  constructor(private readonly onRow: (row: number, cells: RawCell[]) => void) {
    this.parser = xmlParser({
      open: (name, tag) => this.open(name, tag),
      close: (name) => this.closeTag(name),
      text: (text) => {
        if (this.capture === NONE) return;
        this.text += text;
        if (this.text.length > MAX_CELL_CHARS) {
          throw cellTooLarge(`cell ${columnLetters(this.cell?.col ?? 0)}${this.rowNumber} of the sheet`, this.rowNumber);
        }
      },
    });
  }

  write(text: string): void {
    if (!this.done) this.parser.write(text);
  }

  close(): void {
    if (!this.done) this.parser.close();
  }

  private open(name: string, tag: SaxesTagPlain): void {
    switch (name) {
      case 'dimension':
        this.dimension = tag.attributes.ref ?? null;
        break;
      case 'row': {
        const r = tag.attributes.r;
        const n = r === undefined ? Number.NaN : Number(r);
        this.rowNumber = Number.isInteger(n) && n > 0 ? n : this.rowNumber + 1;
        this.cells = [];
        this.lastCol = -1;
        this.inRow = true;
        break;
      }
      case 'c': {
        const a = tag.attributes;
        const ref = a.r === undefined ? null : parseCellRef(a.r);
        const col = ref === null ? this.lastCol + 1 : ref.col;
        this.lastCol = col;
        this.cell = { col, type: a.t ?? 'n', style: a.s === undefined ? 0 : Number(a.s) || 0, value: null, formula: false };
        break;
      }
      case 'v':
        if (this.cell) {
          this.capture = IN_V;
          this.text = '';
        }
        break;
      case 'f':
        if (this.cell) this.cell.formula = true;
        break;
      case 'is':
        if (this.cell) {
          this.inIs = true;
          this.cell.value = '';
        }
        break;
      case 't':
        if (this.inIs && this.phonetic === 0) {
          this.capture = IN_IS_T;
          this.text = '';
        }
        break;
      case 'rPh':
        this.phonetic++;
        break;
    }
  }

  private closeTag(name: string): void {
    switch (name) {
      case 'v':
        if (this.capture === IN_V && this.cell) this.cell.value = this.text;
        this.capture = NONE;
        break;
      case 't':
        if (this.capture === IN_IS_T && this.cell) this.cell.value += unescapeXstring(this.text);
        this.capture = NONE;
        break;
      case 'is':
        this.inIs = false;
        break;
      case 'rPh':
        this.phonetic--;
        break;
      case 'c':
        if (this.cell) {
          if (this.inRow) {
            if (this.cells.length >= MAX_ROW_CELLS) {
              throw new FormatError(
                'too_many_columns',
                `row ${this.rowNumber} of the sheet has more than ${MAX_ROW_CELLS.toLocaleString('en-US')} cells, the most an Excel row has; save the workbook again from the spreadsheet and upload it`,
                this.rowNumber,
              );
            }
            this.cells.push(this.cell);
          }
          this.cell = null;
        }
        break;
      case 'row':
        this.inRow = false;
        this.onRow(this.rowNumber, this.cells);
        this.cells = [];
        break;
      case 'sheetData':
        this.done = true;
        break;
    }
  }
}
