/**
 * Scalers, written with the same double operations scikit-learn applies (subtract then divide, or multiply
 * then add), so each value is bit for bit what transform() gives.
 */
import { doubleConst } from '../onnx/ops.js';
import type { Ctx, TransformerConverter } from './context.js';
import { refuseNonFinite } from './refused-inputs.js';
import { checkWidth } from './context.js';
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
