/**
 * PCA, IncrementalPCA and TruncatedSVD: projections onto the fitted components in double, in scikit-learn's order
 * of operations ((x - mean_) @ components_.T, then / sqrt(explained_variance_) when whiten).
 */
import { affine, doubleConst } from '../onnx/ops.js';
import type { TransformerConverter } from './context.js';
import { checkWidth } from './context.js';
import { Features } from './features.js';
import type { Est } from './py.js';
import { refuseNonFinite } from './refused-inputs.js';

/** components_ [K, F] as the [F, K] row-major weights of x @ components_.T. */
function componentsT(est: Est, width: number): { weights: number[]; components: number } {
  const c = est.array('components_');
  if (c.shape.length !== 2 || c.shape[1] !== width) est.malformed(`has components_ of shape [${c.shape.join(', ')}] for ${width} features`);
  const k = c.shape[0]!;
  const values = c.toNumbers();
  const weights = new Array<number>(width * k);
  for (let i = 0; i < k; i++) for (let f = 0; f < width; f++) weights[f * k + i] = values[i * width + f]!;
  return { weights, components: k };
}

/** PCA / IncrementalPCA (_BasePCA.transform). */
export const pca: TransformerConverter = (ctx, est, input) => {
  checkWidth(est, input);
  const b = ctx.b;
  let x = input.matrix(b, est.label);
  refuseNonFinite(ctx, x, { nan: true });
  const mean = est.get('mean_');
  if (mean !== null && mean !== undefined) {
    const values = est.numbers('mean_');
    if (values.length !== input.width) est.malformed(`has ${values.length} means for ${input.width} features`);
    x = b.op('Sub', [x, doubleConst(b, 'pca_mean', values, [input.width])], {}, { name: 'centered' });
  }
  const { weights, components } = componentsT(est, input.width);
  let out = affine(b, x, weights, input.width, components, null, 'projected');
  if (est.bool('whiten', false)) {
    const variance = est.numbers('explained_variance_');
    if (variance.length !== components) est.malformed(`has ${variance.length} explained variances for ${components} components`);
    out = b.op('Div', [out, doubleConst(b, 'whitening', variance.map(Math.sqrt), [components])], {}, { name: 'whitened' });
  }
  return Features.fromMatrix(out, components, est.cls);
};

/** TruncatedSVD: x @ components_.T (no centring). */
export const truncatedSvd: TransformerConverter = (ctx, est, input) => {
  checkWidth(est, input);
  const x = input.matrix(ctx.b, est.label);
  refuseNonFinite(ctx, x, { nan: true });
  const { weights, components } = componentsT(est, input.width);
  return Features.fromMatrix(affine(ctx.b, x, weights, input.width, components, null, 'projected'), components, est.cls);
};
