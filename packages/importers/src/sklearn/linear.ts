/**
 * Linear models: the decision X @ coef_.T + intercept_ in double, then LogisticRegression's probabilities the
 * way scikit-learn computes them (sigmoid for binary and one-vs-rest with row normalisation, softmax for
 * multinomial, softmax over [-d, d] for a binary multinomial model).
 */
import { attr } from '../onnx/attributes.js';
import { affine, binaryProbabilities, concatColumns, doubleConst, int64Const, sigmoid, softmax } from '../onnx/ops.js';
import type { Ctx, PredictorConverter } from './context.js';
import { refuseNonFinite } from './refused-inputs.js';
import { checkWidth, unsupportedOption } from './context.js';
import type { Features } from './features.js';
import type { Est } from './py.js';
import { asNumbers, classLabels } from './py.js';

/** coef_ as [outputs, features] (1-D coef_ is one output) and intercept_ per output. */
function coefficients(est: Est, width: number): { outputs: number; weightsT: number[]; intercept: number[] } {
  const coef = est.array('coef_');
  const values = coef.toNumbers();
  const outputs = coef.shape.length === 2 ? coef.shape[0]! : 1;
  const features = coef.shape.length === 2 ? coef.shape[1]! : coef.shape[0]!;
  if (features !== width) est.malformed(`has coefficients for ${features} features but receives ${width}`);
  const interceptRaw = est.get('intercept_');
  const intercept = asNumbers(interceptRaw ?? 0) ?? est.malformed('has an intercept_ that is not numeric');
  const expanded = intercept.length === 1 && outputs > 1 ? new Array<number>(outputs).fill(intercept[0]!) : intercept;
  if (expanded.length !== outputs) est.malformed(`has ${expanded.length} intercepts for ${outputs} outputs`);
  // [F, K] row-major for MatMul: the transpose of coef_.
  const weightsT = new Array<number>(features * outputs);
  for (let k = 0; k < outputs; k++) for (let f = 0; f < features; f++) weightsT[f * outputs + k] = values[k * features + f]!;
  return { outputs, weightsT, intercept: expanded };
}

export function decision(ctx: Ctx, est: Est, input: Features): { value: string; outputs: number } {
  checkWidth(est, input);
  const { outputs, weightsT, intercept } = coefficients(est, input.width);
  const x = input.matrix(ctx.b, est.label);
  refuseNonFinite(ctx, x, { nan: true });
  return { value: affine(ctx.b, x, weightsT, input.width, outputs, intercept, 'decision'), outputs };
}

export const logisticRegression: PredictorConverter = (ctx, est, input) => {
  const b = ctx.b;
  const classes = classLabels(est);
  const { value: d, outputs } = decision(ctx, est, input);
  // predict() is the argmax of the decision (d > 0 for one column), which stays distinct where probabilities saturate.
  const labelScores = decisionScores(ctx, d, outputs);
  const multiClass = est.optStr('multi_class') ?? 'auto';
  const solver = est.optStr('solver') ?? 'lbfgs';
  const ovr =
    multiClass === 'ovr' ||
    multiClass === 'warn' ||
    ((multiClass === 'auto' || multiClass === 'deprecated') && (classes.length <= 2 || solver === 'liblinear'));
  if (outputs === 1) {
    if (classes.length !== 2) est.malformed(`has one row of coefficients for ${classes.length} classes`);
    if (ovr) return { kind: 'classifier', proba: binaryProbabilities(b, sigmoid(b, d)), classes, labelScores };
    ctx.notes.push(`${est.label}: binary multinomial model, probabilities are softmax([-d, d]) as scikit-learn computes them.`);
    const both = concatColumns(b, [b.op('Neg', [d], {}, { name: 'negated' }), d], 'decision_2d');
    return { kind: 'classifier', proba: softmax(b, both), classes, labelScores };
  }
  if (outputs !== classes.length) est.malformed(`has ${outputs} rows of coefficients for ${classes.length} classes`);
  if (!ovr) return { kind: 'classifier', proba: softmax(b, d), classes, labelScores };
  ctx.notes.push(`${est.label}: one-vs-rest, probabilities are each class's sigmoid divided by their sum, as scikit-learn computes them.`);
  const p = sigmoid(b, d);
  const total = b.op('ReduceSum', [p, int64Const(b, 'axes', [1])], { keepdims: attr.int(1) }, { name: 'total' });
  return { kind: 'classifier', proba: b.op('Div', [p, total], {}, { name: 'proba' }), classes, labelScores };
};

/** LinearRegression, Ridge, Lasso, ElasticNet and other linear regressors: X @ coef_ + intercept_. */
export const linearRegressor: PredictorConverter = (ctx, est, input) => {
  const { value, outputs } = decision(ctx, est, input);
  if (outputs !== 1) {
    unsupportedOption(est, `${outputs} targets`, 'batchcast scores one prediction per row; fit one model per target');
  }
  return { kind: 'regressor', value };
};

/** What predict() compares: d itself for several classes, [-d, d] for one decision column (class 1 when d > 0). */
function decisionScores(ctx: Ctx, d: string, outputs: number): string {
  if (outputs > 1) return d;
  return concatColumns(ctx.b, [ctx.b.op('Neg', [d], {}, { name: 'negated' }), d], 'decision_2d');
}

/**
 * PoissonRegressor, GammaRegressor, TweedieRegressor: the inverse link of X @ coef_ + intercept_, exp for the
 * log link (Poisson, Gamma, Tweedie with power > 0 under link='auto'), identity otherwise.
 */
export const glmRegressor: PredictorConverter = (ctx, est, input) => {
  const { value, outputs } = decision(ctx, est, input);
  if (outputs !== 1) unsupportedOption(est, `${outputs} targets`, 'batchcast scores one prediction per row');
  let link = est.optStr('link') ?? 'log';
  if (est.cls === 'TweedieRegressor' && link === 'auto') link = est.num('power') <= 0 ? 'identity' : 'log';
  if (link === 'identity') return { kind: 'regressor', value };
  if (link !== 'log') unsupportedOption(est, `link='${link}'`, "scikit-learn's links are 'auto', 'identity' and 'log'");
  return { kind: 'regressor', value: ctx.b.op('Exp', [value], {}, { name: 'inverse_link' }) };
};

/**
 * SGDClassifier with a loss that has predict_proba: log_loss (each class's sigmoid, divided by their sum for
 * several classes) and modified_huber ((clip(d, -1, 1) + 1) / 2, a row of zeros becoming uniform).
 */
export const sgdClassifier: PredictorConverter = (ctx, est, input) => {
  const b = ctx.b;
  const classes = classLabels(est);
  const loss = est.str('loss', 'hinge');
  const { value: d, outputs } = decision(ctx, est, input);
  if (outputs !== (classes.length === 2 ? 1 : classes.length))
    est.malformed(`has ${outputs} rows of coefficients for ${classes.length} classes`);
  const labelScores = decisionScores(ctx, d, outputs);
  if (loss === 'log_loss' || loss === 'log') {
    const p = sigmoid(b, d);
    if (outputs === 1) return { kind: 'classifier', proba: binaryProbabilities(b, p), classes, labelScores };
    const total = b.op('ReduceSum', [p, int64Const(b, 'axes', [1])], { keepdims: attr.int(1) }, { name: 'total' });
    return { kind: 'classifier', proba: b.op('Div', [p, total], {}, { name: 'proba' }), classes, labelScores };
  }
  if (loss === 'modified_huber') {
    const clipped = b.op('Clip', [d, doubleConst(b, 'minus_one', [-1], []), doubleConst(b, 'one', [1], [])], {}, { name: 'clipped' });
    const p = b.op(
      'Div',
      [b.op('Add', [clipped, doubleConst(b, 'one', [1], [])], {}, { name: 'shifted' }), doubleConst(b, 'two', [2], [])],
      {},
      { name: 'huber_p' },
    );
    if (outputs === 1) return { kind: 'classifier', proba: binaryProbabilities(b, p), classes, labelScores };
    const total = b.op('ReduceSum', [p, int64Const(b, 'axes', [1])], { keepdims: attr.int(1) }, { name: 'total' });
    const zero = b.op('Equal', [total, doubleConst(b, 'zero', [0], [])], {}, { name: 'all_zero' });
    const uniform = doubleConst(b, 'uniform', new Array<number>(classes.length).fill(1 / classes.length), [classes.length]);
    const proba = b.op('Where', [zero, uniform, b.op('Div', [p, total], {}, { name: 'huber_proba' })], {}, { name: 'proba' });
    return { kind: 'classifier', proba, classes, labelScores };
  }
  return unsupportedOption(
    est,
    `loss='${loss}'`,
    "only loss='log_loss' and loss='modified_huber' give probabilities (predict_proba), which batchcast scores with",
  );
};
