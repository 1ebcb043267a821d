import { type ByteSource, type CsvDecimal, isMissingMarker, parseFloatText, readRecords, splitRecord } from '@batchcast/csv';
import {
  type Cell,
  isShortestNumberText,
  type ResultColumn,
  trimmedShortestNumberText,
  type ResultColumnType,
  readJsonlRows,
  readParquetRows,
} from '@batchcast/formats';
import type { JobLayout } from '../records.js';
import type { StoredChunk } from '../uploads/stored-upload.js';
import { dialectOf } from './dialect.js';
import { parquetChunkOf, parquetLayoutOf } from './parquet-layout.js';

/**
 * How much of the upload readInputFields reads at a time (readRecords' default is 1 MiB). Every field of a
 * block's records becomes a string, and the typed results make an array of cells of each record, all alive
 * until the block has been written: from 1 MiB blocks (about 3,700 rows of the bench's file, some 10 MB of
 * small objects) every young-generation collection copied most of a block, 12 of the 39 s a 1M-row JSON Lines
 * download took (`--trace-gc`). With 32 KiB blocks: JSON Lines 20.0 and 21.6 s against 36.6 and 33.1, .xlsx
 * 31.7 and 30.7 s against 40.3 and 35.0 (alternating processes, the same bytes); Parquet, whose writer holds a
 * row group of values whatever the block, unchanged. A record longer than a block is read whole all the same.
 */
const FIELDS_BLOCK_BYTES = 32 * 1024;

/**
 * The fields of one chunk's records as text, for inputs stored as CSV (a CSV in its dialect, a workbook's
 * canonical CSV): quotes removed, one field per header column (a ragged record, which failed its row, is
 * cut or padded). One array of rows per read block.
 */
export async function* readInputFields(source: ByteSource, layout: JobLayout, chunk: StoredChunk): AsyncGenerator<string[][]> {
  for await (const block of readFieldBlocks(source, layout, chunk, false)) yield block.rows;
}

/** readInputFields' blocks, and with `keepQuotes` whether each field was quoted (`quoted[row][field]`), else null. */
async function* readFieldBlocks(
  source: ByteSource,
  layout: JobLayout,
  chunk: StoredChunk,
  keepQuotes: boolean,
): AsyncGenerator<{ rows: string[][]; quoted: boolean[][] | null }> {
  const dialect = dialectOf(layout);
  if (!dialect) throw new Error(`readInputFields: a ${layout.format} upload is not stored as CSV`);
  const width = layout.header.length;
  for await (const records of readRecords(source, { start: chunk.start, end: chunk.end, dialect, highWaterMark: FIELDS_BLOCK_BYTES })) {
    const quoted: boolean[][] | null = keepQuotes ? [] : null;
    const rows = records.map((record) => {
      const q: boolean[] | undefined = quoted ? [] : undefined;
      const fields = splitRecord(record, dialect, q);
      if (q) quoted!.push(q);
      if (fields.length < width) for (let i = fields.length; i < width; i++) fields.push('');
      else if (fields.length > width) fields.length = width;
      return fields;
    });
    yield { rows, quoted };
  }
}

/**
 * How a CSV's number already in its shortest form is handed to a typed results writer: as that text (JSON Lines
 * and .xlsx write it as it is) or as the number (Parquet writes its bits).
 */
export type ShortestNumbers = 'text' | 'number';

/**
 * The rows of one chunk as typed cells in header order, for the typed results (Parquet, JSON Lines, .xlsx):
 * Parquet's and JSON's values as they are; a CSV's text converted for the columns `columns` types (numbers
 * read in the file's dialect, so `12,5` is 12.5 again; a number already in its shortest form stays the text it
 * is, which every typed writer reads as that number; text that is not a number stays text: its row failed
 * and says why); an empty CSV cell or a missing-value marker (NA, NULL…) is null except in text columns. Rows keep the input's order.
 */
export async function* readInputRows(
  source: ByteSource,
  layout: JobLayout,
  chunk: StoredChunk,
  columns: ResultColumn[],
  numbers: ShortestNumbers = 'text',
  unchecked?: WeakSet<readonly Cell[]>,
): AsyncGenerator<Cell[][]> {
  switch (layout.format) {
    case 'csv':
    case 'xlsx': {
      const decimal = dialectOf(layout)!.decimal;
      const types = columns.map((c) => c.type);
      // A workbook's canonical CSV quotes a text cell that would read as a number or boolean (xlsxToCsv): in a
      // column of several kinds such a cell stays text (`'5.1'` the text "5.1", as pandas.read_excel reads it).
      const keepQuotes = layout.format === 'xlsx' && types.includes('mixed');
      const note = { otherText: false };
      for await (const { rows, quoted } of readFieldBlocks(source, layout, chunk, keepQuotes))
        yield rows.map((fields, r) => {
          note.otherText = false;
          const cells = typedCells(fields, types, decimal, numbers, note, quoted?.[r]);
          if (note.otherText) unchecked?.add(cells);
          return cells;
        });
      return;
    }
    case 'jsonl':
      yield* readJsonlRows(source, { start: chunk.start, end: chunk.end, header: layout.header, columnTypes: layout.columnTypes });
      return;
    case 'parquet':
      yield* readParquetRows(source, parquetLayoutOf(layout), parquetChunkOf(chunk));
      return;
  }
}

/**
 * Set by typedCell when it leaves a `double` cell as a text that is not a number's shortest form (`abc`, `-inf`: its
 * row failed). A row with none has only shortest texts in its double columns, and the JSON Lines and .xlsx writers
 * write them without checking them again (ShortestTexts); readInputRows' `unchecked` gets the rows with one.
 */
interface CellNote {
  otherText: boolean;
}

/** `quoted`, when given, says which fields were quoted: a quoted cell of a `mixed` column stays text (mixedCell). */
function typedCells(
  fields: string[],
  types: ResultColumnType[],
  decimal: CsvDecimal,
  numbers: ShortestNumbers,
  note: CellNote,
  quoted?: boolean[],
): Cell[] {
  const cells: Cell[] = new Array(fields.length);
  // Every typed download of a CSV comes through here, a call per cell: the quotes are looked at only where they matter.
  if (!quoted) for (let i = 0; i < fields.length; i++) cells[i] = typedCell(fields[i]!, types[i] ?? 'string', decimal, numbers, note);
  else
    for (let i = 0; i < fields.length; i++) {
      const type = types[i] ?? 'string';
      cells[i] = quoted[i] && type === 'mixed' ? mixedCell(fields[i]!, true) : typedCell(fields[i]!, type, decimal, numbers, note);
    }
  return cells;
}

/** A JSON number's text (a workbook's numbers are written in their shortest form in its canonical CSV). */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function typedCell(text: string, type: ResultColumnType, decimal: CsvDecimal, numbers: ShortestNumbers, note: CellNote): Cell {
  // A missing text (an empty cell, or one of pandas' markers, which the model reads as the missing text too) is null.
  if (type === 'string' || type === 'json') return text === '' || isMissingMarker(text, 'pandas') ? null : text;
  if (type === 'mixed') return mixedCell(text);
  // Most numbers of a file are already written the way the results write them: kept as text, the writers
  // put them out as they are (isShortestNumberText), where parsing and printing 30M cells took seconds.
  // A writer of binary numbers (Parquet) is handed the number: it would only check the text again to read it.
  if (type === 'double' && decimal === '.') {
    if (isShortestNumberText(text)) return numbers === 'text' ? text : Number(text);
    // `20.5930`: its shortest form without the zeros (what printing the parsed number gave, a few hundred ns later).
    if (numbers === 'text') {
      const trimmed = trimmedShortestNumberText(text);
      if (trimmed !== null) return trimmed;
    }
  }
  // A missing value as the model read it: an empty cell or one of pandas' markers (NA, NULL, #N/A…), null in a typed file.
  if (text.trim() === '') return null;
  if (type === 'double') {
    // A number is no marker: the lookup (a hash of each cell's text) is left to cells that are not, or are NaN.
    // A text that reads as no finite number (`-inf`, `1e400`, `NAN`; its row failed and says why) stays the text
    // the file wrote, as any other text: JSON and the writers have no infinity, and wrote null for it.
    const n = parseFloatText(text, decimal);
    if (n !== undefined && Number.isFinite(n)) return n;
    if (isMissingMarker(text, 'pandas')) return null;
    note.otherText = true;
    return text;
  }
  if (isMissingMarker(text, 'pandas')) return null;
  if ((type === 'int32' || type === 'int64') && decimal === ',') {
    // `1.234` is 1234 with a decimal comma: the writers read integers the `.` way, so convert it here (exactly
    // only within 2^53; beyond, the text goes through and the writers read it as digits).
    const n = parseFloatText(text, decimal);
    return n !== undefined && Number.isSafeInteger(n) ? n : text;
  }
  // Integers (point files), booleans, dates: the result writers parse the text themselves.
  return text;
}

/**
 * A cell of a workbook's column of several kinds (`mixed`: numbers and text, booleans among numbers), from its
 * canonical CSV text, as the JSON text a `mixed` cell is (mixedValue): a number (the workbook's number, written
 * shortest) as that number, `true`/`false` as the boolean, anything else (text, a date's ISO text) as a JSON
 * string; empty or a missing-value marker is null. A quoted cell (`quoted`: xlsxToCsv quotes a text cell that reads as a
 * number or boolean) stays text; in a canonical CSV stored before it did, such a text cell comes back as a number.
 */
function mixedCell(text: string, quoted = false): Cell {
  if (text === '' || isMissingMarker(text, 'pandas')) return null;
  if (!quoted && (JSON_NUMBER.test(text) || text === 'true' || text === 'false')) return text;
  return JSON.stringify(text);
}
