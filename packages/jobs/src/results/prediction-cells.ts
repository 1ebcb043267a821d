import { type CsvDialect, csvField, formatNumberText } from '@batchcast/csv';
import type { StoredBatch } from '@batchcast/db';
import { type Cell, isShortestNumberText, type ResultColumn } from '@batchcast/formats';
import { type ModelSchema, outputColumns } from '@batchcast/inference';
import type { ShortestNumbers } from '../inputs/read-input-rows.js';

/**
 * The prediction columns of the results, after the input's: `prediction`, `probability_<class>`... (classifiers
 * with probabilities), `error`. Typed for the typed results: labels are booleans when they stand for them (labelType),
 * int64 when every label is an integer (integerLabels), text otherwise; regression values and probabilities numbers.
 */
export function predictionColumns(schema: ModelSchema): ResultColumn[] {
  const [prediction, ...probabilities] = outputColumns(schema);
  return [
    { name: prediction!, type: schema.task === 'regressor' ? 'double' : labelColumnType(schema) },
    ...probabilities.map((name) => ({ name, type: 'double' as const })),
    { name: 'error', type: 'string' },
  ];
}

/** A classifier's labels in the typed results: booleans (their `True`/`False` text read as such), int64, or text. */
function labelColumnType(schema: ModelSchema): ResultColumn['type'] {
  if (schema.labelType === 'bool') return 'bool';
  return integerLabels(schema.classLabels) ? 'int64' : 'string';
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Whether a classifier's labels are all integers (an ONNX model's int64/int32 labels, a scikit-learn or XGBoost
 * model's integer classes): numbers that are integers, or the decimal text the importers keep for integers beyond
 * 2^53 (within int64). Such labels are written as int64 in the typed results; any text label keeps them all text.
 */
export function integerLabels(labels: readonly (string | number)[] | null): boolean {
  if (!labels || labels.length === 0) return false;
  return labels.every((l) => {
    if (typeof l === 'number') return Number.isSafeInteger(l);
    // Only the importers' text of an integer beyond 2^53 (exactIntLabel): a text label such as `1` stays text.
    if (!/^-?[1-9]\d{15,18}$/.test(l) || Number.isSafeInteger(Number(l))) return false;
    const v = BigInt(l);
    return v >= INT64_MIN && v <= INT64_MAX;
  });
}

/** How many probability columns the results have (none for a regressor or a classifier without them). */
export const probabilityCount = (schema: ModelSchema): number => outputColumns(schema).length - 1;

/**
 * Yields, row by row, the prediction cells of a chunk's stored batches as CSV text in the input's dialect,
 * without the leading delimiter: label (or value) and probabilities, then the error. Numbers are printed as
 * PostgreSQL prints them (but negative zero as `-0.0`), with a decimal comma when the input had one, so a spreadsheet in that locale reads
 * them as numbers. `escaped` caches the quoted labels (a few classes, millions of rows).
 */
export function* predictionTexts(
  batches: StoredBatch[],
  classes: number,
  dialect: CsvDialect,
  escaped: Map<string, string>,
): Generator<string> {
  const d = dialect.delimiter;
  // PostgreSQL prints negative zero `-0`: written `-0.0`, as every results format writes it (numberText).
  const point = (text: string) => (text === '-0' ? '-0.0' : text);
  const number = dialect.decimal === '.' ? point : (text: string) => formatNumberText(point(text), dialect);
  const empty = d.repeat(classes + 1);
  for (const b of batches) {
    const probs = b.probabilities ? b.probabilities.split(',') : null;
    const values = b.values ? b.values.split(',') : null;
    let nextError = 0;
    for (let i = 0; i < b.rowCount; i++) {
      if (nextError < b.errorRows.length && b.errorRows[nextError] === i) {
        yield empty + csvField(b.errorMessages[nextError++]!, dialect);
        continue;
      }
      let cells: string;
      if (b.labels) {
        const label = b.labels[i]!;
        let e = escaped.get(label);
        if (e === undefined) {
          e = csvField(label, dialect);
          escaped.set(label, e);
        }
        cells = e;
        if (probs) for (let k = 0; k < classes; k++) cells += d + number(probs[i * classes + k]!);
        else cells += d.repeat(classes);
      } else cells = values ? number(values[i]!) : '';
      yield cells + d;
    }
  }
}

/** PostgreSQL's text of a number: kept as text when it is the number's shortest form (the typed writers put it out as it is). */
const numberTextCell = (text: string): Cell => (isShortestNumberText(text) ? text : Number(text));
/** PostgreSQL's text of a float8 (shortest round-trip digits, `NaN`, `Infinity`) read as the number, exactly. */
const numberValueCell = (text: string): Cell => Number(text);

/**
 * Yields, row by row, the prediction cells of a chunk's stored batches as typed cells for the typed results:
 * the label (text) or value (a number, or its shortest text unless `numbers` asks for numbers), the probabilities (the
 * same), and the error (text, null when the row was scored). A failed row's predictions are null.
 */
export function* predictionValues(batches: StoredBatch[], classes: number, numbers: ShortestNumbers = 'text'): Generator<Cell[]> {
  const numberCell = numbers === 'text' ? numberTextCell : numberValueCell;
  for (const b of batches) {
    const probs = b.probabilities ? b.probabilities.split(',') : null;
    const values = b.values ? b.values.split(',') : null;
    let nextError = 0;
    for (let i = 0; i < b.rowCount; i++) {
      const cells: Cell[] = new Array(classes + 2).fill(null);
      if (nextError < b.errorRows.length && b.errorRows[nextError] === i) {
        cells[classes + 1] = b.errorMessages[nextError++]!;
        yield cells;
        continue;
      }
      if (b.labels) {
        cells[0] = b.labels[i]!;
        if (probs) for (let k = 0; k < classes; k++) cells[k + 1] = numberCell(probs[i * classes + k]!);
      } else if (values) cells[0] = numberCell(values[i]!);
      yield cells;
    }
  }
}
