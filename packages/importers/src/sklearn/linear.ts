/**
 * Linear models: the decision X @ coef_.T + intercept_ in double, then LogisticRegression's probabilities the
 * way scikit-learn computes them (sigmoid for binary and one-vs-rest with row normalisation, softmax for
 * multinomial, softmax over [-d, d] for a binary multinomial model).
 */
import { attr } from '../onnx/attributes.js';
import { affine, binaryProbabilities, concatColumns, int64Const, sigmoid, softmax } from '../onnx/ops.js';
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

function decision(ctx: Ctx, est: Est, input: Features): { value: string; outputs: number } {
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
  const multiClass = est.optStr('multi_class') ?? 'auto';
  const solver = est.optStr('solver') ?? 'lbfgs';
  const ovr =
    multiClass === 'ovr' ||
    multiClass === 'warn' ||
    ((multiClass === 'auto' || multiClass === 'deprecated') && (classes.length <= 2 || solver === 'liblinear'));
  if (outputs === 1) {
    if (classes.length !== 2) est.malformed(`has one row of coefficients for ${classes.length} classes`);
    if (ovr) return { kind: 'classifier', proba: binaryProbabilities(b, sigmoid(b, d)), classes };
    ctx.notes.push(`${est.label}: binary multinomial model, probabilities are softmax([-d, d]) as scikit-learn computes them.`);
    const both = concatColumns(b, [b.op('Neg', [d], {}, { name: 'negated' }), d], 'decision_2d');
    return { kind: 'classifier', proba: softmax(b, both), classes };
  }
  if (outputs !== classes.length) est.malformed(`has ${outputs} rows of coefficients for ${classes.length} classes`);
  if (!ovr) return { kind: 'classifier', proba: softmax(b, d), classes };
  ctx.notes.push(`${est.label}: one-vs-rest, probabilities are each class's sigmoid divided by their sum, as scikit-learn computes them.`);
  const p = sigmoid(b, d);
  const total = b.op('ReduceSum', [p, int64Const(b, 'axes', [1])], { keepdims: attr.int(1) }, { name: 'total' });
  return { kind: 'classifier', proba: b.op('Div', [p, total], {}, { name: 'proba' }), classes };
};

/** LinearRegression, Ridge, Lasso, ElasticNet and other linear regressors: X @ coef_ + intercept_. */
export const linearRegressor: PredictorConverter = (ctx, est, input) => {
  const { value, outputs } = decision(ctx, est, input);
  if (outputs !== 1) {
    unsupportedOption(est, `${outputs} targets`, 'batchcast scores one prediction per row; fit one model per target');
  }
  return { kind: 'regressor', value };
};
