/**
 * Text columns whose categories are a bool's. An encoder fitted on a pandas bool column (`is_member`) has the
 * categories False and True, named as Python names them (the importer's `True`/`False`); the graph compares text.
 * scikit-learn compares bools, and pandas gave it the same bool for every way a file writes one: `True`, `TRUE`,
 * `true` (read_csv ignores case), an Excel boolean cell (which this platform reads as `true`). So where the batch's
 * categories are checked (failUnknownCategories), a cell of such a column holding another spelling of true or false
 * is given the category's own, and matches it as it does in scikit-learn; without this, Excel's `TRUE` failed its
 * row as an unknown category. So is a number equal to 0 or 1 (known-categories.ts' numberAsBool): pandas reads a column
 * of 0 and 1 as int64, and numpy finds 0 == False and 1 == True among the categories; a job scoring such a file
 * failed every row as an unknown category that scikit-learn would refuse, when scikit-learn scores it.
 *
 * Only where the model says the column is boolean: its recorded categories (schema.knownCategories, kept for
 * encoders with handle_unknown='error', scikit-learn's default) are all spellings of true and false, one each. A
 * text column with other categories keeps its cells as they are: `TRUE` and `true` may be different words there.
 * JSON and Parquet booleans are `True`/`False` already (@batchcast/csv's coerceJsonValue, formats' coerceValue).
 */
import { booleanNumber } from '@batchcast/csv';
import type { KnownCategories } from './types.js';

/** The category text for false (index 0) and true (index 1), or null when the categories are not a bool's. */
export function booleanSpellings(k: KnownCategories): [string | null, string | null] | null {
  if (k.values.length === 0) return null;
  const spelling: [string | null, string | null] = [null, null];
  for (const v of k.values) {
    const b = typeof v === 'string' ? booleanNumber(v) : undefined;
    if (b === undefined || spelling[b] !== null) return null;
    spelling[b] = v as string;
  }
  return spelling;
}
