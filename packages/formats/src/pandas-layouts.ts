import { FormatError } from './errors.js';

/**
 * pandas' `DataFrame.to_json()` layouts that are not read: recognised from the first (and, for all but 'values', only)
 * JSON value of an upload, each refused naming the layout and the call that writes what batchcast reads: one object
 * per row, naming its columns. The layouts read are told from their first bytes (@batchcast/names'
 * pandasJsonLayout) and unwrapped before this (pandas-split.ts, pandas-index.ts, pandas-columns.ts, json-array.ts's
 * PandasTableSplitter); what reaches these refusals is 'values', and 'columns' or 'index' whose row labels are text
 * (the two cannot be told apart) or whose keys come in an order pandas does not write. Before, they got messages
 * about something else: a header of row numbers (`"0"`, `"1"`…) missing the model's columns, "an object is not a
 * cell value", the rows "under the key "data"", "line 1 is an array".
 */
export const RECORDS_ADVICE =
  "batchcast reads one record per row, each an object naming its columns: write df.to_json('f.json', orient='records') " +
  "or df.to_json('f.jsonl', orient='records', lines=True)";

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A row label as pandas writes a default (RangeIndex) index's: `"0"`, `"1"`… */
const ROW_LABEL = /^(0|[1-9][0-9]*)$/;

/**
 * The refusal of a file whose one record (`keys`, `values`: the first record's) is a pandas layout: 'split',
 * 'table', 'columns' (the default) or 'index'. Null when it is none of them.
 */
export function pandasLayoutRefusal(keys: readonly string[], values: readonly unknown[]): FormatError | null {
  const at = (k: string) => values[keys.indexOf(k)];
  const has = (k: string) => keys.includes(k);
  if (has('columns') && has('data') && Array.isArray(at('columns')) && Array.isArray(at('data'))) {
    const data = at('data') as unknown[];
    if (data.every(Array.isArray)) {
      return refusal(
        `this is pandas' to_json(orient='split') layout ("columns", ${has('index') ? '"index" and ' : ''}"data": the rows are lists of values, their column names apart)`,
      );
    }
  }
  if (has('schema') && has('data') && isObject(at('schema')) && Array.isArray((at('schema') as Record<string, unknown>).fields)) {
    return refusal(
      `this is pandas' to_json(orient='table') layout ("schema", then the rows under "data", with the index as a column)`,
      '; or upload the array under "data" itself (a JSON array of objects)',
    );
  }
  if (keys.length === 0 || !values.every(isObject)) return null;
  const inner = Object.keys(values[0] as Record<string, unknown>);
  if (inner.length === 0) return null;
  const outerLabels = keys.every((k) => ROW_LABEL.test(k));
  const innerLabels = inner.every((k) => ROW_LABEL.test(k));
  if (innerLabels && !outerLabels) {
    return refusal("this is pandas' to_json() default layout (orient='columns': one object per column, keyed by row index)");
  }
  if (outerLabels && !innerLabels) {
    return refusal("this is pandas' to_json(orient='index') layout (one object per row, keyed by row index)");
  }
  return refusal(
    "this is one of pandas' to_json() layouts orient='columns' (the default: one object per column, keyed by row index) " +
      "or orient='index' (one object per row, keyed by row index): the file is one object holding objects, and with row labels " +
      'that are not whole numbers (a text index) which of the two it is cannot be told',
  );
}

/**
 * The refusal of a JSON array whose first element is an array (`[[5.1, 3.5, "setosa"], ...]`): pandas'
 * to_json(orient='values'), or any list of lists, which says nothing of which value is which column.
 */
export function valuesLayoutRefusal(): FormatError {
  return refusal(
    "the JSON array's elements are arrays of values without column names, as pandas' to_json(orient='values') writes the rows (a list of lists): " +
      "to read each list as a row whose values are the model's columns in the model's order, as a CSV without a header row is read, upload it " +
      'with "The file has no header row" (header=none in the API, --no-header in the CLI)',
  );
}

function refusal(what: string, more = '', line = 1): FormatError {
  return new FormatError('json_layout', `${what}; ${RECORDS_ADVICE}${more}`, line);
}
