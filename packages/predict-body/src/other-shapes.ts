import { pythonWordsAsJson } from '@batchcast/names';
import { firstDuplicateKey } from './duplicate-keys.js';
import { PredictBodyError } from './types.js';

/**
 * The request bodies of other serving stacks, read as batchcast's `{"rows": [...]}`: people moving to batchcast
 * send what their clients already send, and were told `Not a field of this request body: "instances"`.
 * - MLflow's scoring server: `{"dataframe_split": {"columns": [...], "data": [[...], ...], "index": [...]}}`,
 *   `{"dataframe_records": [{...}, ...]}`, `{"inputs": {"column": [values...], ...}}` (a column each) and
 *   `{"instances": ...}`;
 * - TF Serving, Vertex AI and KServe v1: `{"instances": [{...}, ...]}`, or `[[...], ...]` (values in the model's
 *   column order, the order `GET /api/models/:name` lists them);
 * - a bare JSON array of row objects.
 * The body is parsed whole (JSON.parse; Python's NaN and Infinity as the rows path reads them) and written again
 * as `{"rows": [...]}` for the rows path, which then checks it as it checks any body (limits, keys, values): one
 * reader of rows, so every shape gets the same columns, missing values and row errors. The rows path itself is not
 * slowed: this is tried only once it has refused a body's top-level shape. Errors name the row as it was sent
 * (`instances[3]`, `dataframe_split.data[3]`), without a byte offset (the body read is the rewritten one).
 */

/** The shapes, by their top-level key. */
const SHAPE_KEYS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;
type ShapeKey = (typeof SHAPE_KEYS)[number];

/** A body in another shape, as `{"rows": [...]}`, and how its rows are named in messages (`instances`). */
export interface RowsBody {
  body: Buffer;
  rowsName: string;
}

/**
 * `body` as a `{"rows": [...]}` body when it is in one of the other shapes, or null when it is not (the rows path's
 * refusal stands). `columns` gives the model's columns in its order, for rows sent as lists of values (null when
 * the model does not name them). Throws PredictBodyError for a body in such a shape that cannot be read, saying
 * why and where.
 */
export async function asRowsBody(body: Buffer, columns: () => Promise<string[] | null>): Promise<RowsBody | null> {
  const parsed = parseLeniently(body);
  if (parsed === undefined) return null;
  const { value, text } = parsed;
  if (Array.isArray(value)) {
    refuseDuplicateKeys(text, 'the body');
    return rowsBody(objectRows(value, 'the body'), 'the body');
  }
  if (typeof value !== 'object' || value === null) return null;
  const keys = Object.keys(value);
  const shapes = keys.filter((k): k is ShapeKey => (SHAPE_KEYS as readonly string[]).includes(k));
  if (shapes.length === 0) return null;
  refuseDuplicateKeys(text, '');
  if (shapes.length > 1 || keys.length > 1) {
    const others = keys.filter((k) => k !== shapes[0]);
    throw invalid(
      `The body has ${quoted(shapes[0]!)} and ${others.map(quoted).join(', ')}: send one of "rows", "instances", "dataframe_split", "dataframe_records" or "inputs", alone.`,
    );
  }
  const shape = shapes[0]!;
  const content = (value as Record<string, unknown>)[shape];
  switch (shape) {
    case 'dataframe_records':
      return rowsBody(objectRows(content, shape), shape);
    case 'dataframe_split':
      return rowsBody(splitRows(content), 'dataframe_split.data');
    case 'inputs':
      if (Array.isArray(content)) return rowsBody(await instanceRows(content, 'inputs', columns), 'inputs');
      return rowsBody(columnRows(content), 'inputs');
    case 'instances':
      return rowsBody(await instanceRows(content, 'instances', columns), 'instances');
  }
}

/**
 * The body as JSON (Python's words read as the rows path reads them) and the JSON text it was read from, or undefined
 * when it is not JSON at all.
 */
function parseLeniently(body: Buffer): { value: unknown; text: string } | undefined {
  const text = body.toString('utf8').replace(/^\ufeff/, '');
  try {
    return { value: JSON.parse(text), text };
  } catch {
    const json = pythonWordsAsJson(text);
    if (json === null) return undefined;
    try {
      return { value: JSON.parse(json), text: json };
    } catch {
      return undefined;
    }
  }
}

/**
 * A key given twice in one object is refused, as the rows path refuses it in a row: JSON.parse would keep the last
 * value without a word. `top` names the top level when it is a list of rows (`the body`).
 */
function refuseDuplicateKeys(text: string, top: string): void {
  const found = firstDuplicateKey(text);
  if (found === null) return;
  const path = found.path === '' ? top : found.path.startsWith('[') ? `${top}${found.path}` : found.path;
  const where = path === '' ? 'The body' : path;
  const row = /\[(\d+)\]$/.exec(found.path);
  throw new PredictBodyError(422, 'duplicate_key', `${where} has the key ${quoted(found.key)} more than once: send each key once.`, {
    ...(row ? { row: Number(row[1]) } : {}),
    column: found.key,
  });
}

const quoted = (key: string): string => JSON.stringify(key.slice(0, 100));

function invalid(message: string): PredictBodyError {
  return new PredictBodyError(400, 'invalid_body', message, {});
}

function unprocessable(message: string, row?: number): PredictBodyError {
  return new PredictBodyError(422, 'row_not_object', message, row === undefined ? {} : { row });
}

/** A list of row objects (`dataframe_records`, `instances` of objects, a bare array). */
function objectRows(list: unknown, name: string): Record<string, unknown>[] {
  if (!Array.isArray(list)) throw invalid(`${name} must be a list of rows, each an object { "column": value, ... }.`);
  list.forEach((row, i) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw unprocessable(`${name}[${i}] is not an object: send each row as { "column": value, ... }.`, i);
    }
  });
  return list as Record<string, unknown>[];
}

/** MLflow's `dataframe_split`: the column names once, then each row's values in their order (`index` ignored). */
function splitRows(split: unknown): Record<string, unknown>[] {
  const shape =
    'send "dataframe_split": { "columns": [names...], "data": [[values...], ...] }, as pandas\' df.to_dict(orient="split") writes it';
  if (typeof split !== 'object' || split === null || Array.isArray(split)) throw invalid(`"dataframe_split" must be an object: ${shape}.`);
  const { columns, data, ...rest } = split as Record<string, unknown>;
  const unknown = Object.keys(rest).filter((k) => k !== 'index');
  if (unknown.length > 0)
    throw invalid(`Not a field of "dataframe_split": ${quoted(unknown[0]!)}. It takes "columns", "data" and "index": ${shape}.`);
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) {
    throw invalid(`"dataframe_split.columns" must be the list of column names: ${shape}.`);
  }
  const twice = columns.find((c, i) => columns.indexOf(c) !== i);
  if (twice !== undefined) {
    throw new PredictBodyError(
      422,
      'duplicate_key',
      `"dataframe_split.columns" names ${quoted(twice)} more than once: name each column once (which of its values would the model read?).`,
      { column: twice },
    );
  }
  if (!Array.isArray(data)) throw invalid(`"dataframe_split.data" must be a list of rows, each a list of values: ${shape}.`);
  return data.map((values, i) => {
    if (!Array.isArray(values) || values.length !== columns.length) {
      const got = Array.isArray(values) ? `has ${values.length} values` : 'is not a list of values';
      throw unprocessable(
        `dataframe_split.data[${i}] ${got}, and "columns" names ${columns.length}: give each row one value per column, in that order.`,
        i,
      );
    }
    return rowOf(columns as string[], values);
  });
}

/** `instances` (or `inputs` as a list): row objects, or rows of values in the model's column order. */
async function instanceRows(list: unknown, name: string, columns: () => Promise<string[] | null>): Promise<Record<string, unknown>[]> {
  if (!Array.isArray(list)) throw invalid(`"${name}" must be a list of rows: objects { "column": value, ... } or lists of values.`);
  if (!list.some((row) => Array.isArray(row))) return objectRows(list, name);
  const order = await columns();
  if (order === null) {
    throw invalid(
      `The model does not name its columns, so rows sent as lists of values cannot be matched to them: send "rows" of objects.`,
    );
  }
  return list.map((values, i) => {
    if (!Array.isArray(values) || values.length !== order.length) {
      const got = Array.isArray(values) ? `has ${values.length} values` : 'is not a list of values';
      throw unprocessable(
        `${name}[${i}] ${got}: a row sent as a list has one value for each of the model's ${order.length} columns, in its order: ${order.join(', ')}.`,
        i,
      );
    }
    return rowOf(order, values);
  });
}

/** MLflow's columnar `inputs`: each column's values, every column as long as the others. */
function columnRows(inputs: unknown): Record<string, unknown>[] {
  if (typeof inputs !== 'object' || inputs === null)
    throw invalid(`"inputs" must be an object of columns { "column": [values...], ... } or a list of rows.`);
  const entries = Object.entries(inputs as Record<string, unknown>);
  for (const [column, values] of entries) {
    if (!Array.isArray(values)) throw invalid(`"inputs" ${quoted(column)} must be the list of that column's values, one per row.`);
  }
  const lengths = new Set(entries.map(([, values]) => (values as unknown[]).length));
  if (lengths.size > 1) {
    const described = entries.map(([column, values]) => `${quoted(column)} ${(values as unknown[]).length}`).join(', ');
    throw invalid(`The columns of "inputs" have different numbers of values (${described}): give every column one value per row.`);
  }
  const count = entries.length === 0 ? 0 : (entries[0]![1] as unknown[]).length;
  return Array.from({ length: count }, (_, i) => Object.fromEntries(entries.map(([column, values]) => [column, (values as unknown[])[i]])));
}

function rowOf(columns: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  columns.forEach((c, k) => {
    row[c] = values[k];
  });
  return row;
}

/** The rows as a `{"rows": [...]}` body: JSON, infinities written as 1e400 (JSON.stringify would write null). */
function rowsBody(rows: Record<string, unknown>[], rowsName: string): RowsBody {
  const parts = rows.map(
    (row) =>
      `{${Object.entries(row)
        .map(([k, v]) => `${JSON.stringify(k)}:${valueJson(v)}`)
        .join(',')}}`,
  );
  return { body: Buffer.from(`{"rows":[${parts.join(',')}]}`), rowsName };
}

function valueJson(v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'null' : v > 0 ? '1e400' : '-1e400';
  return JSON.stringify(v) ?? 'null';
}
