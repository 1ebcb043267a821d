import type { RowError } from '@batchcast/csv';
import { float32Text, numberText } from '@batchcast/formats';
import type { BatchPredictions } from '@batchcast/inference';

export type Prediction = Record<string, string | number | boolean | null>;

export interface PredictAnswer {
  model: { name: string; version: number };
  predictions: Prediction[];
}

/** What a real-time prediction answers, before it is an object or JSON text. */
export interface ScoredRows {
  model: { name: string; version: number };
  /** The answer's columns: `prediction`, then one per class probability (outputColumns). */
  columns: string[];
  /** Class labels of the schema (0 for a regressor). */
  classes: number;
  /**
   * Whether the model computes its values in double precision (valuesAreDouble): printed with every digit; otherwise
   * they are float32 numbers, printed as batch results print them, in float32's shortest form (201.57007, not the
   * widened double 201.570068359375), as are the probabilities, always float32. The same numbers as a batch job's.
   */
  doubleValues: boolean;
  /** Whether the labels (`False`/`True`) stand for booleans (ModelSchema.labelType): answered as JSON's false/true. */
  booleanLabels: boolean;
  count: number;
  /** Failed rows, in row order: they answer null columns and the error. */
  errors: RowError[];
  out: BatchPredictions;
}

/** The answer as objects: per row, its columns (or null columns and `error` for a failed row). */
export function predictionObjects(s: ScoredRows): PredictAnswer {
  const { columns, classes, out } = s;
  const errors = new Map(s.errors.map((e) => [e.row, e.message]));
  const predictions: Prediction[] = new Array(s.count);
  for (let i = 0; i < s.count; i++) {
    const p: Prediction = {};
    const error = errors.get(i);
    if (error !== undefined) {
      for (const c of columns) p[c] = null;
      p.error = error;
    } else {
      p.prediction = out.labels
        ? labelValue(out.labels[i]!, s.booleanLabels)
        : out.values
          ? s.doubleValues
            ? out.values[i]!
            : float32Number(out.values[i]!)
          : null;
      if (out.probabilities) for (let k = 0; k < classes; k++) p[columns[k + 1]!] = float32Number(out.probabilities[i * classes + k]!);
    }
    predictions[i] = p;
  }
  return { model: s.model, predictions };
}

/**
 * The answer objects as JSON text: JSON.stringify's, except that negative zero keeps its sign (`-0.0`, as the
 * results files write it: numberText) where JSON.stringify writes `0`.
 */
export function answerJson(answer: PredictAnswer): string {
  const rows = answer.predictions.map(
    (p) =>
      `{${Object.entries(p)
        .map(([key, value]) => `${JSON.stringify(key)}:${typeof value === 'number' ? numberJson(value) : JSON.stringify(value)}`)
        .join(',')}}`,
  );
  return `{"model":${JSON.stringify(answer.model)},"predictions":[${rows.join(',')}]}`;
}

/**
 * answerJson(predictionObjects(s)), byte for byte, written straight from the output arrays: a thousand
 * answer objects a request were short-lived garbage in a web process with a small young generation.
 * Numbers are written by numberText (String(), which is what JSON.stringify does for finite ones, but for
 * negative zero's sign; null when not finite). When the object's keys would not be `columns` in order (a
 * repeated column name, probabilities without their columns), the objects are built and written instead:
 * they define the answer.
 */
export function predictionJson(s: ScoredRows): string {
  const { columns, classes, out } = s;
  const probabilities = out.probabilities;
  const regular = new Set(columns).size === columns.length && columns.length === 1 + (probabilities ? classes : 0);
  if (!regular) return answerJson(predictionObjects(s));
  const keys = columns.map((c) => `${JSON.stringify(c)}:`);
  const failedRow = `{${keys.map((k) => `${k}null`).join(',')},"error":`;
  const labelText = new Map<string | number, string>();
  // A forest's probabilities take few distinct values (multiples of 1/trees), and printing a float32 (its shortest
  // digits, found by trying precisions) is the costly part of the answer: each is printed once, keyed by its bits.
  const probabilityBits = probabilities ? new Uint32Array(probabilities.buffer, probabilities.byteOffset, probabilities.length) : null;
  const probabilityText = new Map<number, string>();
  const parts: string[] = new Array(s.count);
  let e = 0;
  for (let i = 0; i < s.count; i++) {
    const error = s.errors[e];
    if (error !== undefined && error.row === i) {
      parts[i] = `${failedRow}${JSON.stringify(error.message)}}`;
      e++;
      continue;
    }
    let row = `{${keys[0]!}`;
    if (out.labels) {
      const label = out.labels[i]!;
      let text = labelText.get(label);
      if (text === undefined) {
        text = JSON.stringify(labelValue(label, s.booleanLabels));
        labelText.set(label, text);
      }
      row += text;
    } else row += out.values ? (s.doubleValues ? numberJson(out.values[i]!) : float32Json(out.values[i]!)) : 'null';
    if (probabilities && probabilityBits) {
      for (let k = 0; k < classes; k++) {
        const at = i * classes + k;
        let text = probabilityText.get(probabilityBits[at]!);
        if (text === undefined) {
          text = float32Json(probabilities[at]!);
          probabilityText.set(probabilityBits[at]!, text);
        }
        row += `,${keys[k + 1]!}${text}`;
      }
    }
    parts[i] = `${row}}`;
  }
  return `{"model":${JSON.stringify(s.model)},"predictions":[${parts.join(',')}]}`;
}

/** A label as answered: `True`/`False` as a boolean when the labels stand for booleans, else as it is. */
const labelValue = (label: string | number, booleans: boolean): string | number | boolean => (booleans ? label === 'True' : label);
const numberJson = (x: number): string => (Number.isFinite(x) ? numberText(x) : 'null');
/** A float32 number (a double that is one) as JSON: its shortest float32 digits (float32Text); null when not finite. */
const float32Json = (x: number): string => (Number.isFinite(x) ? float32Text(x) : 'null');
/** The double whose shortest text is the float32's shortest digits: what JSON.stringify then prints as float32Json does. */
const float32Number = (x: number): number => (Number.isFinite(x) ? Number(float32Text(x)) : x);
