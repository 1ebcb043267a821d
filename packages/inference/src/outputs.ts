/**
 * Names of the columns batchcast appends to each scored row. Labels are used verbatim (a class called
 * "Yes, renewed" gives `probability_Yes, renewed`); the CSV writer quotes as needed. Column names are compared
 * ignoring case everywhere (uploads, DuckDB, spreadsheets), so classes whose labels differ only in case ("A" and
 * "a") get distinct names: the first keeps `probability_a`, the next `probability_a_2` (`_3`…), in class order.
 * Before, such a model scored, but every .jsonl, .parquet and .xlsx download of its results was refused.
 */
import type { ModelSchema } from './types.js';

export function outputColumns(schema: ModelSchema): string[] {
  if (schema.task === 'regressor') return ['prediction'];
  // A classifier without a probability output (e.g. a plain SVM) only predicts the label.
  if (!schema.probabilityOutput) return ['prediction'];
  const taken = new Set(['prediction', 'error']);
  const probabilities = (schema.classLabels ?? []).map((l) => {
    let name = `probability_${l}`;
    for (let k = 2; taken.has(name.toLowerCase()); k++) name = `probability_${l}_${k}`;
    taken.add(name.toLowerCase());
    return name;
  });
  return ['prediction', ...probabilities];
}

/**
 * Whether a regressor computes its values in double precision (its value output is a double tensor, as
 * scikit-learn regressors converted from a pickle are): such values are stored with every digit. Float32
 * models' values are stored as float32, the digits they have.
 */
export const valuesAreDouble = (schema: ModelSchema): boolean =>
  schema.task === 'regressor' && schema.outputs.some((o) => o.name === schema.valueOutput && o.type === 'float64');
