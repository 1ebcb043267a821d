import { pandasValuesToCsv } from '@batchcast/formats';
import { storeCsv } from './store-csv.js';
import type { FormatStep, StoredUpload } from './stored-upload.js';

/**
 * pandas' to_json(orient='values') JSON (a list of lists, no column names) uploaded as having no header row: stored
 * as the header-less CSV of the same rows (pandasValuesToCsv) and read from there on exactly as one, its columns
 * named by position and then after the model's, in its order, so there is one rule for files without names. The
 * CSV is made comma-separated with decimal points, whatever detection would guess from its first rows; JSON is
 * UTF-8, so no other encoding applies.
 */
export function storeValues(step: FormatStep): Promise<StoredUpload> {
  const { encoding: _, ...choices } = step.choices;
  return storeCsv(
    { ...step, choices: { ...choices, delimiter: ',', decimal: '.', header: 'none' } },
    // The layout keeps that the rows were JSON lists: the job's input says JSON, a row's messages speak of lists.
    { stages: [pandasValuesToCsv()], layout: { listRows: true } },
  );
}
