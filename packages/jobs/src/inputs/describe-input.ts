import { CHOOSABLE_ENCODINGS } from '@batchcast/bytes';
import type { CsvDecimal, CsvDelimiter } from '@batchcast/csv';
import type { Compression } from '@batchcast/formats';
import type { CsvJobLayout, JobLayout } from '../records.js';
import { dialectOf } from './dialect.js';

/** A text encoding an upload is converted from (it is stored as UTF-8). */
type ConvertedEncoding = NonNullable<CsvJobLayout['encoding']>;

/** The upload's format as the person knows it: a JSON array is `json`, though it is stored as JSON Lines. */
export type UploadFormat = 'csv' | 'xlsx' | 'parquet' | 'jsonl' | 'json';

/** What batchcast made of an upload, for the job page and `GET /api/jobs/:id`. */
export interface InputDescription {
  format: UploadFormat;
  compression: Compression | null;
  /** CSV: the field delimiter and decimal separator, detected or chosen. */
  delimiter?: CsvDelimiter;
  decimal?: CsvDecimal;
  /** CSV: the text encoding the file came in, when it was not UTF-8 (it is stored converted to UTF-8). */
  encoding?: ConvertedEncoding;
  /**
   * CSV, Excel and JSON lists of lists: `none` when the file (or sheet) was read without a header row (its columns
   * named after the model's).
   */
  header?: 'none';
  /** Excel: the sheet that was read. */
  sheet?: string;
  /** What the person may want to know (merged header cells renamed, big Parquet row groups...). */
  notes: string[];
}

export function describeInput(layout: JobLayout): InputDescription {
  const compression = layout.compression ?? null;
  switch (layout.format) {
    case 'csv': {
      if (layout.listRows) return listRowsInput(layout, compression);
      const dialect = dialectOf(layout)!;
      const read = {
        format: 'csv' as const,
        compression,
        delimiter: dialect.delimiter,
        decimal: dialect.decimal,
        ...(layout.headerless ? { header: 'none' as const } : {}),
      };
      const { encoding } = layout;
      const notes = [
        ...(layout.headerless ? [headerlessNote(layout.header, 'file', 'line')] : []),
        ...(encoding === undefined ? [] : [encodingNote(encoding)]),
        ...(layout.crLineEnds ? [CR_LINE_ENDS_NOTE] : []),
        ...(layout.decimalUndecided ? [UNDECIDED_DECIMAL_NOTE] : []),
        ...(layout.decimalAmbiguous === undefined ? [] : [ambiguousDecimalNote(layout.decimalAmbiguous, dialect.decimal)]),
        ...(layout.ignoredSheet === undefined ? [] : [ignoredSheetNote(layout.ignoredSheet, 'a CSV file')]),
        ...(layout.duplicateColumns ? [duplicateColumnsNote(layout.header, layout.duplicateColumns)] : []),
      ];
      return encoding === undefined ? { ...read, notes } : { ...read, encoding, notes };
    }
    case 'xlsx': {
      const notes = [...(layout.headerless ? [headerlessNote(layout.header, 'sheet', 'row')] : []), ...(layout.notes ?? [])];
      return { format: 'xlsx', compression, sheet: layout.sheet, ...(layout.headerless ? { header: 'none' as const } : {}), notes };
    }
    case 'jsonl':
      return { format: layout.array ? 'json' : 'jsonl', compression, notes: layout.notes ?? [] };
    case 'parquet':
      return { format: 'parquet', compression, notes: layout.notes ?? [] };
  }
}

/**
 * pandas' to_json(orient='values') JSON, read as rows without a header row: JSON, as the person sent it, though it is
 * stored as the header-less CSV of its lists (store-values.ts), with no delimiter or decimal of its own to tell. Its
 * note says the layout, as the other pandas layouts' notes do, and how the lists were read.
 */
function listRowsInput(layout: CsvJobLayout, compression: Compression | null): InputDescription {
  const shown = shownNames(layout.header);
  const notes = [
    `Read as pandas' to_json(orient='values') output, a list of lists without column names, as a file without a header row, ` +
      `as chosen: each list is a row, the first list row 1, and its values were taken as the model's columns in the model's ` +
      `order and named after the model's (${shown}). The results start with a header row of those names.`,
    ...(layout.ignoredSheet === undefined ? [] : [ignoredSheetNote(layout.ignoredSheet, 'a JSON file')]),
  ];
  return { format: 'json', compression, header: 'none', notes };
}

/** A header's names for a note: the first six, the others counted. */
function shownNames(header: readonly string[]): string {
  return header.length > 6 ? `${header.slice(0, 6).join(', ')} and ${header.length - 6} more` : header.join(', ');
}

/** A `;`, tab or `|` file whose first lines held no decimal number: '.' was a default, not a finding. */
const UNDECIDED_DECIMAL_NOTE =
  "The decimal separator was taken as '.': the first lines held no number with a decimal part to tell '.' from ','. " +
  'If the numbers further down use decimal commas (12,5), those rows fail: score the file again choosing ' +
  '"Decimal separator (CSV): Comma 1,5" on the upload page (the API\'s decimal field ",", the CLI\'s --decimal comma).';

/**
 * A `;`, tab or `|` file whose numbers with a separator all read both ways (`2,020`, `1.234`): the detection took one
 * reading, and if it is the wrong one every such cell is another number, no row failing. Says which, with the cell.
 */
function ambiguousDecimalNote(cell: string, decimal: CsvDecimal): string {
  const asDecimal = Number(cell.replace(',', '.')).toString();
  const asThousands = cell.replace(/[.,]/g, '');
  const other = decimal === ',' ? '.' : ',';
  const choice =
    decimal === ','
      ? `"Decimal separator (CSV): Point 1.5" on the upload page (the API's decimal field ".", the CLI's --decimal point)`
      : `"Decimal separator (CSV): Comma 1,5" on the upload page (the API's decimal field ",", the CLI's --decimal comma)`;
  return (
    `The decimal separator was taken as '${decimal}' from numbers such as "${cell}", read as ${asDecimal}; they may ` +
    `also mean ${asThousands}, '${decimal}' separating thousands, and nothing in the first lines told which. ` +
    `If the file's decimal separator is '${other}', every such number was read wrong and no row fails for it: ` +
    `score the file again choosing ${choice}.`
  );
}

/**
 * A header naming columns the model does not read more than once: they are scored all the same, and named in the
 * typed results (which need distinct names) as pandas' read_csv names them.
 */
function duplicateColumnsNote(header: readonly string[], duplicates: readonly { columns: [number, number] }[]): string {
  const renamed = duplicates.map(({ columns: [, later] }) => `column ${later + 1} "${header[later]}"`);
  const shown = renamed.length > 3 ? `${renamed.slice(0, 3).join(', ')} and ${renamed.length - 3} more` : renamed.join(', ');
  return (
    `The header gives a name to more than one column (not ones the model reads): results.jsonl, .parquet and .xlsx ` +
    `name the later ones as pandas.read_csv does, ${shown}; results.csv keeps the header as it is.`
  );
}

/** How a file (or sheet) without a header row was read: which names its columns were given. */
function headerlessNote(header: readonly string[], what: 'file' | 'sheet', first: 'line' | 'row'): string {
  const shown = shownNames(header);
  return (
    `The ${what} was read without a header row, as chosen: its first ${first} is row 1, and its columns were taken in the ` +
    `model's order and named after the model's (${shown}). The results start with a header row of those names.`
  );
}

/** What a job says of a file whose lines ended with a bare carriage return. */
export const CR_LINE_ENDS_NOTE =
  'Its lines end with a carriage return alone (old Mac line ends, as Excel for Mac\'s "CSV (Macintosh)" writes them): read as line breaks; the results\' lines end with a line feed.';

/** A `sheet` chosen for a file that is not a workbook: it was read all the same, the choice unused. */
export function ignoredSheetNote(sheet: string, what: string): string {
  return `The sheet "${sheet}" chosen was not used: the file is ${what}, which has no sheets (a sheet is chosen for an Excel .xlsx file only).`;
}

/** What the person reads on the job page about a file that was not UTF-8, and what the results are. */
function encodingNote(encoding: ConvertedEncoding): string {
  const read =
    encoding === 'windows-1252'
      ? 'Read as Windows-1252 text (what Excel on Windows saves as "CSV"), not UTF-8'
      : encoding === 'utf-16le' || encoding === 'utf-16be'
        ? 'Read as UTF-16 text (what Excel saves as "Unicode Text")'
        : // Only a chosen encoding is any other: detection tells the three above from UTF-8.
          `Read as ${CHOOSABLE_ENCODINGS.find(([name]) => name === encoding)?.[1] ?? encoding} text, the encoding chosen for it`;
  return `${read}. The results are UTF-8, with the mark that tells Excel so.`;
}

/** Most column names positionalNote lists; the others are counted. */
const POSITIONAL_NAMES_SHOWN = 12;

/**
 * What the person reads on the job about a model that does not name (some of) its input columns (an ONNX graph
 * whose input is one float tensor, registered without `features`): the file's columns were taken by position,
 * which no check can tell right from wrong (the same count of columns in another order scores every row from the
 * wrong ones). Null when the model names every column it reads. `inputs`: the model schema's inputs, whose order
 * `targets` (the job's, planned from them) follows.
 */
export function positionalNote(
  inputs: readonly { columns: readonly string[] | null }[],
  targets: readonly { columns: readonly number[] }[],
  header: readonly string[],
): string | null {
  const read = targets.flatMap((t, k) => (inputs[k]?.columns === null ? t.columns.map((i) => header[i]!) : []));
  if (read.length === 0) return null;
  const shown = read.slice(0, POSITIONAL_NAMES_SHOWN).map((n) => `"${n}"`);
  const more = read.length - shown.length;
  const list = more > 0 ? `${shown.join(', ')} … and ${more} more (last: "${read[read.length - 1]}")` : shown.join(', ');
  const all = read.length === header.length ? 'all' : `the ${read.length} not named by the model`;
  return (
    `This model has no feature names: the file's columns were read by position (${all}, in the file's order) as its ` +
    `${read.length} input${read.length === 1 ? '' : 's'}: ${list}. If that is not the order the model was trained on, ` +
    'every prediction is wrong and nothing can tell: register the model with its column names ("features"; the CLI\'s ' +
    '--features a,b,c) so that columns are matched by name.'
  );
}
