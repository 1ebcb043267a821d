/**
 * SVR and NuSVR: libsvm's prediction, the sum over support vectors of dual_coef * K(x, sv) plus the intercept, with
 * libsvm's kernels (linear x.sv, poly (gamma x.sv + coef0)^degree, rbf exp(-gamma |x - sv|^2), sigmoid
 * tanh(gamma x.sv + coef0)) in double. The rbf distance is |x|^2 + |sv|^2 - 2 x.sv, which needs [rows, support
 * vectors] values rather than [rows, support vectors, features]; it differs from libsvm's summed squares by
 * rounding only (relative 1e-16 of |x|^2 inside exp).
 */
import { attr } from '../onnx/attributes.js';
import { affine, doubleConst, int64Const } from '../onnx/ops.js';
import type { PredictorConverter } from './context.js';
import { checkWidth, unsupportedOption } from './context.js';
import { refuseNonFinite } from './refused-inputs.js';

export const svr: PredictorConverter = (ctx, est, input) => {
  checkWidth(est, input);
  const b = ctx.b;
  const kernel = est.get('kernel');
  if (typeof kernel !== 'string' || !['linear', 'poly', 'rbf', 'sigmoid'].includes(kernel)) {
    unsupportedOption(
      est,
      `kernel=${typeof kernel === 'string' ? `'${kernel}'` : 'a callable'}`,
      "batchcast computes libsvm's linear, poly, rbf and sigmoid kernels",
    );
  }
  const sv = est.array('support_vectors_');
  const f = input.width;
  if (sv.shape.length !== 2 || sv.shape[1] !== f) est.malformed(`has support vectors of shape [${sv.shape.join(', ')}] for ${f} features`);
  const s = sv.shape[0]!;
  const svs = sv.toNumbers();
  const dual = est.numbers(est.has('_dual_coef_') ? '_dual_coef_' : 'dual_coef_');
  if (dual.length !== s) est.malformed(`has ${dual.length} dual coefficients for ${s} support vectors`);
  const intercept = est.numbers(est.has('_intercept_') ? '_intercept_' : 'intercept_');
  if (intercept.length !== 1) est.malformed(`has ${intercept.length} intercepts`);
  const gamma = est.num('_gamma');
  const x = input.matrix(b, est.label);
  refuseNonFinite(ctx, x, { nan: true });
  // x . sv for every pair: x [N, F] @ sv.T [F, S].
  const svT = new Array<number>(f * s);
  for (let i = 0; i < s; i++) for (let j = 0; j < f; j++) svT[j * s + i] = svs[i * f + j]!;
  const dot = affine(b, x, svT, f, s, null, 'x_dot_sv');
  let k: string;
  if (kernel === 'linear') k = dot;
  else if (kernel === 'rbf') {
    const xSquared = b.op(
      'ReduceSum',
      [b.op('Mul', [x, x], {}, { name: 'x_sq' }), int64Const(b, 'axis_1', [1])],
      { keepdims: attr.int(1) },
      { name: 'x_norm2' },
    );
    const svSquared = Array.from({ length: s }, (_, i) => svs.slice(i * f, (i + 1) * f).reduce((t, v) => t + v * v, 0));
    const twice = b.op('Mul', [dot, doubleConst(b, 'two', [2], [])], {}, { name: 'two_dot' });
    const sum = b.op('Add', [xSquared, doubleConst(b, 'sv_norm2', svSquared, [s])], {}, { name: 'norms' });
    const distance = b.op(
      'Max',
      [b.op('Sub', [sum, twice], {}, { name: 'distance2_raw' }), doubleConst(b, 'zero', [0], [])],
      {},
      { name: 'distance2' },
    );
    k = b.op('Exp', [b.op('Mul', [distance, doubleConst(b, 'minus_gamma', [-gamma], [])], {}, { name: 'rbf_arg' })], {}, { name: 'rbf' });
  } else {
    const inner = b.op(
      'Add',
      [
        // gamma as a vector, not a scalar: ONNX Runtime fuses MatMul then Mul by a scalar into one FusedMatMul whose
        // alpha is a float32 attribute, and gamma = 0.2 in float32 put predictions 1e-6 away from libsvm's.
        b.op('Mul', [dot, doubleConst(b, 'gamma', new Array<number>(s).fill(gamma), [s])], {}, { name: 'gamma_dot' }),
        doubleConst(b, 'coef0', [est.num('coef0')], []),
      ],
      {},
      { name: 'kernel_inner' },
    );
    k =
      kernel === 'sigmoid'
        ? b.op('Tanh', [inner], {}, { name: 'sigmoid_kernel' })
        : b.op('Pow', [inner, doubleConst(b, 'degree', [est.int('degree')], [])], {}, { name: 'poly' });
  }
  return { kind: 'regressor', value: affine(b, k, dual, s, 1, intercept, 'svr') };
};
