/**
 * Names of the columns batchcast appends to each scored row. Labels are used verbatim (a class called
 * "Yes, renewed" gives `probability_Yes, renewed`); the CSV writer quotes as needed.
 */
import type { ModelSchema } from './types.js';

export function outputColumns(schema: ModelSchema): string[] {
  if (schema.task === 'regressor') return ['prediction'];
  // A classifier without a probability output (e.g. a plain SVM) only predicts the label.
  const probabilities = schema.probabilityOutput ? (schema.classLabels ?? []).map((l) => `probability_${l}`) : [];
  return ['prediction', ...probabilities];
}
