/**
 * Scalers, written with the same double operations scikit-learn applies (subtract then divide, or multiply
 * then add), so each value is bit for bit what transform() gives.
 */
import { attr } from '../onnx/attributes.js';
import { cast, doubleConst, int64Const } from '../onnx/ops.js';
import type { Ctx, TransformerConverter } from './context.js';
import { refuseNonFinite } from './refused-inputs.js';
import { checkWidth, unsupportedOption } from './context.js';
import { Features } from './features.js';
import type { Est } from './py.js';

function vector(ctx: Ctx, est: Est, name: string, width: number): string {
  const values = est.numbers(name);
  if (values.length !== width) est.malformed(`has ${values.length} values in ${name} for ${width} features`);
  return doubleConst(ctx.b, `${est.cls}_${name}`, values, [width]);
}

/** StandardScaler: (x - mean_) / scale_, each only when enabled (with_mean, with_std). */
export const standardScaler: TransformerConverter = (ctx, est, input) => {
  checkWidth(est, input);
  let x = input.matrix(ctx.b, est.label);
  refuseNonFinite(ctx, x, { nan: false });
  if (est.bool('with_mean', true) && est.get('mean_') !== null) {
    x = ctx.b.op('Sub', [x, vector(ctx, est, 'mean_', input.width)], {}, { name: 'centered' });
  }
  if (est.bool('with_std', true) && est.get('scale_') !== null) {
    x = ctx.b.op('Div', [x, vector(ctx, est, 'scale_', input.width)], {}, { name: 'scaled' });
  }
  return Features.fromMatrix(x, input.width, est.cls);
};

/** RobustScaler: (x - center_) / scale_ (with_centering, with_scaling). */
export const robustScaler: TransformerConverter = (ctx, est, input) => {
  checkWidth(est, input);
  let x = input.matrix(ctx.b, est.label);
  refuseNonFinite(ctx, x, { nan: false });
  if (est.bool('with_centering', true) && est.get('center_') !== null) {
    x = ctx.b.op('Sub', [x, vector(ctx, est, 'center_', input.width)], {}, { name: 'centered' });
  }
  if (est.bool('with_scaling', true) && est.get('scale_') !== null) {
    x = ctx.b.op('Div', [x, vector(ctx, est, 'scale_', input.width)], {}, { name: 'scaled' });
  }
  return Features.fromMatrix(x, input.width, est.cls);
};

/** MinMaxScaler: x * scale_ + min_, then clipped to feature_range when clip=True. */
export const minMaxScaler: TransformerConverter = (ctx, est, input) => {
  checkWidth(est, input);
  const b = ctx.b;
  let x = input.matrix(b, est.label);
  refuseNonFinite(ctx, x, { nan: false });
  x = b.op('Mul', [x, vector(ctx, est, 'scale_', input.width)], {}, { name: 'scaled' });
  x = b.op('Add', [x, vector(ctx, est, 'min_', input.width)], {}, { name: 'shifted' });
  if (est.bool('clip', false)) {
    const range = est.numbers('feature_range');
    if (range.length !== 2) est.malformed('has a feature_range that is not (min, max)');
    x = b.op('Max', [x, doubleConst(b, 'clip_low', [range[0]!], [])], {}, { name: 'clipped_low' });
    x = b.op('Min', [x, doubleConst(b, 'clip_high', [range[1]!], [])], {}, { name: 'clipped' });
  }
  return Features.fromMatrix(x, input.width, est.cls);
};

/** MaxAbsScaler: x / scale_ (scale_ already holds 1 for all-zero features); NaN passes through as scikit-learn lets it. */
export const maxAbsScaler: TransformerConverter = (ctx, est, input) => {
  checkWidth(est, input);
  const x = input.matrix(ctx.b, est.label);
  refuseNonFinite(ctx, x, { nan: false });
  const scaled = ctx.b.op('Div', [x, vector(ctx, est, 'scale_', input.width)], {}, { name: 'scaled' });
  return Features.fromMatrix(scaled, input.width, est.cls);
};

/** numpy's 10 * finfo(float64).eps: norms below it count as zero (_handle_zeros_in_scale) and divide by 1. */
const NEAR_ZERO = 10 * Number.EPSILON;

/** Normalizer: each row divided by its l1, l2 or max norm (a norm near zero leaves the row as it is). */
export const normalizer: TransformerConverter = (ctx, est, input) => {
  checkWidth(est, input);
  const b = ctx.b;
  const x = input.matrix(b, est.label);
  refuseNonFinite(ctx, x, { nan: true });
  const norm = est.str('norm', 'l2');
  const axis = int64Const(b, 'axis_1', [1]);
  const keep = { keepdims: attr.int(1) };
  let norms: string;
  // Sums and maxima of doubles (ONNX Runtime's ReduceL1 / ReduceL2 have no double kernels).
  if (norm === 'l1') norms = b.op('ReduceSum', [b.op('Abs', [x], {}, { name: 'magnitude' }), axis], keep, { name: 'norm_l1' });
  else if (norm === 'l2') {
    const squares = b.op('ReduceSum', [b.op('Mul', [x, x], {}, { name: 'square' }), axis], keep, { name: 'sum_of_squares' });
    norms = b.op('Sqrt', [squares], {}, { name: 'norm_l2' });
  } else if (norm === 'max') norms = b.op('ReduceMax', [b.op('Abs', [x], {}, { name: 'magnitude' }), axis], keep, { name: 'norm_max' });
  else return unsupportedOption(est, `norm='${norm}'`, "scikit-learn's norms are 'l1', 'l2' and 'max'");
  const tiny = b.op('Less', [norms, doubleConst(b, 'near_zero', [NEAR_ZERO], [])], {}, { name: 'norm_is_zero' });
  const divisor = b.op('Where', [tiny, doubleConst(b, 'one', [1], []), norms], {}, { name: 'norm_divisor' });
  return Features.fromMatrix(b.op('Div', [x, divisor], {}, { name: 'normalized' }), input.width, est.cls);
};

/** Binarizer: 1 where x > threshold, else 0. */
export const binarizer: TransformerConverter = (ctx, est, input) => {
  checkWidth(est, input);
  const b = ctx.b;
  const x = input.matrix(b, est.label);
  refuseNonFinite(ctx, x, { nan: true });
  const above = b.op('Greater', [x, doubleConst(b, 'threshold', [est.num('threshold')], [])], {}, { name: 'above_threshold' });
  return Features.fromMatrix(cast(b, above, 'double', 'binarized'), input.width, est.cls);
};
