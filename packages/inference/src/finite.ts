/**
 * Rows the model gave no finite prediction for. A missing cell is read as NaN (a missing value: tree
 * ensembles, XGBoost and HistGradientBoosting route it down a branch of their own and answer a finite
 * number), but a linear model or an MLP turns it into NaN probabilities, and a classifier's label output
 * then still names a class ("setosa" with NaN probabilities). Refusing NaN inputs up front would take the
 * missing-value support of the tree models away, so the decision is made on the OUTPUT: a row with any
 * probability or value that is NaN or ±Infinity fails, as a row with an unreadable cell does.
 *
 * Both engines (ONNX Runtime and the forest evaluator) and both paths (batch chunks, real-time requests) go
 * through failNonFiniteRows after scoring, so the rule and the message are the same everywhere.
 */
import type { ColumnTarget, RecordBatch, RowError } from '@batchcast/csv';
import type { BatchPredictions } from './types.js';

/** At most this many columns are named in one row's message (a wide model with many missing cells). */
const MAX_NAMED = 5;

/**
 * Indices (0-based in the batch, ascending) of the rows with a NaN or ±Infinity among their probabilities or
 * values; null when there is none, the common case, which allocates nothing. This runs on every batch of
 * every job, so it is one pass over each output array; `x - x !== 0` is true exactly for NaN and ±Infinity.
 */
export function nonFiniteRows(out: BatchPredictions): number[] | null {
  let bad: number[] | null = null;
  const p = out.probabilities;
  if (p && out.count > 0) {
    const width = p.length / out.count;
    for (let k = 0; k < p.length; k++) {
      const x = p[k]!;
      if (x - x !== 0) {
        const row = (k / width) | 0;
        if (bad === null) bad = [];
        bad.push(row);
        k = (row + 1) * width - 1; // the row has failed: on to the next one
      }
    }
  }
  const v = out.values;
  if (v) {
    let fromValues: number[] | null = null;
    for (let i = 0; i < out.count; i++) {
      const x = v[i]!;
      if (x - x !== 0) {
        if (fromValues === null) fromValues = [];
        fromValues.push(i);
      }
    }
    // Schemas give a row probabilities or a value, not both; merged anyway so the order holds whatever comes.
    if (fromValues) bad = bad ? [...new Set([...bad, ...fromValues])].sort((a, b) => a - b) : fromValues;
  }
  return bad;
}

/**
 * The batch's row errors with a failure added for every row whose outputs are not finite (nonFiniteRows),
 * in row order: the errors the platform stores and answers (the `error` column, errors.csv, the failed
 * count; a failed row's label and numbers are not written). Rows that already failed (a cell that could not
 * be read, scored on neutral NaN values) keep their own error. Returns `batch.errors` itself when no row is
 * added. `header`: the input's column names, which `targets` index.
 */
export function failNonFiniteRows(
  out: BatchPredictions,
  batch: RecordBatch,
  targets: readonly ColumnTarget[],
  header: readonly string[],
): RowError[] {
  const bad = nonFiniteRows(out);
  if (bad === null) return batch.errors;
  const merged: RowError[] = [];
  let e = 0;
  for (const i of bad) {
    const row = batch.firstRow + i;
    while (e < batch.errors.length && batch.errors[e]!.row < row) merged.push(batch.errors[e++]!);
    if (e < batch.errors.length && batch.errors[e]!.row === row) continue; // failed already, for its own reason
    merged.push(nonFiniteError(batch, targets, header, i));
  }
  while (e < batch.errors.length) merged.push(batch.errors[e++]!);
  return merged.length === batch.errors.length ? batch.errors : merged;
}

/** The error of row `i` (in the batch): which of its inputs are missing or infinite, and what that means. */
function nonFiniteError(batch: RecordBatch, targets: readonly ColumnTarget[], header: readonly string[], i: number): RowError {
  const problems: string[] = [];
  let first: string | null = null;
  let missing = false;
  let infinite = false;
  // A finite double beyond float32's range is infinite for a model that reads its input as float32 inside the
  // graph (scikit-learn's trees, which refuse it): the first such column, named when nothing else is at fault.
  let huge: string | null = null;
  // Missing text cells (read as the empty text), named only when no number explains the row: most models take them
  // (an imputer fills them, an encoder has a missing category), but scikit-learn's SimpleImputer with a text
  // missing_values ('?') refuses NaN, and the converted graph answers NaN for such a row.
  const emptyText: string[] = [];
  for (let k = 0; k < targets.length; k++) {
    const target = targets[k]!;
    const data = batch.data[k];
    const width = target.columns.length;
    if (Array.isArray(data)) {
      for (let j = 0; j < width; j++) if (data[i * width + j] === '') emptyText.push(columnName(header, target, j));
      continue;
    }
    if (!(data instanceof Float32Array || data instanceof Float64Array)) continue; // integers and booleans are never NaN
    for (let j = 0; j < width; j++) {
      const x = data[i * width + j]!;
      if (Number.isFinite(x)) {
        if (huge === null && data instanceof Float64Array && Math.abs(x) > FLOAT32_MAX) huge = columnName(header, target, j);
        continue;
      }
      const name = columnName(header, target, j);
      first ??= name;
      if (Number.isNaN(x)) missing = true;
      else infinite = true;
      problems.push(
        Number.isNaN(x)
          ? `column "${name}" is missing (empty, NA, null or NaN)`
          : data instanceof Float32Array
            ? // 1e39 reads as a finite double, but the model takes float32, whose largest value is 3.4e38.
              `column "${name}" is not a finite number (infinite, or beyond ±3.4e38, the largest value of this model's float32 inputs)`
            : `column "${name}" is not a finite number (infinite, or beyond ±1.8e308)`,
      );
    }
  }
  if (problems.length === 0) {
    if (huge !== null) {
      return {
        row: batch.firstRow + i,
        column: huge,
        value: null,
        // Either cause is possible here and the graph does not say which: a model that narrows its double
        // inputs to float32 (scikit-learn's trees) reads the value as infinite, and one computing in doubles
        // (a linear model) may overflow with it. The column is named either way: it is the one to look at.
        message:
          `the model gave no finite prediction for this row: column "${huge}" is beyond ±3.4e38, the largest float32, ` +
          'which a model that computes in float32 reads as infinite and which may overflow the arithmetic of one that computes in doubles',
      };
    }
    if (emptyText.length > 0) {
      for (const name of emptyText) problems.push(`column "${name}" is missing (empty, NA, null…)`);
      first = emptyText[0]!;
      missing = true;
    }
  }
  if (problems.length === 0) {
    return {
      row: batch.firstRow + i,
      column: null,
      value: null,
      message:
        'the model gave no finite prediction for this row (NaN or infinite outputs) although its inputs are finite numbers; ' +
        'an extreme value may overflow its arithmetic',
    };
  }
  const named = problems.length > MAX_NAMED ? [...problems.slice(0, MAX_NAMED), `${problems.length - MAX_NAMED} more`] : problems;
  const listed = named.length === 1 ? named[0]! : `${named.slice(0, -1).join(', ')} and ${named.at(-1)!}`;
  const what = missing && infinite ? 'missing or non-finite values' : missing ? 'missing values' : 'non-finite values';
  return {
    row: batch.firstRow + i,
    column: first,
    value: null,
    message: `${listed}; this model gives no prediction for rows with ${what}`,
  };
}

/** Float32's largest finite value. */
const FLOAT32_MAX = 3.4028234663852886e38;

function columnName(header: readonly string[], target: ColumnTarget, j: number): string {
  return header[target.columns[j]!] ?? `column ${target.columns[j]! + 1}`;
}
