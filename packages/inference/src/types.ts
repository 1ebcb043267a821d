/**
 * Contracts of the inference package: what a registered model looks like to the rest of the platform.
 * Everything is plain JSON-serialisable data so it can be stored in PostgreSQL (models.schema, jsonb) and
 * handed to any worker on any machine.
 */
import type { CellType } from '@batchcast/csv';

export type TensorType = CellType;

export interface ModelInput {
  /** Graph input name. */
  name: string;
  type: TensorType;
  /** Shape as declared; symbolic or unknown dimensions are null. */
  shape: (number | null)[];
  /** How many CSV columns feed this input (last dimension; 1 for [N] or [N,1]). */
  width: number;
  /**
   * The CSV column names that feed it, in order: for a one-per-column input its own name; for a 2-D input
   * the registration's `features`, else the model's `feature_names` metadata, else null (decided from
   * the CSV header when its column count equals `width`).
   */
  columns: string[] | null;
}

export interface ModelOutput {
  name: string;
  type: TensorType;
  shape: (number | null)[];
}

export interface ModelSchema {
  task: 'classifier' | 'regressor';
  inputs: ModelInput[];
  outputs: ModelOutput[];
  /** Output holding the predicted class (classifiers). */
  labelOutput: string | null;
  /** Output holding class probabilities [N, classes] (classifiers, after the ZipMap rewrite). */
  probabilityOutput: string | null;
  /** Output holding the regression value [N] or [N,1] (regressors). */
  valueOutput: string | null;
  /** Class labels in the model's probability order; numbers for integer labels. Null for regressors. */
  classLabels: (string | number)[] | null;
  /**
   * `bool` when the labels (`False`, `True`) stand for booleans: a classifier fitted on a y of True/False. The CSV
   * results keep the text, as pandas writes it; JSON Lines, Parquet, .xlsx and real-time answers give booleans, as
   * pandas' to_json and to_parquet do. Absent for any other labels (label-type.ts).
   */
  labelType?: 'bool';
  /** A fixed batch dimension (e.g. 1) the model requires, or null when any batch size works. */
  fixedBatch: number | null;
  /** Anything the registration learned worth showing: producer name/version, opsets, graph rewrites. */
  notes: string[];
  /**
   * Columns whose values must be among the categories the model was trained on (a scikit-learn OneHotEncoder
   * or OrdinalEncoder with handle_unknown='error' reading the column as it is, or as a SimpleImputer filled it): a
   * row with another value fails, as scikit-learn raises for it. From the converted graph's `batchcast.known_categories` metadata; absent when there are none.
   */
  knownCategories?: KnownCategories[];
  /**
   * Set when registration found the forest evaluator giving ONNX Runtime's results bit for bit on the probe
   * rows (forest/verify-forest.ts): which evaluator and which ONNX Runtime agreed. A process running the same
   * two scores the model with the evaluator without loading ONNX Runtime at all; any other checks again when
   * it loads the model. Absent for models registered before it was recorded (they are checked at load).
   */
  forestVerified?: ForestVerdict | null;
}

/** The categories one column may hold. */
export interface KnownCategories {
  /** The CSV column (as ModelInput.columns names it). */
  column: string;
  /** Text or numbers, as the encoder compares them. */
  values: (string | number)[];
  /** Whether a missing value (empty cell, NaN) is one of them. */
  missing: boolean;
  /** Who refuses other values, for the row's error: "OneHotEncoder (ColumnTransformer part 'cat')". */
  encoder: string;
  /**
   * A SimpleImputer between the column and the encoder: the encoder sees its output, not the cell. The cells it
   * takes for missing become `fill`, which is what must be among the categories; the others reach the encoder as
   * they are. Absent when the encoder reads the column as it is.
   */
  imputer?: ImputerInFront;
  /**
   * Read from the graph itself (graph-categories.ts: an ONNX OneHotEncoder with zeros=0), not recorded by our
   * importers: the cells are compared as the graph compares them, text for text, with no bool spellings.
   */
  fromGraph?: boolean;
}

/** What a SimpleImputer in front of an encoder does to a column's cells (KnownCategories.imputer). */
export interface ImputerInFront {
  /**
   * The cells it fills: null for a missing value (an empty cell, pandas' markers such as NA, null: NaN to
   * scikit-learn), else its missing_values, a text or a number; a missing value is then refused by the imputer
   * itself, as scikit-learn's check_array raises "Input contains NaN".
   */
  marker: string | number | null;
  /** What it fills them with (statistics_): a text or a number, null for NaN (the encoder's missing category). */
  fill: string | number | null;
  /** Who fills, for the row's error: "SimpleImputer (ColumnTransformer part 'cat' > Pipeline step 'impute')". */
  name: string;
}

/** Which forest evaluator and ONNX Runtime gave the same results on a model's probe rows. */
export interface ForestVerdict {
  /** FOREST_EVALUATOR_VERSION of the process that checked. */
  evaluator: number;
  /** The onnxruntime-node version it checked against. */
  onnxRuntime: string;
}

/** What registration returns: the bytes to store and run (possibly rewritten), their sha256 and schema. */
export interface PreparedModel {
  bytes: Uint8Array;
  sha256: string;
  schema: ModelSchema;
}

/** Why a model file is refused at registration (a 4xx with this message). */
export type ModelErrorCode =
  | 'not_onnx'
  | 'truncated'
  | 'unsupported_operator'
  | 'unsupported_input_type'
  | 'unsupported_output'
  | 'bad_features'
  /** The inputs take more columns than any upload can have (MAX_MODEL_COLUMNS). */
  | 'too_many_columns'
  /** A tensor keeps its bytes in a separate file (or names an external location): never loaded. */
  | 'external_data'
  | 'runtime_rejected';

export class ModelError extends Error {
  constructor(
    readonly code: ModelErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

/** Predictions for one RecordBatch. */
export interface BatchPredictions {
  count: number;
  /** Class label per row (classifiers). */
  labels: (string | number)[] | null;
  /** Regression value per row (regressors). */
  values: Float64Array | null;
  /** Row-major [count, classLabels.length] (classifiers). */
  probabilities: Float32Array | null;
}
