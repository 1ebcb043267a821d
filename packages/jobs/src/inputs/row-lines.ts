import { open } from 'node:fs/promises';
import type { ByteSource, RangeReader, RowError } from '@batchcast/csv';
import type { JobLayout, XlsxJobLayout } from '../records.js';
import type { StoredChunk } from '../uploads/stored-upload.js';

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BLOCK = 1 << 20;

/**
 * The line of the file where each failed row of a chunk starts, for the messages people read: a person opens a CSV
 * in an editor and goes to a line, where the data row number is off by the header (and by blank lines, or by quoted
 * fields with line breaks, which make one row several lines). Lines are counted only for rows that failed, after the
 * fact: the chunk's bytes are walked once, forward, from its start (the line it starts on told by the scan, or, for the
 * first chunk and older jobs, the LFs before it counted once), never in the parse every row goes through. Rows are
 * asked in ascending order. For CSV (any delimiter) and JSON Lines, whose stored bytes are the file's lines (UTF-8
 * conversion and decompression keep every line break); a workbook's rows get their sheet rows from its layout; null
 * for a JSON array and a list of lists (stored converted) and Parquet (no lines).
 */
export class ChunkRowLines {
  private reader: RangeReader | null = null;
  private readonly csv: boolean;
  /** Absolute offset of the next byte to walk. */
  private pos: number;
  /** Line of the byte at `pos`. */
  private line = 0;
  /** Absolute index of the next record to start. */
  private row: number;
  private inQuote = false;
  /** The current line (or record, when quotes span lines) so far: whether it may still be blank. */
  private lineLen = 0;
  private blankSoFar = true;
  private lastByte = -1;
  private multiLine = false;
  private recordLine = 0;
  private readonly found = new Map<number, number>();

  constructor(
    private readonly source: ByteSource,
    private readonly layout: JobLayout,
    private readonly chunk: StoredChunk,
  ) {
    this.csv = layout.format === 'csv';
    this.pos = chunk.start;
    this.row = chunk.firstRow;
  }

  /** Whether this format's rows have lines (a workbook's have sheet rows, from its layout). */
  get counted(): boolean {
    return hasFileLines(this.layout);
  }

  /** The 1-based line of the file where each of `rows` (absolute, 0-based, ascending) starts; null where unknown. */
  async lines(rows: readonly number[]): Promise<(number | null)[]> {
    if (this.layout.format === 'xlsx') return rows.map((r) => sheetRowOf(this.layout as XlsxJobLayout, r));
    if (!this.counted || rows.length === 0) return rows.map(() => null);
    if (this.reader === null) {
      this.reader = typeof this.source === 'string' ? await open(this.source, 'r') : await this.source();
      // Told by the scan for every chunk but the first, whose start is just past the header: counted then.
      this.line = this.chunk.line ?? 1 + (await this.countLf(0, this.chunk.start));
      this.recordLine = this.line;
    }
    const last = rows[rows.length - 1]!;
    const buf = Buffer.allocUnsafe(BLOCK);
    while (this.row <= last && this.pos < this.chunk.end) {
      const want = Math.min(BLOCK, this.chunk.end - this.pos);
      const { bytesRead } = await this.reader.read(buf, 0, want, this.pos);
      if (bytesRead === 0) break;
      this.walk(buf, bytesRead, last);
    }
    // The chunk's last record may end the file without a line break; in a CSV, spaces alone are a record then too.
    if (this.pos >= this.chunk.end && this.lineLen > 0 && !this.blankLine()) this.record();
    const out = rows.map((r) => this.found.get(r) ?? null);
    for (const r of rows) this.found.delete(r);
    return out;
  }

  async close(): Promise<void> {
    await this.reader?.close();
    this.reader = null;
  }

  /** Walks buf[0, n) (the bytes at `pos`), stopping after the record `last` ends. */
  private walk(buf: Buffer, n: number, last: number): void {
    let i = 0;
    for (; i < n; i++) {
      const b = buf[i]!;
      if (b === LF && !this.inQuote) {
        if (!this.blankLine() || this.multiLine) this.record();
        this.line++;
        this.recordLine = this.line;
        this.lineLen = 0;
        this.blankSoFar = true;
        this.multiLine = false;
        this.lastByte = b;
        if (this.row > last) {
          i++;
          break;
        }
        continue;
      }
      if (b === LF) {
        this.line++; // a line break inside a quoted field: the record goes on
        this.multiLine = true;
      } else if (this.csv && b === QUOTE) this.inQuote = !this.inQuote;
      if (b !== 0x20 && b !== 0x09 && b !== CR && b !== LF) this.blankSoFar = false;
      this.lineLen++;
      this.lastByte = b;
    }
    this.pos += i;
  }

  /** A CSV line that is empty or a lone CR, a JSON line of white space: not a record (the scan skipped it too). */
  private blankLine(): boolean {
    return this.csv ? this.lineLen === 0 || (this.lineLen === 1 && this.lastByte === CR) : this.blankSoFar;
  }

  private record(): void {
    this.found.set(this.row++, this.recordLine);
  }

  private async countLf(from: number, to: number): Promise<number> {
    const buf = Buffer.allocUnsafe(BLOCK);
    let count = 0;
    for (let p = from; p < to; ) {
      const { bytesRead } = await this.reader!.read(buf, 0, Math.min(BLOCK, to - p), p);
      if (bytesRead === 0) break;
      for (let i = buf.indexOf(LF, 0); i !== -1 && i < bytesRead; i = buf.indexOf(LF, i + 1)) count++;
      p += bytesRead;
    }
    return count;
  }
}

/** `errors` (ascending rows) each with the line where its row starts (null where the format has none). */
export async function withLines(errors: RowError[], lines: ChunkRowLines): Promise<(RowError & { line: number | null })[]> {
  if (errors.length === 0) return [];
  const found = await lines.lines(errors.map((e) => e.row));
  return errors.map((e, i) => ({ ...e, line: found[i]! }));
}

/** What a failed row's place in the file is: a line (text formats), a sheet row (a workbook), or nothing (Parquet). */
export type PlaceKind = 'line' | 'sheetRow' | null;

export function placeKind(layout: JobLayout): PlaceKind {
  if (layout.format === 'xlsx') return 'sheetRow';
  return hasFileLines(layout) ? 'line' : null;
}

/**
 * Whether the stored rows are the uploaded file's lines: a CSV's and JSON Lines' are. A JSON array is stored
 * converted, one element a line, and so is pandas' orient='values' JSON (its lists as CSV lines, `listRows`): their
 * lines are not the file's (pandas writes the whole array on one).
 */
function hasFileLines(layout: JobLayout): boolean {
  if (layout.format === 'csv') return layout.listRows !== true;
  return layout.format === 'jsonl' && layout.array !== true;
}

/**
 * Where a failed row is, as people read it: "row 5 (line 6 of the file)" in a text file, "row 5 (sheet row 7)" in a
 * workbook, "row 5" when there is no such place (Parquet, a JSON array, older jobs). `row` is 1-based, the header
 * not counted.
 */
export function rowPlace(row: number, place: number | null | undefined, kind: PlaceKind): string {
  if (place == null || kind === null) return `row ${row}`;
  return kind === 'sheetRow' ? `row ${row} (sheet row ${place})` : `row ${row} (line ${place} of the file)`;
}

/** The sheet row of record `row` (0-based) of a workbook, from its runs of sheet rows; null when they were not kept. */
export function sheetRowOf(layout: XlsxJobLayout, row: number): number | null {
  const runs = layout.sheetRows;
  if (!runs || runs.length === 0) return null;
  let lo = 0;
  let hi = runs.length - 1;
  // The last run starting at or before the record.
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (runs[mid]![0] <= row) lo = mid;
    else hi = mid - 1;
  }
  const [start, sheetRow] = runs[lo]!;
  return row < start ? null : sheetRow + (row - start);
}

/**
 * A failed row's place under the name the API gives it: `line` for a text file, `sheetRow` for a workbook (stored
 * alike, in error_lines); the other null.
 */
export function placeFields(place: number | null, kind: PlaceKind): { line: number | null; sheetRow: number | null } {
  return kind === 'sheetRow' ? { line: null, sheetRow: place } : { line: kind === null ? null : place, sheetRow: null };
}
