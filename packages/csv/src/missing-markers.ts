/**
 * The texts a text format (CSV, TSV and the other delimited dialects, an .xlsx sheet's cells) uses for a missing
 * value, as pandas reads them: the model was most likely fitted on `pandas.read_csv` (or `read_excel`) of such a
 * file, which turned these cells into NaN before scikit-learn saw them. R's `write.csv` writes `NA`, SQL exports
 * `NULL`, Excel `#N/A`, pandas' `to_csv` of None / pd.NA an empty cell or `<NA>`.
 *
 * Exactly pandas' default `na_values` (pandas.io.parsers STR_NA_VALUES, pandas 2.x; pandas 1.x lacks `None`),
 * compared as pandas compares them: the whole cell, case and spaces included, quoted or not. ` NA`, `na`, `Null`,
 * `-`, `?`, `nil` or `missing` are not missing values for pandas (its column becomes text), so they stay refused
 * where a number is needed, with the hint of notANumber (coerce.ts).
 *
 * JSON Lines and Parquet do not read them: `pandas.read_json` keeps the string "NA" as a string, and a Parquet
 * string column holds what was written; their missing value is null.
 */
export const PANDAS_NA_VALUES: ReadonlySet<string> = new Set([
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'None',
  'n/a',
  'nan',
  'null',
]);

/**
 * Which texts are missing values besides an empty cell: `pandas` for the text formats (PANDAS_NA_VALUES), `none`
 * for text inside typed formats (a JSON or Parquet string), where only null is missing.
 */
export type MissingMarkers = 'pandas' | 'none';

/** The longest marker (`#N/A N/A`): a longer text cell is not hashed for the lookup. */
const LONGEST = Math.max(...Array.from(PANDAS_NA_VALUES, (m) => m.length));

/** Whether `text`, a whole cell as the file holds it, is a missing value under `markers`. */
export function isMissingMarker(text: string, markers: MissingMarkers): boolean {
  return markers === 'pandas' && text.length <= LONGEST && PANDAS_NA_VALUES.has(text);
}
