/**
 * MLPClassifier / MLPRegressor: scikit-learn's forward pass (x @ W + b per layer, the hidden activation between
 * layers, out_activation_ at the end) in double.
 */
import { affine, binaryProbabilities, sigmoid, softmax } from '../onnx/ops.js';
import type { Ctx, PredictorConverter } from './context.js';
import { refuseNonFinite } from './refused-inputs.js';
import { checkWidth, unsupportedOption } from './context.js';
import type { Features } from './features.js';
import type { Est } from './py.js';
import { asNumbers, classLabels } from './py.js';
import { NdArray } from '../pickle/values.js';

const HIDDEN: Record<string, string | null> = { identity: null, logistic: 'Sigmoid', tanh: 'Tanh', relu: 'Relu' };

/** The network's output before out_activation_, and its width. */
function forward(ctx: Ctx, est: Est, input: Features): { value: string; width: number } {
  checkWidth(est, input);
  const b = ctx.b;
  const activation = est.str('activation', 'relu');
  if (!(activation in HIDDEN))
    unsupportedOption(est, `activation='${activation}'`, 'only identity, logistic, tanh and relu exist in scikit-learn');
  const coefs = est.list('coefs_');
  const intercepts = est.list('intercepts_');
  if (coefs.length === 0 || coefs.length !== intercepts.length)
    est.malformed(`has ${coefs.length} weight matrices and ${intercepts.length} bias vectors`);
  let h = input.matrix(b, est.label);
  refuseNonFinite(ctx, h, { nan: true });
  let width = input.width;
  coefs.forEach((w, i) => {
    if (!(w instanceof NdArray) || w.shape.length !== 2 || w.shape[0] !== width)
      est.malformed(`has a layer ${i} weight matrix that does not take ${width} inputs`);
    const outWidth = w.shape[1]!;
    const bias = asNumbers(intercepts[i]);
    if (!bias || bias.length !== outWidth) est.malformed(`has a layer ${i} bias that does not have ${outWidth} values`);
    h = affine(b, h, w.toNumbers(), width, outWidth, bias, `layer${i}`);
    const act = HIDDEN[activation];
    if (i < coefs.length - 1 && act) h = b.op(act, [h], {}, { name: `layer${i}_${activation}` });
    width = outWidth;
  });
  return { value: h, width };
}

export const mlpClassifier: PredictorConverter = (ctx, est, input) => {
  const b = ctx.b;
  const classes = classLabels(est);
  const out = est.str('out_activation_');
  const { value, width } = forward(ctx, est, input);
  if (out === 'softmax') {
    if (width !== classes.length) est.malformed(`has ${width} outputs for ${classes.length} classes`);
    return { kind: 'classifier', proba: softmax(b, value), classes };
  }
  if (out === 'logistic' && width === 1 && classes.length === 2) {
    return { kind: 'classifier', proba: binaryProbabilities(b, sigmoid(b, value)), classes };
  }
  return unsupportedOption(est, `out_activation_='${out}' with ${width} outputs`, 'multi-label classifiers are not supported');
};

export const mlpRegressor: PredictorConverter = (ctx, est, input) => {
  const out = est.str('out_activation_', 'identity');
  const { value, width } = forward(ctx, est, input);
  if (width !== 1) unsupportedOption(est, `${width} targets`, 'batchcast scores one prediction per row; fit one model per target');
  if (out !== 'identity') unsupportedOption(est, `out_activation_='${out}'`, 'a regressor is expected to end in identity');
  return { kind: 'regressor', value };
};
