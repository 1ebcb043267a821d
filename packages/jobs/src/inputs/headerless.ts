import { type ByteSource, readRecords, splitRecord } from '@batchcast/csv';
import { planColumns } from '@batchcast/inference';
import { DomainError } from '../errors.js';
import type { JobLayout, Model } from '../records.js';
import type { StoredChunk } from '../uploads/stored-upload.js';
import { dialectOf } from './dialect.js';

/** Where the upload page, the API and the CLI say that a file has no header row (and where to undo it). */
export const HEADERLESS_OPTION =
  '"The file has no header row" on the upload page (the "header" field "none" of POST /api/jobs, --no-header in the CLI)';

/**
 * Where a file's column names come from: its header row (`header`); or, in a file without one, its columns'
 * positions, which take the model's names in the model's order (`positions`; modelOrderHeader). `lists` is the
 * latter for a JSON list of lists (pandas' orient='values', stored as the CSV of its rows), whose refusals speak of
 * lists and values rather than lines and fields.
 */
export type ColumnNames = 'header' | 'positions' | 'lists';

/** Where a stored file's column names come from (see ColumnNames). */
export function columnNamesOf(layout: JobLayout): ColumnNames {
  if (!isHeaderless(layout)) return 'header';
  return isListRows(layout) ? 'lists' : 'positions';
}

/**
 * A header-less file's columns (named `column_1`… by position as scanned) named after its model's: the file's
 * first columns are the model's, in the model's order, as `df.to_csv(header=False)` writes the frame a model was
 * fitted on, and as SageMaker's and most batch services' CSV input is laid out. Columns after them keep their
 * position's name (`column_5` beside the predictions: a label, an id). A model that does not name its columns
 * leaves the names as they are (its features are then the file's columns, exactly as many of them). Fewer
 * columns than the model reads is refused here, naming them: the generic "missing columns" refusal would
 * advise adding them to a header the file does not have.
 */
export function modelOrderHeader(model: Model, header: readonly string[], names: Exclude<ColumnNames, 'header'>): string[] {
  const lists = names === 'lists';
  const inputs = model.schema.inputs;
  if (inputs.some((input) => !input.columns)) return [...header];
  const columns = inputs.flatMap((input) => input.columns!);
  if (header.length < columns.length) {
    const n = header.length;
    const shown = columns.length > 20 ? `${columns.slice(0, 20).join(', ')} and ${columns.length - 20} more` : columns.join(', ');
    const oneField =
      n === 1 && !lists
        ? ' If the file has more columns than that, they are separated by another character than the one read: choose the delimiter.'
        : '';
    // A list of lists (pandas' orient='values') is told in its own terms: it has lists and values, and no header row to add.
    const has = lists ? `first list has ${n} value${n === 1 ? '' : 's'}` : `first line has ${n} field${n === 1 ? '' : 's'}`;
    const fix = lists
      ? `Give each list the model's ${columns.length} values in that order, or write the frame with its column names, as pandas' to_json(orient='records') does (then leave out ${HEADERLESS_OPTION}).`
      : `Give the file the model's ${columns.length} columns in that order, or a header row naming them (then leave out ${HEADERLESS_OPTION}).`;
    throw new DomainError(
      'unprocessable',
      'missing_columns',
      `The file was read without a header row, so its columns are taken to be the model's, in the model's order, and the model ` +
        `reads ${columns.length} columns (${shown}), but the file's ${has}.${oneField} ${fix}`,
      { missing: columns.slice(n) },
    );
  }
  const taken = new Set(columns.map((c) => c.toLowerCase()));
  return header.map((position, i) => {
    if (i < columns.length) return columns[i]!;
    // A model column named `column_7` is not this file's seventh column: that one becomes `column_7_`.
    let name = position;
    while (taken.has(name.toLowerCase())) name += '_';
    return name;
  });
}

/** Whether a job's file was read without a header row (a CSV's or a sheet's). */
export function isHeaderless(layout: JobLayout): boolean {
  return (layout.format === 'csv' || layout.format === 'xlsx') && layout.headerless === true;
}

/** Whether a job's file was a JSON list of lists (pandas' orient='values'), stored as the CSV of its rows. */
export function isListRows(layout: JobLayout): boolean {
  return layout.format === 'csv' && layout.listRows === true;
}

/** A job's layout as recorded: a header-less file's columns named after the model's (the others as they are). */
export function layoutForModel(layout: JobLayout, model: Model): JobLayout {
  const names = columnNamesOf(layout);
  return names === 'header' ? layout : { ...layout, header: modelOrderHeader(model, layout.header, names) };
}

/**
 * A file sent as header-less whose first line names the model's columns has a header row after all: read as data,
 * that line would fail as row 1 (or, for a model reading text, be scored as a row of names) and the results would
 * carry it as a row. Refused, saying to send it again without the option. Only the first record is read.
 */
export async function refuseHeaderReadAsData(
  source: ByteSource,
  layout: JobLayout,
  first: StoredChunk | undefined,
  model: Model,
): Promise<void> {
  // A sheet is stored as canonical CSV: its first record is read the same way.
  if (!isHeaderless(layout) || !first) return;
  if (model.schema.inputs.some((input) => !input.columns)) return;
  let fields: string[] | null = null;
  for await (const records of readRecords(source, { start: first.start, end: first.end, dialect: dialectOf(layout) })) {
    if (records.length > 0) fields = splitRecord(records[0]!, dialectOf(layout));
    if (fields !== null) break;
  }
  if (fields === null || !planColumns(model.schema, fields).ok) return;
  // The model's names, not the whole line: a column after them (`species`) is no column the model reads.
  const named = model.schema.inputs.flatMap((input) => input.columns ?? []);
  const names = `${named.slice(0, 6).join(', ')}${named.length > 6 ? '…' : ''}`;
  if (isListRows(layout)) {
    // Without the option a list of lists is not read at all: the way out is a layout that names its columns.
    throw new DomainError(
      'unprocessable',
      'header_option',
      `The file's first list names the columns the model reads (${names}): it is a header row, which a list of lists ` +
        `(pandas' to_json(orient='values')) is read without. Write the frame with its column names as keys, ` +
        `df.to_json(orient='records'), or as a CSV with that header row, and upload it without ${HEADERLESS_OPTION}.`,
    );
  }
  const line = layout.format === 'xlsx' ? ["The sheet's first row", 'that row'] : ["The file's first line", 'that line'];
  throw new DomainError(
    'unprocessable',
    'header_option',
    `${line[0]} names the columns the model reads (${names}): it is a header row, ` +
      `but the file was sent as having none, which would read ${line[1]} as data. Upload it again without ${HEADERLESS_OPTION}.`,
  );
}
