/**
 * A scikit-learn estimator read from a pickle -> one ONNX graph that batchcast's prepareModel accepts: a
 * classifier's `label` (classes_ gathered at the argmax of the probabilities) and `probabilities` (double
 * [N, classes]), or a regressor's `variable` (double [N, 1]). Inputs come from the fitted feature names.
 */
import { LABEL_TYPE_KEY, MAX_MODEL_COLUMNS } from '@batchcast/inference';
import { ModelImportError } from '../errors.js';
import { GraphBuilder } from '../onnx/builder.js';
import { classifierOutputs, regressorOutput } from '../onnx/ops.js';
import { PyObject } from '../pickle/values.js';
import type { PyValue } from '../pickle/values.js';
import { pipelineSteps } from './compose.js';
import type { Ctx } from './context.js';
import { InputTable } from './features.js';
import { asLabels, asList, booleanClasses, Est, typeName } from './py.js';
import { applyRefusals } from './refused-inputs.js';
import { predictorFor, transformerFor } from './registry.js';
import { isXgboostWrapper } from '../xgboost/sklearn-wrapper.js';

export interface SklearnConversion {
  onnx: Uint8Array;
  /** _sklearn_version of the top-level estimator, when the file has it. */
  version: string | null;
  summary: string;
  notes: string[];
}

const VOTING = new Set(['VotingClassifier', 'VotingRegressor']);

/** The estimator that first sees the data: where the feature names and count are recorded. */
function firstStep(est: Est, seen = new Set<PyObject>()): Est {
  if (VOTING.has(est.cls) && !est.has('n_features_in_') && !est.has('feature_names_in_')) {
    // A Voting ensemble fitted on an array answers n_features_in_ from its first member, and keeps none of its own.
    const member = est.list('estimators_')[0];
    if (member instanceof PyObject && !seen.has(member)) {
      seen.add(member);
      return firstStep(new Est(member, est.label), seen);
    }
  }
  if (est.cls !== 'Pipeline') return est;
  if (seen.has(est.obj)) containsItself(est);
  seen.add(est.obj);
  const first = pipelineSteps(est).find((s) => s.est !== null);
  return first?.est ? firstStep(first.est, seen) : est;
}

/**
 * A pickle can hold an estimator inside itself (a Pipeline among its own steps): scikit-learn would recurse until
 * Python's recursion limit, and the conversion ran out of stack with a message naming nothing.
 */
function containsItself(est: Est): never {
  return est.malformed('contains itself (one of its steps or parts is the estimator around it)');
}

/** "Pipeline(ColumnTransformer(OneHotEncoder, Pipeline(SimpleImputer, StandardScaler)), HistGradientBoostingClassifier)". */
function structure(v: PyValue | undefined, depth = 0): string {
  if (!(v instanceof PyObject) || depth > 20) return typeof v === 'string' ? v : typeName(v);
  const est = new Est(v, '');
  const pairs = (name: string) => (asList(est.get(name)) ?? []).map((item) => asList(item) ?? []);
  if (est.cls === 'Pipeline')
    return `Pipeline(${pairs('steps')
      .map((p) => structure(p[1], depth + 1))
      .join(', ')})`;
  if (est.cls === 'ColumnTransformer') {
    const parts = pairs('transformers_').filter((t) => t[1] !== 'drop' && t[1] !== undefined);
    return `ColumnTransformer(${parts.map((t) => structure(t[1], depth + 1)).join(', ')})`;
  }
  return est.cls;
}

/**
 * How many columns the model takes (feature_names_in_, else n_features_in_), checked before anything is made per
 * column: a few bytes can say n_features_in_ = 30000000, and the input table alone then took two minutes and the
 * import's 2 GB heap before failing.
 */
function inputWidth(first: Est, names: string[] | null): number {
  if (names === null && first.optNum('n_features_in_') === null) {
    first.malformed('does not record how many features it was fitted on (n_features_in_); scikit-learn 1.0 or later is needed');
  }
  const width = names?.length ?? first.int('n_features_in_');
  if (width < 1) first.malformed(`has n_features_in_ = ${width}, not a number of features`);
  if (width > MAX_MODEL_COLUMNS) {
    throw new ModelImportError(
      'too_many_columns',
      `${first.label} was fitted on ${width} features (${names ? 'feature_names_in_' : 'n_features_in_'}); batchcast reads files of at most ` +
        `${MAX_MODEL_COLUMNS} columns, so no upload could feed it. Check that this is the model you meant (a damaged file can say any ` +
        'number), or train it on fewer features.',
    );
  }
  return width;
}

export function convertSklearn(root: PyValue): SklearnConversion {
  if (!(root instanceof PyObject)) {
    throw new ModelImportError(
      'unsupported_class',
      `The pickle holds a ${typeName(root)}, not a scikit-learn estimator. Save the fitted model itself (joblib.dump(model, 'model.joblib')).`,
    );
  }
  const est = new Est(root, '');
  const versionRaw = root.attr('_sklearn_version');
  const version = typeof versionRaw === 'string' ? versionRaw : null;
  const predictor = predictorFor(est);
  const last = est.cls === 'Pipeline' ? pipelineSteps(est).at(-1)?.est : est;
  if (last && last !== est && last.obj === est.obj) containsItself(last);
  // An XGBoost wrapper's fitted state is its _Booster (wrapperModel says when it has none).
  if (last && !isXgboostWrapper(last.obj) && !last.isFitted()) {
    throw new ModelImportError('not_fitted', `${last.label} was saved before it was fitted. Fit it, then save it again.`);
  }

  const first = firstStep(est);
  const namesRaw = first.get('feature_names_in_');
  const names = namesRaw === undefined ? null : (asLabels(namesRaw)?.map((n) => String(n)) ?? null);
  const width = inputWidth(first, names);

  const b = new GraphBuilder({ graphName: 'sklearn', producerVersion: `scikit-learn ${version ?? 'unknown version'}` });
  const table = new InputTable(b, names, width);
  const notes: string[] = [];
  // The estimators being converted, outermost first: one met again inside itself is refused by name.
  const active = new Set<PyObject>();
  const within = <T>(e: Est, convert: () => T): T => {
    if (active.has(e.obj)) containsItself(e);
    active.add(e.obj);
    try {
      return convert();
    } finally {
      active.delete(e.obj);
    }
  };
  const ctx: Ctx = {
    b,
    notes,
    transform: (e, input) => within(e, () => transformerFor(e)(ctx, e, input)),
    predict: (e, input) => within(e, () => predictorFor(e)(ctx, e, input)),
    knownCategories: [],
    version,
    refusals: [],
  };
  const prediction = within(est, () => predictor(ctx, est, table.features()));
  if (prediction.kind === 'classifier')
    classifierOutputs(b, applyRefusals(b, ctx.refusals, prediction.proba), prediction.classes, prediction.labelScores);
  else regressorOutput(b, applyRefusals(b, ctx.refusals, prediction.value));
  notes.unshift(...table.finish());
  // Read by @batchcast/inference (label-type.ts): labels True/False given back as booleans where a format has them.
  if (prediction.kind === 'classifier' && booleanClasses(last ?? est)) b.setMetadata(LABEL_TYPE_KEY, 'bool');
  // Read by @batchcast/inference (known-categories.ts), which fails rows holding any other value.
  if (ctx.knownCategories.length > 0) b.setMetadata('batchcast.known_categories', JSON.stringify(ctx.knownCategories));

  const model = b.toModel();
  const ops = [...new Set((model.graph?.node ?? []).map((n) => n.opType ?? '').filter((o) => o !== 'Identity'))];
  return {
    onnx: b.encode(),
    version,
    summary: `${structure(root)} -> ONNX ${ops.join(', ')}`,
    notes,
  };
}
