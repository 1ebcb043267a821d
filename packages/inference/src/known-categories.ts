/**
 * Rows whose category the model was not trained on. A scikit-learn OneHotEncoder with handle_unknown='error'
 * raises for such a value; an ONNX graph cannot fail one row, and would encode it as all zeros and score it as if
 * it were nothing in particular. The importer records the column's categories in the graph's metadata
 * (`batchcast.known_categories`); registration keeps them in the schema, and every batch is checked here before
 * it is scored: such a row fails with the platform's per-row errors (its prediction is discarded like that of a
 * row with a word in a number column), the others score as before.
 *
 * An encoder behind a SimpleImputer sees the imputer's output, not the cell: the cells the imputer takes for missing
 * are checked as what it fills them with (accepted when that is a category, as scikit-learn encodes it; refused
 * when it is not, as scikit-learn raises for it), the others as they are, and a missing value that the imputer does
 * not take for missing (missing_values='?') is refused, as its check_array raises for NaN.
 */
import { booleanNumber, type ColumnTarget, type CsvDecimal, parseFloatText, type RecordBatch, RowFailure } from '@batchcast/csv';
import { booleanSpellings } from './boolean-categories.js';
import type { ModelProto } from './onnx-proto.js';
import type { ImputerInFront, KnownCategories, ModelInput, ModelSchema } from './types.js';

export const KNOWN_CATEGORIES_KEY = 'batchcast.known_categories';

/** The metadata's entries for columns that feed the model; anything unreadable is ignored (the graph still scores). */
export function readKnownCategories(model: ModelProto, inputs: ModelInput[]): KnownCategories[] | null {
  const entry = (model.metadataProps ?? []).find((p) => p.key === KNOWN_CATEGORIES_KEY);
  if (!entry?.value) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(entry.value);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  const found: KnownCategories[] = [];
  for (const e of parsed as Record<string, unknown>[]) {
    if (typeof e?.column !== 'string' || !Array.isArray(e.values) || typeof e.encoder !== 'string') continue;
    const values = e.values.filter((v): v is string | number => typeof v === 'string' || typeof v === 'number');
    if (!locate(inputs, e.column)) continue;
    const imputer = readImputer(e.imputer);
    // An imputer the platform cannot read: better to check nothing than to refuse the cells it fills.
    if (imputer === undefined) continue;
    found.push({ column: e.column, values, missing: e.missing === true, encoder: e.encoder, ...(imputer ? { imputer } : {}) });
  }
  return found.length > 0 ? found : null;
}

/** An entry's imputer: null when there is none, undefined when it is unreadable. */
function readImputer(raw: unknown): ImputerInFront | null | undefined {
  if (raw === undefined) return null;
  const i = raw as Record<string, unknown> | null;
  const label = (v: unknown) => v === null || typeof v === 'string' || typeof v === 'number';
  if (!i || typeof i !== 'object' || !label(i.marker) || !label(i.fill) || typeof i.name !== 'string') return undefined;
  return { marker: i.marker as ImputerInFront['marker'], fill: i.fill as ImputerInFront['fill'], name: i.name };
}

/** Which model input, and which of its columns, a CSV column is (case and spaces around ignored). */
export function locate(inputs: ModelInput[], column: string): { input: number; at: number } | null {
  const key = column.trim().toLowerCase();
  for (const [i, input] of inputs.entries()) {
    const at = (input.columns ?? []).findIndex((c) => c.trim().toLowerCase() === key);
    if (at >= 0) return { input: i, at };
  }
  return null;
}

const shown = (values: (string | number)[]) => {
  const list = values.slice(0, 20).map((v) => (typeof v === 'string' ? (v === '' ? '(empty)' : v) : String(v)));
  return values.length > 20 ? `${list.join(', ')} … (${values.length} in all)` : list.join(', ');
};

/**
 * A number equal to false or true, as numpy compares them: pandas reads a column of 0 and 1 (or 0.0 and 1.0, 1e0, +1)
 * as numbers (`0,0` too in a file read with a decimal comma, as pandas.read_csv(decimal=',') reads it: the batch's
 * decimal), and scikit-learn finds 0 among the categories False/True (0 == False), 2 or 0.5 not. Not where the
 * categories hold the missing one too (a bool column with NaN, object categories [False, True, nan]): there
 * scikit-learn 1.2 raises for any column pandas reads as numbers, and such cells stay refused. Nor where the
 * categories are spelt otherwise than Python's False/True (`false`/`true`: strings of a text column, against which scikit-learn 1.2 raises for numbers).
 */
function numberAsBool(text: string, decimal: CsvDecimal | undefined): 0 | 1 | undefined {
  const n = parseFloatText(text, decimal);
  return n === 0 ? 0 : n === 1 ? 1 : undefined;
}

/**
 * Adds an error for every row of the batch holding a value outside its column's categories, naming each such column
 * of the row (a row that already failed keeps its error: its cells were not all read), in place, keeping batch.errors in row order; a bool column's other spellings of true
 * and false, and the numbers 0 and 1 (numberAsBool), are given its categories' (boolean-categories.ts). `targets` are the batch's (planColumns').
 */
export function failUnknownCategories(schema: ModelSchema, batch: RecordBatch, targets: ColumnTarget[]): void {
  const known = schema.knownCategories;
  if (!known || known.length === 0 || batch.count === 0) return;
  const failed = new Set(batch.errors.map((e) => e.row - batch.firstRow));
  const added = new Map<number, RowFailure>();
  for (const k of known) {
    const where = locate(schema.inputs, k.column);
    if (!where) continue;
    const input = schema.inputs[where.input]!;
    const data = batch.data[targets.findIndex((t) => t.name === input.name)];
    if (!data) continue;
    const allowed = new Set<string | number>(k.values);
    // A bool's categories take every spelling pandas reads as that bool, and 0/1: the cell is given the category's own.
    const spelling = Array.isArray(data) && !k.fromGraph ? booleanSpellings(k) : null;
    // Python's own names only (a text column's "true"/"false" are strings: scikit-learn raises for numbers), and no NaN.
    const numbersAreBools = spelling?.[0] === 'False' && spelling[1] === 'True' && !k.missing;
    for (let r = 0; r < batch.count; r++) {
      if (failed.has(r)) continue;
      const at = r * input.width + where.at;
      const v = (data as ArrayLike<string | number | bigint | boolean>)[at];
      if (spelling && typeof v === 'string' && !allowed.has(v)) {
        const b = booleanNumber(v) ?? (numbersAreBools ? numberAsBool(v, batch.decimal) : undefined);
        const category = b === undefined ? null : spelling[b];
        if (category != null) {
          (data as string[])[at] = category;
          continue;
        }
      }
      const missing = v === '' || (typeof v === 'number' && Number.isNaN(v));
      const cell = missing ? null : typeof v === 'number' || typeof v === 'string' ? v : String(v);
      const imputer = k.imputer;
      // What the encoder receives: the cell, or what the imputer in front fills it with.
      const filled = imputer !== undefined && (imputer.marker === null ? missing : cell === imputer.marker);
      const seen = filled ? imputer.fill : cell;
      const refusedByImputer = imputer !== undefined && imputer.marker !== null && missing;
      if (!refusedByImputer && (seen === null ? k.missing : allowed.has(seen))) continue;
      const text = missing ? '' : String(v);
      const what = missing ? 'a missing value (empty, NA, null…)' : JSON.stringify(text);
      const message = refusedByImputer
        ? `${k.column}: ${what} is refused by ${imputer.name}, whose missing_values is ${JSON.stringify(imputer.marker)}: ` +
          'scikit-learn raises "Input contains NaN" for this row'
        : k.fromGraph
          ? `${k.column}: ${what} was not among the categories the model was trained on (${shown(k.values)}); ${k.encoder} ` +
            "refuses any other value (zeros=0, as skl2onnx writes scikit-learn's handle_unknown='error'), so scikit-learn would refuse this row too"
          : `${k.column}: ${what}${filled ? `, filled with ${seen === null ? 'NaN' : JSON.stringify(seen)} by ${imputer.name},` : ''} was not among the ` +
            `categories the model was trained on (${shown(k.values)}); ${k.encoder} has handle_unknown='error', so scikit-learn would refuse this row too`;
      const row = added.get(r);
      if (row === undefined) added.set(r, new RowFailure(k.column, text.slice(0, 200), message));
      else row.add(k.column, message);
    }
  }
  if (added.size === 0) return;
  for (const [r, failure] of added) batch.errors.push(failure.error(batch.firstRow + r));
  batch.errors.sort((a, b) => a.row - b.row);
}
