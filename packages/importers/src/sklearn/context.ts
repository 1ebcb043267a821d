/** What every scikit-learn converter receives and returns. */
import type { KnownCategories } from '@batchcast/inference';
import { ModelImportError, ONNX_EXPORT_HINT } from '../errors.js';
import type { GraphBuilder } from '../onnx/builder.js';
import type { Features } from './features.js';
import type { Est, Label } from './py.js';

export interface Ctx {
  b: GraphBuilder;
  /** Human notes for ImportedModel.converted (behaviour that differs from scikit-learn, options used). */
  notes: string[];
  /** Converts a nested transformer / final estimator (Pipeline steps, ColumnTransformer parts). */
  transform: (est: Est, input: Features) => Features;
  predict: (est: Est, input: Features) => Prediction;
  /**
   * Model input columns whose values must be among an encoder's categories (handle_unknown='error'), directly or
   * once a SimpleImputer filled them: a graph cannot fail a row, so the list goes into the graph's metadata and the
   * platform fails such rows before scoring.
   */
  knownCategories: KnownCategories[];
  /** _sklearn_version of the file (null when it has none): what the estimators of that version accept. */
  version: string | null;
  /** [N, 1] tensors, NaN on the rows an estimator refuses (refused-inputs.ts), added to the prediction. */
  refusals: string[];
}

export type Prediction =
  /**
   * proba: double [N, classes], in classes_ order. labelScores: what predict() takes the argmax of, when that is
   * not the probabilities (a linear model's decision, naive Bayes' joint log-likelihood): two classes whose
   * probabilities round to the same double still have distinct scores, and scikit-learn's label follows those.
   */
  | { kind: 'classifier'; proba: string; classes: Label[]; labelScores?: string }
  /** value: double [N, 1]. */
  | { kind: 'regressor'; value: string };

export type TransformerConverter = (ctx: Ctx, est: Est, input: Features) => Features;
export type PredictorConverter = (ctx: Ctx, est: Est, input: Features) => Prediction;

export function unsupportedOption(est: Est, option: string, why: string): never {
  throw new ModelImportError(
    'unsupported_option',
    `${est.label} uses ${option}, which batchcast cannot convert: ${why}. ${ONNX_EXPORT_HINT}`,
  );
}

/** Checks the number of columns an estimator receives against n_features_in_ when the file has it. */
export function checkWidth(est: Est, input: Features, expected?: number): void {
  const n = expected ?? est.optNum('n_features_in_');
  if (n !== null && n !== input.width) {
    est.malformed(`was fitted on ${n} features but receives ${input.width} here`);
  }
}
