/**
 * SVR and NuSVR: libsvm's prediction, the sum over support vectors of dual_coef * K(x, sv) plus the intercept, with
 * libsvm's kernels (linear x.sv, poly (gamma x.sv + coef0)^degree, rbf exp(-gamma |x - sv|^2), sigmoid
 * tanh(gamma x.sv + coef0)) in double. The rbf distance is |x|^2 + |sv|^2 - 2 x.sv, which needs [rows, support
 * vectors] values rather than [rows, support vectors, features]; it differs from libsvm's summed squares by
 * rounding only (relative 1e-16 of |x|^2 inside exp).
 */
import { attr } from '../onnx/attributes.js';
import { affine, cast, concatColumns, doubleConst, int64Const } from '../onnx/ops.js';
import type { Ctx, PredictorConverter } from './context.js';
import type { Features } from './features.js';
import type { Est } from './py.js';
import { classLabels } from './py.js';
import { checkWidth, unsupportedOption } from './context.js';
import { refuseNonFinite } from './refused-inputs.js';

/** libsvm's decision value: sum over support vectors of _dual_coef_ * K(x, sv), plus _intercept_ (-rho). */
function decisionValue(ctx: Ctx, est: Est, input: Features): string {
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
  return affine(b, k, dual, s, 1, intercept, 'svm_decision');
}

export const svr: PredictorConverter = (ctx, est, input) => ({ kind: 'regressor', value: decisionValue(ctx, est, input) });

/** libsvm's probabilities are 1e-7 .. 1 - 1e-7 (svm_predict_probability's min_prob). */
const MIN_PROB = 1e-7;
/**
 * Passes of multiclass_probability's loop written out. With two classes it stops after at most two updates (checked
 * for 20,001 pairwise probabilities across (0, 1)); a row still above the tolerance after these is NaN, which the
 * platform fails, rather than an approximation.
 */
const COUPLING_PASSES = 4;

/** libsvm's sigmoid_predict(d, A, B), clipped to [min_prob, 1 - min_prob]: the first class's pairwise probability. */
function platt(ctx: Ctx, est: Est, d: string): string {
  const b = ctx.b;
  const [a] = est.numbers('_probA');
  const [c] = est.numbers('_probB');
  if (a === undefined || c === undefined) return est.malformed('has no Platt scaling parameters (_probA, _probB)');
  const one = doubleConst(b, 'one', [1], []);
  const f = b.op(
    'Add',
    [b.op('Mul', [d, doubleConst(b, 'prob_a', [a], [])], {}, { name: 'd_times_a' }), doubleConst(b, 'prob_b', [c], [])],
    {},
    { name: 'platt_f' },
  );
  const eNeg = b.op('Exp', [b.op('Neg', [f], {}, { name: 'minus_f' })], {}, { name: 'exp_minus_f' });
  const positive = b.op(
    'Div',
    [eNeg, b.op('Add', [one, eNeg], {}, { name: 'one_plus_exp_minus_f' })],
    {},
    { name: 'platt_f_non_negative' },
  );
  const negative = b.op(
    'Div',
    [one, b.op('Add', [one, b.op('Exp', [f], {}, { name: 'exp_f' })], {}, { name: 'one_plus_exp_f' })],
    {},
    { name: 'platt_f_negative' },
  );
  const nonNegative = b.op('GreaterOrEqual', [f, doubleConst(b, 'zero', [0], [])], {}, { name: 'f_non_negative' });
  const p = b.op('Where', [nonNegative, positive, negative], {}, { name: 'platt' });
  return b.op('Clip', [p, doubleConst(b, 'min_prob', [MIN_PROB], []), doubleConst(b, 'max_prob', [1 - MIN_PROB], [])], {}, { name: 'r01' });
}

/**
 * libsvm's multiclass_probability(2, r, p) as scikit-learn's libsvm runs it for two classes too: from p = (1/2, 1/2),
 * each pass recomputes Qp and pQp, stops when every |Qp[t] - pQp| < 0.005 / 2, else updates p[0] then p[1] with the
 * very operations of the C loop. Returns [N, 2].
 */
function coupleTwo(ctx: Ctx, r01: string): string {
  const b = ctx.b;
  const op = (type: string, inputs: string[], name: string) => b.op(type, inputs, {}, { name });
  const one = doubleConst(b, 'one', [1], []);
  const r10 = op('Sub', [one, r01], 'r10');
  const q00 = op('Mul', [r10, r10], 'q00');
  const q01 = op('Neg', [op('Mul', [r10, r01], 'r10_r01')], 'q01');
  const q11 = op('Mul', [r01, r01], 'q11');
  const q = [
    [q00, q01],
    [q01, q11],
  ];
  const half = op('Mul', [r01, doubleConst(b, 'zero', [0], [])], 'zeros');
  let p = [
    op('Add', [half, doubleConst(b, 'half', [0.5], [])], 'p0_start'),
    op('Add', [half, doubleConst(b, 'half', [0.5], [])], 'p1_start'),
  ];
  const eps = doubleConst(b, 'coupling_eps', [0.005 / 2], []);
  let converged: string | null = null;
  const check = (pp: string[]) => {
    const qp = [0, 1].map((t) => op('Add', [op('Mul', [q[t]![0]!, pp[0]!], 'q_p0'), op('Mul', [q[t]![1]!, pp[1]!], 'q_p1')], `qp${t}`));
    const pqp = op('Add', [op('Mul', [pp[0]!, qp[0]!], 'p0_qp0'), op('Mul', [pp[1]!, qp[1]!], 'p1_qp1')], 'pqp');
    const errors = qp.map((v, t) => op('Abs', [op('Sub', [v, pqp], `error${t}`)], `abs_error${t}`));
    const done = op('Less', [op('Max', errors, 'max_error'), eps], 'coupled');
    return { qp, pqp, done };
  };
  for (let pass = 0; pass < COUPLING_PASSES; pass++) {
    const { qp: qpStart, pqp: pqpStart, done } = check(p);
    converged = converged === null ? done : op('Or', [converged, done], 'converged');
    let [p0, p1] = p as [string, string];
    let qp = [...qpStart] as [string, string];
    let pqp = pqpStart;
    for (const t of [0, 1]) {
      const diff = op('Div', [op('Add', [op('Neg', [qp[t]!], 'minus_qp'), pqp], 'pqp_minus_qp'), q[t]![t]!], 'diff');
      const onePlus = op('Add', [one, diff], 'one_plus_diff');
      if (t === 0) p0 = op('Add', [p0, diff], 'p_plus_diff');
      else p1 = op('Add', [p1, diff], 'p_plus_diff');
      const inner = op(
        'Add',
        [op('Mul', [diff, q[t]![t]!], 'diff_q'), op('Mul', [doubleConst(b, 'two', [2], []), qp[t]!], 'two_qp')],
        'diff_q_2qp',
      );
      pqp = op(
        'Div',
        [op('Div', [op('Add', [pqp, op('Mul', [diff, inner], 'diff_inner')], 'pqp_num'), onePlus], 'pqp_once'), onePlus],
        'pqp_next',
      );
      qp = [
        op('Div', [op('Add', [qp[0], op('Mul', [diff, q[t]![0]!], 'diff_q0')], 'qp0_num'), onePlus], 'qp0_next'),
        op('Div', [op('Add', [qp[1], op('Mul', [diff, q[t]![1]!], 'diff_q1')], 'qp1_num'), onePlus], 'qp1_next'),
      ];
      p0 = op('Div', [p0, onePlus], 'p0_scaled');
      p1 = op('Div', [p1, onePlus], 'p1_scaled');
    }
    p = [op('Where', [converged, p[0]!, p0], 'p0'), op('Where', [converged, p[1]!, p1], 'p1')];
  }
  const { done } = check(p);
  const ok = op('Or', [converged!, done], 'converged_at_end');
  const nan = doubleConst(b, 'nan', [Number.NaN], []);
  return concatColumns(b, [op('Where', [ok, p[0]!, nan], 'p_first'), op('Where', [ok, p[1]!, nan], 'p_second')], 'proba');
}

/** What batchcast converts in place of a linear-kernel SVC without usable probabilities. */
const LINEAR_REMEDY = 'fit CalibratedClassifierCV(LinearSVC()) instead, which batchcast converts (any number of classes)';

/**
 * SVC / NuSVC with probability=True and two classes: libsvm's decision value d, Platt scaling, then its pairwise
 * coupling (coupleTwo). The label is libsvm's vote, as predict() takes it: the first class when d > 0, else the
 * second. Without probability=True they predict labels only; with more classes the coupling is a longer iteration
 * over all pairs: both refused by option.
 */
export const svc: PredictorConverter = (ctx, est, input) => {
  const b = ctx.b;
  const classes = classLabels(est);
  if (!est.bool('probability', false)) {
    unsupportedOption(
      est,
      'probability=False',
      `it predicts labels without probabilities; fit it with probability=True (two classes only), or, for a linear kernel, ${LINEAR_REMEDY}`,
    );
  }
  if (classes.length !== 2) {
    unsupportedOption(
      est,
      `probability=True with ${classes.length} classes`,
      "libsvm's coupling of the pairwise probabilities of more than two classes is not converted. For a linear kernel, " +
        `${LINEAR_REMEDY}; with another kernel, export it to ONNX as below (CalibratedClassifierCV over an SVC is refused too: batchcast calibrates linear decision functions only)`,
    );
  }
  const d = decisionValue(ctx, est, input);
  const first = cast(b, b.op('Greater', [d, doubleConst(b, 'zero', [0], [])], {}, { name: 'votes_first' }), 'double', 'vote_first');
  const second = b.op('Sub', [doubleConst(b, 'one', [1], []), first], {}, { name: 'vote_second' });
  return {
    kind: 'classifier',
    proba: coupleTwo(ctx, platt(ctx, est, d)),
    classes,
    labelScores: concatColumns(b, [first, second], 'votes'),
  };
};
