/**
 * HistGradientBoostingClassifier / HistGradientBoostingRegressor. Predictions work on the float64 input
 * (X_DTYPE), `x <= num_threshold` goes left and NaN follows missing_go_to_left; raw = _baseline_prediction, then +
 * each iteration's tree's leaf value (shrinkage is already in them), one after another in double; then the loss's
 * inverse link.
 *
 * Categorical splits (categorical_features) become TreeEnsemble set-membership nodes: scikit-learn truncates
 * the value to an integer category, sends the categories of the node's bitset left, the other known categories
 * right, and unknown or negative ones the way missing values go.
 */
import { binaryProbabilities, sigmoid, softmax } from '../onnx/ops.js';
import { addTreeEnsemble } from '../onnx/tree-ensemble.js';
import type { BinaryTree, TreeTarget } from '../onnx/tree-ensemble.js';
import { NdArray, PyObject } from '../pickle/values.js';
import type { PredictorConverter } from './context.js';
import { checkWidth, unsupportedOption } from './context.js';
import { asList, asNumbers, classLabels, Est, isNone, typeName } from './py.js';

type Link = 'identity' | 'logit' | 'multinomial' | 'log';

/** The inverse link from the loss object's class (1.0: ..._hist_gradient_boosting.loss; 1.1+: sklearn._loss). */
const LOSS_LINKS: Record<string, Link> = {
  LeastSquares: 'identity',
  LeastAbsoluteDeviation: 'identity',
  HalfSquaredError: 'identity',
  AbsoluteError: 'identity',
  PinballLoss: 'identity',
  HuberLoss: 'identity',
  BinaryCrossEntropy: 'logit',
  HalfBinomialLoss: 'logit',
  CategoricalCrossEntropy: 'multinomial',
  HalfMultinomialLoss: 'multinomial',
  Poisson: 'log',
  HalfPoissonLoss: 'log',
  HalfGammaLoss: 'log',
  HalfTweedieLoss: 'log',
  HalfTweedieLossIdentity: 'identity',
};

const LINK_CLASSES: Record<string, Link> = {
  IdentityLink: 'identity',
  LogitLink: 'logit',
  LogLink: 'log',
  MultinomialLogit: 'multinomial',
};

function linkOf(est: Est, classes: number | null): Link {
  const loss = est.get('_loss');
  if (loss instanceof PyObject) {
    const byLoss = LOSS_LINKS[loss.name];
    if (byLoss) return byLoss;
    const link = loss.attr('link');
    if (link instanceof PyObject && LINK_CLASSES[link.name]) return LINK_CLASSES[link.name]!;
    return unsupportedOption(est, `the loss ${loss.name}`, 'its link function is not known to batchcast');
  }
  // No loss object in the file: decide from the loss parameter.
  const name = est.optStr('loss') ?? '';
  if (classes !== null) return classes > 2 ? 'multinomial' : 'logit';
  if (name === 'poisson' || name === 'gamma') return 'log';
  return 'identity';
}

interface PredictorNodes {
  tree: BinaryTree;
  values: number[];
}

/** 256-bit category bitsets: uint32 [n, 8]. */
function bitsetMembers(bitsets: NdArray | null, index: number): number[] {
  if (!bitsets) return [];
  const words = bitsets.toNumbers().slice(index * 8, index * 8 + 8);
  const out: number[] = [];
  words.forEach((w, i) => {
    for (let bit = 0; bit < 32; bit++) if ((w >>> bit) & 1) out.push(i * 32 + bit);
  });
  return out;
}

function readPredictor(est: Est, p: Est, features: number, knownCategories: (number[] | null)[] | null): PredictorNodes {
  const nodes = p.array('nodes');
  const count = nodes.size;
  const field = (name: string): number[] => {
    if (!nodes.hasField(name)) p.malformed(`has nodes without the field '${name}'`);
    return nodes.field(name).toNumbers();
  };
  const isLeaf = field('is_leaf');
  const left = field('left').map((l, i) => (isLeaf[i] ? -1 : l));
  const right = field('right');
  const feature = field('feature_idx');
  const threshold = field('num_threshold');
  const missing = field('missing_go_to_left');
  const values = field('value');
  const categorical = nodes.hasField('is_categorical') ? field('is_categorical') : null;
  const bitsetIdx = nodes.hasField('bitset_idx') ? field('bitset_idx') : null;
  const raw = p.get('raw_left_cat_bitsets');
  const rawBitsets = raw instanceof NdArray && raw.size > 0 ? raw : null;

  const sets: ({ set: number[]; setGoesLeft: boolean } | null)[] = new Array(count).fill(null);
  for (let i = 0; i < count; i++) {
    if (isLeaf[i]) continue;
    if (!(left[i]! >= 0 && left[i]! < count && right[i]! >= 0 && right[i]! < count)) p.malformed(`has node ${i} pointing outside the tree`);
    if (!(feature[i]! >= 0 && feature[i]! < features)) p.malformed(`has node ${i} splitting on feature ${feature[i]} of ${features}`);
    if (!categorical?.[i]) continue;
    const known = knownCategories?.[feature[i]!];
    if (!known || !bitsetIdx) return est.malformed('has a categorical split but no known categories for its feature');
    const leftSet = new Set(bitsetMembers(rawBitsets, bitsetIdx[i]!));
    if (missing[i]) {
      // Unknown categories go where missing values go (left): test membership of the known right-going ones.
      sets[i] = { set: known.filter((c) => !leftSet.has(c)), setGoesLeft: false };
    } else {
      sets[i] = { set: [...leftSet].sort((a, b) => a - b), setGoesLeft: true };
    }
  }
  return { tree: { left, right, feature, threshold, missingGoesLeft: missing, categorical: categorical ? sets : null }, values };
}

/** Known categories per feature (null for numerical features), from the fitted bin mapper. */
function knownCategories(est: Est, features: number): (number[] | null)[] | null {
  const flags = est.get('is_categorical_');
  if (isNone(flags)) return null;
  const isCat = asNumbers(flags ?? null);
  if (!isCat || isCat.length !== features) return est.malformed('has an is_categorical_ that does not cover its features');
  if (!isCat.some((c) => c)) return null;
  const mapper = est.child('_bin_mapper', `bin mapper of ${est.label}`);
  const thresholds = mapper.list('bin_thresholds_');
  return isCat.map((c, f) => {
    if (!c) return null;
    const cats = asNumbers(thresholds[f] ?? null);
    if (!cats) return mapper.malformed(`has no categories for feature ${f}`);
    return cats;
  });
}

function histGradientBoosting(classifier: boolean): PredictorConverter {
  return (ctx, est, input) => {
    checkWidth(est, input);
    const b = ctx.b;
    if (!isNone(est.get('_preprocessor'))) {
      unsupportedOption(
        est,
        "categorical_features='from_dtype' with pandas categories",
        'its built-in ordinal encoder is not converted; encode the categories in a ColumnTransformer instead',
      );
    }
    const classes = classifier ? classLabels(est) : null;
    const link = linkOf(est, classes ? classes.length : null);
    const perIteration = est.int('n_trees_per_iteration_');
    const baseline = asNumbers(est.req('_baseline_prediction'));
    if (!baseline || baseline.length !== perIteration)
      return est.malformed(`has a _baseline_prediction that does not have ${perIteration} values`);
    const iterations = est.list('_predictors');
    const known = knownCategories(est, input.width);

    let x = input.matrix(b, est.label);
    if (known) {
      // scikit-learn reads a categorical value through an integer cast: 2.7 is category 2 (negatives are missing).
      const mask = b.constant('categorical_features', { type: 'bool', values: known.map((k) => k !== null) }, [known.length]);
      x = b.op('Where', [mask, b.op('Floor', [x], {}, { name: 'category_floor' }), x], {}, { name: 'categories_as_integers' });
      ctx.notes.push(`${est.label}: categorical features ${known.flatMap((k, f) => (k ? [f] : [])).join(', ')} split on category sets.`);
    }
    const targets: TreeTarget[] = [];
    for (const [i, it] of iterations.entries()) {
      const trees = asList(it) ?? est.malformed(`has _predictors[${i}] = ${typeName(it)}, not a list`);
      if (trees.length !== perIteration) est.malformed(`has ${trees.length} trees in iteration ${i} for ${perIteration} per iteration`);
      for (const [k, t] of trees.entries()) {
        if (!(t instanceof PyObject)) return est.malformed(`has _predictors[${i}][${k}] = ${typeName(t)}`);
        const p = readPredictor(est, new Est(t, `iteration ${i} tree ${k} of ${est.label}`), input.width, known);
        targets.push({ tree: p.tree, target: k, leafValue: (n) => p.values[n]! });
      }
    }
    // _raw_predict starts from _baseline_prediction and adds each iteration's leaf values (learning_rate already
    // in them) one by one, in double: the ensemble's sums start there too (a first lone-leaf tree per output).
    const raw = addTreeEnsemble(b, x, targets, { rule: 'LEQ', nTargets: perIteration, name: 'raw', start: baseline });
    if (classes) {
      if (link === 'multinomial') {
        if (perIteration !== classes.length) est.malformed(`has ${perIteration} trees per iteration for ${classes.length} classes`);
        return { kind: 'classifier', proba: softmax(b, raw), classes };
      }
      if (link !== 'logit' || perIteration !== 1 || classes.length !== 2) est.malformed(`has a ${link} link for ${classes.length} classes`);
      return { kind: 'classifier', proba: binaryProbabilities(b, sigmoid(b, raw)), classes };
    }
    if (perIteration !== 1) est.malformed(`has ${perIteration} trees per iteration for a single target`);
    if (link === 'log') return { kind: 'regressor', value: b.op('Exp', [raw], {}, { name: 'prediction' }) };
    if (link !== 'identity') est.malformed(`has a ${link} link for a regressor`);
    return { kind: 'regressor', value: raw };
  };
}

export const histGradientBoostingClassifier = histGradientBoosting(true);
export const histGradientBoostingRegressor = histGradientBoosting(false);
