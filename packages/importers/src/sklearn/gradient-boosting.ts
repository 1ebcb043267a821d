/**
 * GradientBoostingClassifier / GradientBoostingRegressor. raw = init_'s raw prediction, then + learning_rate *
 * each stage's tree value, stage after stage in double as predict_stages adds them (trees on float32 input, as
 * scikit-learn casts X); then the loss's link: sigmoid for the binomial deviance, softmax for the multinomial
 * one, sigmoid(2 raw) for the exponential loss, identity for regression. The init_ raw prediction follows the
 * loss (scikit-learn 1.0-1.5 agree up to a shift that the softmax cancels): logit of the prior, log of the
 * priors, half the logit, or DummyRegressor's constant.
 */
import { binaryProbabilities, doubleConst, roundToFloat32, sigmoid, softmax } from '../onnx/ops.js';
import { addTreeEnsemble } from '../onnx/tree-ensemble.js';
import type { TreeTarget } from '../onnx/tree-ensemble.js';
import { ModelImportError, ONNX_EXPORT_HINT } from '../errors.js';
import { PyObject } from '../pickle/values.js';
import type { PredictorConverter } from './context.js';
import { checkWidth, unsupportedOption } from './context.js';
import { classLabels, Est } from './py.js';
import { refuseNonFinite } from './refused-inputs.js';
import { readTree, stageTrees } from './trees.js';

const FLOAT32_EPS = 2 ** -23;

type Loss = 'binomial' | 'multinomial' | 'exponential' | 'regression';

function lossOf(est: Est, classes: number | null): Loss {
  const loss = est.optStr('loss');
  if (classes === null) {
    const known = ['squared_error', 'ls', 'absolute_error', 'lad', 'huber', 'quantile'];
    if (loss !== null && !known.includes(loss)) unsupportedOption(est, `loss='${loss}'`, `supported losses are ${known.join(', ')}`);
    return 'regression';
  }
  if (loss === 'exponential') return 'exponential';
  if (loss === null || loss === 'log_loss' || loss === 'deviance') return classes > 2 ? 'multinomial' : 'binomial';
  return unsupportedOption(est, `loss='${loss}'`, 'supported losses are log_loss, deviance and exponential');
}

/** init_'s raw prediction, one value per output column. */
function initRaw(est: Est, loss: Loss, k: number): number[] {
  const init = est.req('init_');
  if (init === 'zero') return new Array<number>(k).fill(0);
  if (!(init instanceof PyObject)) return est.malformed('has an init_ that is neither an estimator nor "zero"');
  const dummy = new Est(init, `init_ of ${est.label}`);
  if (loss === 'regression') {
    if (dummy.cls !== 'DummyRegressor') return refuseInit(est, dummy);
    const constant = dummy.numbers('constant_');
    if (constant.length !== 1) dummy.malformed(`has ${constant.length} constants`);
    return constant;
  }
  if (dummy.cls !== 'DummyClassifier') return refuseInit(est, dummy);
  const strategy = dummy.str('strategy', 'prior');
  if (strategy !== 'prior') return refuseInit(est, dummy);
  const prior = dummy.numbers('class_prior_').map((p) => Math.min(Math.max(p, FLOAT32_EPS), 1 - FLOAT32_EPS));
  if (loss === 'multinomial') return prior.map((p) => Math.log(p));
  const p = prior[1]!;
  const logit = Math.log(p / (1 - p));
  return [loss === 'exponential' ? 0.5 * logit : logit];
}

function refuseInit(est: Est, init: Est): never {
  throw new ModelImportError(
    'unsupported_option',
    `${est.label} starts from init=${init.cls}(${init.optStr('strategy') ?? ''}); batchcast converts the default init (the class prior or the mean) and init='zero' only. ${ONNX_EXPORT_HINT}`,
  );
}

function gradientBoosting(classifier: boolean): PredictorConverter {
  return (ctx, est, input) => {
    checkWidth(est, input);
    const b = ctx.b;
    const classes = classifier ? classLabels(est) : null;
    const loss = lossOf(est, classes ? classes.length : null);
    const { stages, k, at } = stageTrees(est);
    const expectedK = loss === 'multinomial' ? classes!.length : 1;
    if (k !== expectedK) est.malformed(`has ${k} trees per stage where its loss needs ${expectedK}`);
    const rate = est.num('learning_rate');
    const raw0 = initRaw(est, loss, k);
    if (raw0.length !== k) est.malformed(`has an init_ giving ${raw0.length} values for ${k} outputs`);

    const x = roundToFloat32(b, input.matrix(b, est.label));
    // GradientBoosting* refuse NaN in every version batchcast reads (1.0 to 1.5).
    refuseNonFinite(ctx, x, { nan: true });
    const targets: TreeTarget[] = [];
    for (let s = 0; s < stages; s++) {
      for (let j = 0; j < k; j++) {
        const tree = readTree(at(s, j), input.width);
        // predict_stages adds learning_rate * value[leaf] to the raw prediction.
        targets.push({ tree: tree.tree, target: j, leafValue: (n) => rate * tree.values[n * tree.classesMax]! });
      }
    }
    // predict_stages starts from init_'s prediction and adds the stages to it one by one, in double: the
    // ensemble's sums start there too (a first lone-leaf tree per output), so every addition is the same one;
    // adding init_ after the stages' sum was 1 to 12 units in the last place off on most rows.
    const raw = addTreeEnsemble(b, x, targets, { rule: 'LEQ', nTargets: k, name: 'raw', start: raw0 });
    if (loss === 'regression') return { kind: 'regressor', value: raw };
    if (loss === 'multinomial') return { kind: 'classifier', proba: softmax(b, raw), classes: classes! };
    const margin = loss === 'exponential' ? b.op('Mul', [raw, doubleConst(b, 'two', [2], [])], {}, { name: 'raw_doubled' }) : raw;
    return { kind: 'classifier', proba: binaryProbabilities(b, sigmoid(b, margin)), classes: classes! };
  };
}

export const gradientBoostingClassifier = gradientBoosting(true);
export const gradientBoostingRegressor = gradientBoosting(false);
