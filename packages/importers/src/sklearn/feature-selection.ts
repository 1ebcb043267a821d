/**
 * Feature selectors (VarianceThreshold, SelectKBest, SelectPercentile, SelectFromModel): which columns pass is
 * fixed at fit time, so the mask is computed here from the fitted scores exactly as scikit-learn's
 * _get_support_mask computes it (stable sorts, numpy's percentile and mean), and the graph only keeps those columns.
 */
import type { Ctx, TransformerConverter } from './context.js';
import { checkWidth, unsupportedOption } from './context.js';
import type { Features } from './features.js';
import { featureImportances, hasTreeImportances } from './importances.js';
import { numpySum } from './numpy-sum.js';
import type { Est } from './py.js';
import { asNumber, isNone } from './py.js';
import { refuseNonFinite, versionAtLeast } from './refused-inputs.js';

/**
 * Keeps the columns of `mask`. The selector checks its whole input first: rows with NaN or infinities in ANY column
 * are refused, unless it allows NaN (its allow_nan tag), in which case scikit-learn checks nothing at all
 * (force_all_finite=False) and the estimators after it decide.
 */
function keep(ctx: Ctx, est: Est, input: Features, mask: boolean[], allowNan: boolean): Features {
  checkWidth(est, input);
  if (mask.length !== input.width) est.malformed(`scores ${mask.length} features but receives ${input.width}`);
  const kept = mask.flatMap((m, i) => (m ? [i] : []));
  if (kept.length === 0) {
    unsupportedOption(est, 'a selection that keeps no feature', 'scikit-learn itself cannot predict from no columns');
  }
  if (!allowNan) refuseNonFinite(ctx, input.matrix(ctx.b, est.label), { nan: true });
  ctx.notes.push(`${est.label} keeps ${kept.length} of ${input.width} features (columns ${kept.join(', ')}).`);
  return input.select(kept);
}

/** NaN scores count as the smallest double (_clean_nans). */
function cleanScores(est: Est): number[] {
  return est.numbers('scores_').map((s) => (Number.isNaN(s) ? -Number.MAX_VALUE : s));
}

/** Indices ordered as numpy's stable argsort orders `values` (ascending, ties by index). */
function stableArgsort(values: number[]): number[] {
  return values.map((_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
}

/** np.percentile(values, q) with the default linear method (numpy 1.22+ _quantile and _lerp). */
export function numpyPercentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const virtual = (q / 100) * (n - 1);
  const previous = Math.min(Math.max(Math.floor(virtual), 0), n - 1);
  const next = Math.min(previous + 1, n - 1);
  const gamma = virtual - previous;
  const a = sorted[previous]!;
  const b = sorted[next]!;
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

export const varianceThreshold: TransformerConverter = (ctx, est, input) => {
  const threshold = est.num('threshold');
  // VarianceThreshold lets NaN (and so, unchecked, infinities) through: allow_nan.
  return keep(
    ctx,
    est,
    input,
    est.numbers('variances_').map((v) => v > threshold),
    true,
  );
};

export const selectKBest: TransformerConverter = (ctx, est, input) => {
  const scores = cleanScores(est);
  const k = est.get('k');
  let mask: boolean[];
  if (k === 'all') mask = scores.map(() => true);
  else {
    const n = asNumber(k);
    if (n === null || !Number.isSafeInteger(n) || n < 0) return est.malformed(`has k = ${String(k)}, not a count or 'all'`);
    mask = scores.map(() => false);
    if (n > 0) for (const i of stableArgsort(scores).slice(-n)) mask[i] = true;
  }
  return keep(ctx, est, input, mask, false);
};

export const selectPercentile: TransformerConverter = (ctx, est, input) => {
  const percentile = est.num('percentile');
  let mask: boolean[];
  if (percentile === 100) mask = est.numbers('scores_').map(() => true);
  else if (percentile === 0) mask = est.numbers('scores_').map(() => false);
  else {
    const scores = cleanScores(est);
    const threshold = numpyPercentile(scores, 100 - percentile);
    mask = scores.map((s) => s > threshold);
    const ties = scores.flatMap((s, i) => (s === threshold ? [i] : []));
    const maxFeatures = Math.trunc((scores.length * percentile) / 100);
    const chosen = mask.filter(Boolean).length;
    for (const i of ties.slice(0, Math.max(maxFeatures - chosen, 0))) mask[i] = true;
  }
  return keep(ctx, est, input, mask, false);
};

/** The importances SelectFromModel reads from its estimator's coef_ (|coef_|, or the norm over the classes). */
function coefImportances(est: Est, model: Est): number[] {
  const coef = model.array('coef_');
  const values = coef.toNumbers();
  if (coef.shape.length === 1) return values.map(Math.abs);
  const [rows, cols] = [coef.shape[0]!, coef.shape[1]!];
  const order = asNumber(est.get('norm_order') ?? 1);
  const column = (j: number) => Array.from({ length: rows }, (_, r) => Math.abs(values[r * cols + j]!));
  return Array.from({ length: cols }, (_, j) => {
    const c = column(j);
    // numpy's add.reduce over axis 0 adds the rows in order.
    if (order === 1) return c.reduce((s, v) => s + v, 0);
    if (order === 2) return Math.sqrt(c.reduce((s, v) => s + v * v, 0));
    if (order === Number.POSITIVE_INFINITY) return Math.max(...c);
    return unsupportedOption(est, `norm_order=${order}`, 'batchcast computes the 1, 2 and inf norms of coef_');
  });
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** _calculate_threshold: None -> 1e-5 for L1-penalised models, 'mean' otherwise; 'mean', 'median', 'k*mean', numbers. */
function threshold(est: Est, model: Est, scores: number[]): number {
  let t = est.get('threshold');
  if (isNone(t)) {
    const l1 = model.optStr('penalty') === 'l1' || model.cls.includes('Lasso');
    const ratio = asNumber(model.get('l1_ratio_') ?? model.get('l1_ratio'));
    const elasticL1 = model.cls.includes('ElasticNet') && ratio !== null && Math.abs(ratio - 1) <= 1e-8 + 1e-5;
    t = l1 || elasticL1 ? 1e-5 : 'mean';
  }
  const reference = (name: string): number => {
    if (name === 'mean') return numpySum(scores) / scores.length;
    if (name === 'median') return median(scores);
    return est.malformed(`has threshold reference '${name}', not 'mean' or 'median'`);
  };
  if (typeof t === 'string') {
    const star = t.indexOf('*');
    if (star < 0) return reference(t.trim());
    const scale = Number(t.slice(0, star).trim());
    if (Number.isNaN(scale)) est.malformed(`has threshold '${t}', whose scale is not a number`);
    return scale * reference(t.slice(star + 1).trim());
  }
  return asNumber(t) ?? est.malformed('has a threshold that is neither a number nor a string');
}

export const selectFromModel: TransformerConverter = (ctx, est, input) => {
  const model = est.has('estimator_')
    ? est.child('estimator_', `${est.label} > estimator_`)
    : est.child('estimator', `${est.label} > estimator`);
  const getter = est.get('importance_getter') ?? 'auto';
  if (getter !== 'auto' && getter !== 'coef_' && getter !== 'feature_importances_') {
    unsupportedOption(
      est,
      `importance_getter=${typeof getter === 'string' ? `'${getter}'` : 'a callable'}`,
      "batchcast reads the estimator's coef_ or feature_importances_",
    );
  }
  let scores: number[];
  if (model.has('coef_') && getter !== 'feature_importances_') scores = coefImportances(est, model);
  else if (hasTreeImportances(model) && getter !== 'coef_') scores = featureImportances(model, input.width);
  else {
    return unsupportedOption(
      est,
      `an estimator without coef_ (${model.cls})`,
      'batchcast selects by the coefficients of a linear model or the feature importances of trees and forests',
    );
  }
  const t = threshold(est, model, scores);
  const maxRaw = est.get('max_features_') ?? est.get('max_features');
  let mask = scores.map(() => true);
  if (!isNone(maxRaw)) {
    const max = asNumber(maxRaw);
    if (max === null || !Number.isSafeInteger(max)) return est.malformed('has max_features that is not an integer');
    mask = scores.map(() => false);
    for (const i of stableArgsort(scores.map((s) => -s)).slice(0, max)) mask[i] = true;
  }
  mask = mask.map((m, i) => m && !(scores[i]! < t));
  // SelectFromModel allows NaN when its estimator does: linear models never, decision trees from 1.3, random forests
  // from 1.4 (their missing-value support).
  const allowNan =
    ((model.cls === 'DecisionTreeClassifier' || model.cls === 'DecisionTreeRegressor') && versionAtLeast(ctx.version, 1, 3)) ||
    ((model.cls === 'RandomForestClassifier' || model.cls === 'RandomForestRegressor') && versionAtLeast(ctx.version, 1, 4));
  return keep(ctx, est, input, mask, allowNan);
};
