/**
 * Booleans where a model takes numbers. A model fitted on a pandas DataFrame with a bool column (`is_member`) takes
 * 1.0/0.0 there: scikit-learn casts bool to float. The files people score it from hold that column as text:
 * `DataFrame.to_csv` writes `True`/`False`, Excel `TRUE`/`FALSE` (in its CSV too), JavaScript and JSON exporters
 * `true`/`false`; `pandas.read_csv` reads every one of them back as bool (its parser compares the cell with "true" and
 * "false" ignoring case), and scikit-learn scores them as 1/0. So do we.
 *
 * Only true and false, in any case. Not `yes`/`no`, `y`/`n`, `T`/`F`, `on`/`off`: pandas reads those as text unless
 * told otherwise (`true_values=`), and scikit-learn then refuses the column ("could not convert string to float"), so a
 * model that takes numbers there was fitted on a coding its author chose (yes → 1? → 2?), which we cannot know.
 * (A model input of ONNX type bool does take yes/no, coerceBool in coerce.ts: there the only choices are two.)
 *
 * Spaces around are ignored, as they are around numbers (` 1.5` is 1.5 here).
 *
 * Callers ask only once a cell has failed to parse as a number: ordinary numbers never pay for these words.
 */
export function booleanNumber(text: string): 1 | 0 | undefined {
  const t = text.trim();
  if (t.length === 4 && t.toLowerCase() === 'true') return 1;
  if (t.length === 5 && t.toLowerCase() === 'false') return 0;
  return undefined;
}

/**
 * A JSON or Parquet boolean where the model takes text: `True`/`False`, Python's str() of a bool. A text input fed
 * by a bool column (a OneHotEncoder fitted on `is_member`) has the categories scikit-learn named `False` and `True`,
 * the text the same rows hold in the CSV `DataFrame.to_csv` writes; `true` would be no category at all.
 */
export function booleanCategoryText(value: boolean): 'True' | 'False' {
  return value ? 'True' : 'False';
}
