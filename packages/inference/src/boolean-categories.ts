/**
 * Text columns whose categories are a bool's. An encoder fitted on a pandas bool column (`is_member`) has the
 * categories False and True, named as Python names them (the importer's `True`/`False`); the graph compares text.
 * scikit-learn compares bools, and pandas gave it the same bool for every way a file writes one: `True`, `TRUE`,
 * `true` (read_csv ignores case), an Excel boolean cell (which this platform reads as `true`). So before a batch
 * is scored, a cell of such a column holding another spelling of true or false is given the category's own, and
 * matches it as it does in scikit-learn; without this, Excel's `TRUE` failed its row as an unknown category.
 *
 * Only where the model says the column is boolean: its recorded categories (schema.knownCategories, kept for
 * encoders with handle_unknown='error', scikit-learn's default) are all spellings of true and false, one each. A
 * text column with other categories keeps its cells as they are: `TRUE` and `true` may be different words there.
 * JSON and Parquet booleans are `True`/`False` already (@batchcast/csv's coerceJsonValue, formats' coerceValue).
 */
import { booleanNumber, type ColumnTarget, type RecordBatch } from '@batchcast/csv';
import { locate } from './known-categories.js';
import type { KnownCategories, ModelSchema } from './types.js';

/** The category text for false (index 0) and true (index 1), or null when the categories are not a bool's. */
function booleanSpellings(k: KnownCategories): [string | null, string | null] | null {
  if (k.values.length === 0) return null;
  const spelling: [string | null, string | null] = [null, null];
  for (const v of k.values) {
    const b = typeof v === 'string' ? booleanNumber(v) : undefined;
    if (b === undefined || spelling[b] !== null) return null;
    spelling[b] = v as string;
  }
  return spelling;
}

/** Rewrites, in place, the cells of the batch's boolean category columns to their categories' spelling. */
export function spellBooleanCategories(schema: ModelSchema, batch: RecordBatch, targets: ColumnTarget[]): void {
  const known = schema.knownCategories;
  if (!known || known.length === 0 || batch.count === 0) return;
  for (const k of known) {
    const spelling = booleanSpellings(k);
    if (spelling === null) continue;
    const where = locate(schema.inputs, k.column);
    if (!where) continue;
    const input = schema.inputs[where.input]!;
    const data = batch.data[targets.findIndex((t) => t.name === input.name)];
    if (!Array.isArray(data)) continue; // a number input: no text to spell
    for (let r = 0; r < batch.count; r++) {
      const i = r * input.width + where.at;
      const v = data[i]!;
      if (v === spelling[0] || v === spelling[1]) continue;
      const b = booleanNumber(v);
      const category = b === undefined ? null : spelling[b];
      if (category != null) data[i] = category;
    }
  }
}
