/**
 * Naive Bayes classifiers: each class's joint log-likelihood (jll) as scikit-learn's _joint_log_likelihood
 * computes it, the label at its argmax, and probabilities exp(jll - logsumexp(jll)) with scipy's logsumexp
 * (the row maximum subtracted before exp, added back after log).
 */
import { attr } from '../onnx/attributes.js';
import { affine, cast, doubleConst, int64Const } from '../onnx/ops.js';
import type { Ctx, Prediction, PredictorConverter } from './context.js';
import { checkWidth } from './context.js';
import type { Features } from './features.js';
import { numpySum } from './numpy-sum.js';
import type { Est } from './py.js';
import { classLabels } from './py.js';
import type { Label } from './py.js';
import { refuseNonFinite } from './refused-inputs.js';

/** A [K, F] fitted matrix (theta_, var_, feature_log_prob_) checked against K classes and F features. */
function perClass(est: Est, name: string, classes: number, width: number): number[] {
  const a = est.array(name);
  if (a.shape.length !== 2 || a.shape[0] !== classes || a.shape[1] !== width)
    est.malformed(`has ${name} of shape [${a.shape.join(', ')}] for ${classes} classes and ${width} features`);
  return a.toNumbers();
}

function vector(est: Est, name: string, n: number): number[] {
  const v = est.numbers(name);
  if (v.length !== n) est.malformed(`has ${v.length} values in ${name} for ${n} classes`);
  return v;
}

function fromJointLogLikelihood(ctx: Ctx, jll: string, classes: Label[]): Prediction {
  const b = ctx.b;
  const axis = int64Const(b, 'axis_1', [1]);
  const keep = { keepdims: attr.int(1) };
  const max = b.op('ReduceMax', [jll, axis], keep, { name: 'jll_max' });
  const sum = b.op(
    'ReduceSum',
    [b.op('Exp', [b.op('Sub', [jll, max], {}, { name: 'jll_shifted' })], {}, { name: 'jll_exp' }), axis],
    keep,
    {
      name: 'jll_sum',
    },
  );
  const logProbX = b.op('Add', [b.op('Log', [sum], {}, { name: 'jll_log' }), max], {}, { name: 'log_prob_x' });
  const proba = b.op('Exp', [b.op('Sub', [jll, logProbX], {}, { name: 'log_proba' })], {}, { name: 'proba' });
  return { kind: 'classifier', proba, classes, labelScores: jll };
}

/** The classes, their count k, the input matrix x (rows with NaN or infinities refused) and its width f. */
function setUp(ctx: Ctx, est: Est, input: Features): { classes: Label[]; k: number; x: string; f: number } {
  const classes = classLabels(est);
  checkWidth(est, input);
  const x = input.matrix(ctx.b, est.label);
  refuseNonFinite(ctx, x, { nan: true });
  return { classes, k: classes.length, x, f: input.width };
}

/** GaussianNB: log(prior) + (-0.5 sum(log(2 pi var)) - 0.5 sum((x - theta)^2 / var)). */
export const gaussianNb: PredictorConverter = (ctx, est, input) => {
  const b = ctx.b;
  const { classes, k, x, f } = setUp(ctx, est, input);
  // scikit-learn 1.0 and 1.1 also kept the variances as sigma_; var_ is in every version batchcast reads.
  const theta = perClass(est, 'theta_', k, f);
  const variance = perClass(est, 'var_', k, f);
  const prior = vector(est, 'class_prior_', k);
  const logPrior = prior.map(Math.log);
  const normalizer = Array.from(
    { length: k },
    (_, i) => -0.5 * numpySum(variance.slice(i * f, (i + 1) * f).map((v) => Math.log(2 * Math.PI * v))),
  );
  // x [N, 1, F] - theta [K, F] -> [N, K, F]
  const x3 = b.op('Unsqueeze', [x, int64Const(b, 'axis_1', [1])], {}, { name: 'x_per_class' });
  const diff = b.op('Sub', [x3, doubleConst(b, 'theta', theta, [k, f])], {}, { name: 'deviation' });
  const scaled = b.op(
    'Div',
    [b.op('Mul', [diff, diff], {}, { name: 'squared' }), doubleConst(b, 'var', variance, [k, f])],
    {},
    { name: 'standardised' },
  );
  const total = b.op('ReduceSum', [scaled, int64Const(b, 'axis_2', [2])], { keepdims: attr.int(0) }, { name: 'distance' });
  const half = b.op('Mul', [doubleConst(b, 'half', [0.5], []), total], {}, { name: 'half_distance' });
  const nij = b.op('Sub', [doubleConst(b, 'normalizer', normalizer, [k]), half], {}, { name: 'log_density' });
  const jll = b.op('Add', [doubleConst(b, 'log_prior', logPrior, [k]), nij], {}, { name: 'jll' });
  return fromJointLogLikelihood(ctx, jll, classes);
};

/** MultinomialNB and ComplementNB: x @ feature_log_prob_.T (+ class_log_prior_, for ComplementNB only with one class). */
export const multinomialNb: PredictorConverter = (ctx, est, input) => {
  const { classes, k, x, f } = setUp(ctx, est, input);
  const logProb = perClass(est, 'feature_log_prob_', k, f);
  const prior = est.cls === 'ComplementNB' && k !== 1 ? null : vector(est, 'class_log_prior_', k);
  const jll = affine(ctx.b, x, transpose(logProb, k, f), f, k, prior, 'jll');
  return fromJointLogLikelihood(ctx, jll, classes);
};

/** BernoulliNB: x binarised (x > binarize, unless binarize=None), then x @ (log p - log(1 - p)).T + (prior + sum log(1 - p)). */
export const bernoulliNb: PredictorConverter = (ctx, est, input) => {
  const b = ctx.b;
  const { classes, k, x: read, f } = setUp(ctx, est, input);
  let x = read;
  const threshold = est.optNum('binarize');
  if (threshold !== null) {
    x = cast(b, b.op('Greater', [x, doubleConst(b, 'binarize', [threshold], [])], {}, { name: 'present' }), 'double', 'binarized');
  }
  const logProb = perClass(est, 'feature_log_prob_', k, f);
  const negProb = logProb.map((v) => Math.log(1 - Math.exp(v)));
  const weights = logProb.map((v, i) => v - negProb[i]!);
  const prior = vector(est, 'class_log_prior_', k);
  const bias = prior.map((p, i) => p + numpySum(negProb.slice(i * f, (i + 1) * f)));
  const jll = affine(b, x, transpose(weights, k, f), f, k, bias, 'jll');
  return fromJointLogLikelihood(ctx, jll, classes);
};

/** [K, F] row-major -> [F, K] row-major. */
function transpose(values: number[], k: number, f: number): number[] {
  const out = new Array<number>(k * f);
  for (let i = 0; i < k; i++) for (let j = 0; j < f; j++) out[j * k + i] = values[i * f + j]!;
  return out;
}
