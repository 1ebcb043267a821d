/**
 * VotingClassifier (soft voting) and VotingRegressor: every fitted estimator's probabilities or prediction,
 * averaged as np.average does (each times its weight, added in estimator order, divided by the sum of the
 * weights; a plain mean without weights). The member classifiers were fitted on the classes encoded 0..n-1
 * (le_), so their probability columns are in classes_ order.
 */
import { doubleConst } from '../onnx/ops.js';
import { PyObject } from '../pickle/values.js';
import type { Ctx, PredictorConverter } from './context.js';
import { unsupportedOption } from './context.js';
import type { Features } from './features.js';
import { asList, classLabels, Est, isNone, typeName } from './py.js';

/** The fitted members (estimators_) and the weights of those not dropped (_weights_not_none), or null. */
function members(est: Est): { members: Est[]; weights: number[] | null } {
  const fitted = est.list('estimators_').map((m, i) => {
    if (!(m instanceof PyObject)) est.malformed(`has an estimators_ entry ${i} that is ${typeName(m)}, not an estimator`);
    return new Est(m, `${est.where ? `${est.where} > ` : ''}${est.cls} member ${i}`);
  });
  if (fitted.length === 0) est.malformed('has no fitted estimators');
  let weights: number[] | null = null;
  if (!isNone(est.get('weights'))) {
    const all = est.numbers('weights');
    const declared = est.list('estimators').map((pair) => asList(pair)?.[1]);
    if (declared.length !== all.length) est.malformed(`has ${all.length} weights for ${declared.length} estimators`);
    weights = all.filter((_, i) => declared[i] !== 'drop');
    if (weights.length !== fitted.length) est.malformed(`has ${weights.length} weights for ${fitted.length} fitted estimators`);
  }
  return { members: fitted, weights };
}

/** np.average over the members' [N, K] values: sum of value * weight in order, / sum of weights (mean without weights). */
function average(ctx: Ctx, values: string[], weights: number[] | null): string {
  const b = ctx.b;
  const terms = weights
    ? values.map((v, i) => b.op('Mul', [v, doubleConst(b, 'vote_weight', [weights[i]!], [])], {}, { name: 'weighted' }))
    : values;
  let total = terms[0]!;
  for (const t of terms.slice(1)) total = b.op('Add', [total, t], {}, { name: 'vote_sum' });
  const scale = weights ? weights.reduce((s, w) => s + w, 0) : values.length;
  return b.op('Div', [total, doubleConst(b, 'vote_scale', [scale], [])], {}, { name: 'vote_average' });
}

export const votingClassifier: PredictorConverter = (ctx, est, input: Features) => {
  const voting = est.str('voting', 'hard');
  if (voting !== 'soft') {
    unsupportedOption(est, `voting='${voting}'`, "hard voting gives no probabilities (predict_proba); fit it with voting='soft'");
  }
  const classes = classLabels(est);
  const { members: fitted, weights } = members(est);
  const probas = fitted.map((m) => {
    const p = ctx.predict(m, input);
    if (p.kind !== 'classifier' || p.classes.length !== classes.length || p.classes.some((c, i) => c !== i)) {
      return m.malformed(`does not predict the ${classes.length} classes encoded 0..${classes.length - 1} its VotingClassifier gave it`);
    }
    return p.proba;
  });
  return { kind: 'classifier', proba: average(ctx, probas, weights), classes };
};

export const votingRegressor: PredictorConverter = (ctx, est, input: Features) => {
  const { members: fitted, weights } = members(est);
  const values = fitted.map((m) => {
    const p = ctx.predict(m, input);
    return p.kind === 'regressor' ? p.value : m.malformed('is not a regressor');
  });
  return { kind: 'regressor', value: average(ctx, values, weights) };
};
