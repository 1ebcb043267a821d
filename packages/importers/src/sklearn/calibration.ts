/**
 * CalibratedClassifierCV: each calibrated classifier maps its estimator's decision_function (or, without one, its
 * predict_proba: the positive column for two classes) through one calibrator per class, sigmoid (expit(-(a T + b)))
 * or isotonic (scipy's interp1d between the fitted thresholds, T clipped to the fitted range); the columns are
 * normalised as _CalibratedClassifier.predict_proba does (1 - p for two classes; divided by their sum, uniform where
 * that is 0; values a hair above 1 set to 1), then averaged over the calibrated classifiers in order.
 */
import { attr } from '../onnx/attributes.js';
import { cast, concatColumns, doubleConst, int64Const, sigmoid, sliceColumns } from '../onnx/ops.js';
import { PyObject } from '../pickle/values.js';
import type { Ctx, PredictorConverter } from './context.js';
import { unsupportedOption } from './context.js';
import { pipelineSteps } from './compose.js';
import type { Features } from './features.js';
import { decision } from './linear.js';
import { asLabels, classLabels, Est, typeName } from './py.js';
import type { Label } from './py.js';

/** Linear classifiers whose decision_function is X @ coef_.T + intercept_. */
const LINEAR_DECISION = new Set([
  'LinearSVC',
  'LogisticRegression',
  'LogisticRegressionCV',
  'SGDClassifier',
  'RidgeClassifier',
  'RidgeClassifierCV',
  'Perceptron',
  'PassiveAggressiveClassifier',
]);
/** Other classifiers with a decision_function, which calibration would read instead of their probabilities. */
const OTHER_DECISION = new Set([
  'GradientBoostingClassifier',
  'HistGradientBoostingClassifier',
  'SVC',
  'NuSVC',
  'LinearDiscriminantAnalysis',
]);

/** What calibration reads from the estimator: [N, 1] columns, one per calibrator, and the estimator's classes. */
function predictions(ctx: Ctx, est: Est, input: Features): { columns: string[]; classes: Label[] } {
  if (est.cls === 'Pipeline') {
    const steps = pipelineSteps(est);
    let x = input;
    for (const step of steps.slice(0, -1)) if (step.est) x = ctx.transform(step.est, x);
    const last = steps.at(-1)?.est;
    if (!last) return est.malformed('ends in passthrough');
    return predictions(ctx, last, x);
  }
  const classes = classLabels(est);
  if (LINEAR_DECISION.has(est.cls)) {
    const { value, outputs } = decision(ctx, est, input);
    return { columns: columnsOf(ctx, value, outputs), classes };
  }
  if (OTHER_DECISION.has(est.cls)) {
    unsupportedOption(est, 'calibration of its decision_function', 'batchcast reads the decision function of linear classifiers only');
  }
  const p = ctx.predict(est, input);
  if (p.kind !== 'classifier') return est.malformed('is not a classifier');
  const all = columnsOf(ctx, p.proba, p.classes.length);
  return { columns: p.classes.length === 2 ? all.slice(1) : all, classes };
}

function columnsOf(ctx: Ctx, value: string, width: number): string[] {
  return Array.from({ length: width }, (_, j) => (width === 1 ? value : sliceColumns(ctx.b, value, j, j + 1, `${value}_${j}`)));
}

function calibrate(ctx: Ctx, calibrator: Est, t: string): string {
  const b = ctx.b;
  if (calibrator.cls === '_SigmoidCalibration') {
    const scaled = b.op('Mul', [t, doubleConst(b, 'calibration_a', [calibrator.num('a_')], [])], {}, { name: 'a_times_t' });
    const shifted = b.op('Add', [scaled, doubleConst(b, 'calibration_b', [calibrator.num('b_')], [])], {}, { name: 'a_t_plus_b' });
    return sigmoid(b, b.op('Neg', [shifted], {}, { name: 'calibration_logit' }));
  }
  if (calibrator.cls === 'IsotonicRegression') return isotonic(ctx, calibrator, t);
  return calibrator.malformed('is not a sigmoid or isotonic calibrator');
}

/** IsotonicRegression.transform: clip (out_of_bounds='clip'), then scipy's interp1d(kind='linear') between the thresholds. */
function isotonic(ctx: Ctx, est: Est, t: string): string {
  const b = ctx.b;
  const xs = est.numbers('X_thresholds_');
  const ys = est.numbers('y_thresholds_');
  if (xs.length !== ys.length || xs.length === 0) est.malformed(`has ${xs.length} thresholds and ${ys.length} values`);
  const outOfBounds = est.str('out_of_bounds', 'nan');
  if (outOfBounds !== 'clip') unsupportedOption(est, `out_of_bounds='${outOfBounds}'`, "calibration fits out_of_bounds='clip'");
  const clipped = b.op(
    'Clip',
    [t, doubleConst(b, 'isotonic_min', [est.num('X_min_')], []), doubleConst(b, 'isotonic_max', [est.num('X_max_')], [])],
    {},
    { name: 'isotonic_clipped' },
  );
  // One threshold: every value maps to its y (the fitted f_ repeats it).
  if (xs.length === 1)
    return b.op(
      'Add',
      [b.op('Mul', [clipped, doubleConst(b, 'zero', [0], [])], {}, { name: 'zeros' }), doubleConst(b, 'isotonic_y', ys, [])],
      {},
      { name: 'isotonic' },
    );
  // searchsorted(x, T, side='left') = how many thresholds are below T, clipped to [1, n - 1]: hi, and lo = hi - 1.
  const below = b.op('Less', [doubleConst(b, 'isotonic_x_row', xs, [xs.length]), clipped], {}, { name: 'threshold_below' });
  const count = b.op(
    'ReduceSum',
    [cast(b, below, 'double'), int64Const(b, 'axis_1', [1])],
    { keepdims: attr.int(1) },
    { name: 'thresholds_below' },
  );
  const hiD = b.op(
    'Clip',
    [count, doubleConst(b, 'one', [1], []), doubleConst(b, 'last_index', [xs.length - 1], [])],
    {},
    { name: 'hi_index' },
  );
  const hi = cast(b, hiD, 'int64', 'hi');
  const lo = cast(b, b.op('Sub', [hiD, doubleConst(b, 'one', [1], [])], {}, { name: 'lo_index' }), 'int64', 'lo');
  const at = (values: number[], index: string, name: string) =>
    b.op('Gather', [doubleConst(b, `${name}_table`, values, [values.length]), index], { axis: attr.int(0) }, { name });
  const [xLo, xHi, yLo, yHi] = [at(xs, lo, 'x_lo'), at(xs, hi, 'x_hi'), at(ys, lo, 'y_lo'), at(ys, hi, 'y_hi')];
  const slope = b.op(
    'Div',
    [b.op('Sub', [yHi, yLo], {}, { name: 'rise' }), b.op('Sub', [xHi, xLo], {}, { name: 'run' })],
    {},
    { name: 'slope' },
  );
  const along = b.op('Mul', [slope, b.op('Sub', [clipped, xLo], {}, { name: 'from_lo' })], {}, { name: 'along' });
  return b.op('Add', [along, yLo], {}, { name: 'isotonic' });
}

/** One _CalibratedClassifier's predict_proba over the CalibratedClassifierCV's classes. */
function calibratedProba(ctx: Ctx, member: Est, classes: Label[], input: Features): string {
  const b = ctx.b;
  const inner = member.child('estimator', `${member.where} > estimator`);
  const { columns, classes: innerClasses } = predictions(ctx, inner, input);
  const calibrators = member.list('calibrators');
  if (calibrators.length !== columns.length) member.malformed(`has ${calibrators.length} calibrators for ${columns.length} predictions`);
  const k = classes.length;
  const perClass: (string | null)[] = new Array(k).fill(null);
  // pos_class_indices: the estimator's classes (a fold may have missed some) among all classes; zip stops at the calibrators.
  calibrators.forEach((c, i) => {
    if (!(c instanceof PyObject)) member.malformed(`has calibrator ${i} = ${typeName(c)}`);
    const index = classes.indexOf(innerClasses[i]!) + (k === 2 ? 1 : 0);
    if (index < 0 || index >= k) member.malformed(`calibrates class ${String(innerClasses[i])}, which is not among ${classes.join(', ')}`);
    perClass[index] = calibrate(ctx, new Est(c, `${member.where} > calibrator ${i}`), columns[i]!);
  });
  const zero = () => b.op('Mul', [columns[0]!, doubleConst(b, 'zero', [0], [])], {}, { name: 'uncalibrated' });
  let proba: string;
  if (k === 2) {
    const p1 = perClass[1] ?? zero();
    proba = concatColumns(b, [b.op('Sub', [doubleConst(b, 'one', [1], []), p1], {}, { name: 'calibrated_negative' }), p1], 'calibrated');
  } else {
    const p = concatColumns(
      b,
      perClass.map((c) => c ?? zero()),
      'calibrated_columns',
    );
    const total = b.op('ReduceSum', [p, int64Const(b, 'axis_1', [1])], { keepdims: attr.int(1) }, { name: 'calibrated_total' });
    const isZero = b.op('Equal', [total, doubleConst(b, 'zero', [0], [])], {}, { name: 'calibrated_total_zero' });
    const uniform = doubleConst(b, 'uniform', new Array<number>(k).fill(1 / k), [k]);
    proba = b.op('Where', [isZero, uniform, b.op('Div', [p, total], {}, { name: 'normalised' })], {}, { name: 'calibrated' });
  }
  // proba[(1.0 < proba) & (proba <= 1.0 + 1e-5)] = 1.0
  const above = b.op('Greater', [proba, doubleConst(b, 'one', [1], [])], {}, { name: 'above_one' });
  const near = b.op('LessOrEqual', [proba, doubleConst(b, 'one_plus', [1 + 1e-5], [])], {}, { name: 'near_one' });
  const hair = b.op('And', [above, near], {}, { name: 'a_hair_above_one' });
  return b.op('Where', [hair, doubleConst(b, 'one', [1], []), proba], {}, { name: 'calibrated_proba' });
}

export const calibratedClassifierCv: PredictorConverter = (ctx, est, input) => {
  const classes = classLabels(est);
  const members = est.list('calibrated_classifiers_');
  if (members.length === 0) est.malformed('has no calibrated classifiers');
  const probas = members.map((m, i) => {
    if (!(m instanceof PyObject)) return est.malformed(`has calibrated classifier ${i} = ${typeName(m)}`);
    const member = new Est(m, `${est.where ? `${est.where} > ` : ''}calibrated classifier ${i}`);
    const memberClasses = asLabels(member.get('classes'));
    if (memberClasses && memberClasses.length !== classes.length)
      member.malformed(`has ${memberClasses.length} classes for ${classes.length}`);
    return calibratedProba(ctx, member, classes, input);
  });
  // mean_proba += each; mean_proba /= n
  let total = probas[0]!;
  for (const p of probas.slice(1)) total = ctx.b.op('Add', [total, p], {}, { name: 'calibrated_sum' });
  const proba = ctx.b.op('Div', [total, doubleConst(ctx.b, 'calibrated_count', [probas.length], [])], {}, { name: 'proba' });
  return { kind: 'classifier', proba, classes };
};
