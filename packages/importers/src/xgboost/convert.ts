/**
 * XGBoost model -> ONNX. XGBoost reads features as float32 and sends a value left when `x < split` (a missing
 * value follows default_left), adds its trees' leaf values onto the base margin in float32, in tree order, then
 * applies the objective's transform in float32. The graph does the same: input (double, as the CSV holds it) ->
 * float32 -> double -> TreeEnsemble (BRANCH_LT, splits and leaves exactly XGBoost's float32 values, one output
 * column per tree) -> float32 running sum from the base margin (CumSum) -> sigmoid / softmax / exp computed step by
 * step with XGBoost's float32 roundings (float32.ts).
 */
import { ModelImportError, ONNX_EXPORT_HINT } from '../errors.js';
import { GraphBuilder } from '../onnx/builder.js';
import { classifierOutputs, doubleConst, regressorOutput, roundToFloat32 } from '../onnx/ops.js';
import type { BinaryTree } from '../onnx/tree-ensemble.js';
import {
  float32BinaryProbabilities,
  float32Exp,
  float32LinearMargin,
  float32Sigmoid,
  float32Softmax,
  float32TreeMargin,
  type GroupedTree,
} from './float32.js';
import type { XgbModel, XgbTree } from './model.js';

export interface ConvertedModel {
  onnx: Uint8Array;
  /** One line for `converted`: what became what. */
  summary: string;
  /** Further notes (iteration limits, objective handling). */
  notes: string[];
}

type Link = 'identity' | 'logistic' | 'exp';
interface ObjectiveInfo {
  task: 'binary' | 'multiclass' | 'regression';
  /** How base_score becomes the base margin (XGBoost's ProbToMargin). */
  baseMargin: Link;
  /** How the margin becomes the prediction. */
  transform: Link | 'softmax';
}

const OBJECTIVES: Record<string, ObjectiveInfo> = {
  'binary:logistic': { task: 'binary', baseMargin: 'logistic', transform: 'logistic' },
  // LogisticRaw keeps base_score as the margin (checked against XGBoost 1.7: no logit).
  'binary:logitraw': { task: 'regression', baseMargin: 'identity', transform: 'identity' },
  'reg:logistic': { task: 'regression', baseMargin: 'logistic', transform: 'logistic' },
  'multi:softprob': { task: 'multiclass', baseMargin: 'identity', transform: 'softmax' },
  'multi:softmax': { task: 'multiclass', baseMargin: 'identity', transform: 'softmax' },
  'reg:squarederror': { task: 'regression', baseMargin: 'identity', transform: 'identity' },
  'reg:linear': { task: 'regression', baseMargin: 'identity', transform: 'identity' },
  'reg:absoluteerror': { task: 'regression', baseMargin: 'identity', transform: 'identity' },
  'reg:pseudohubererror': { task: 'regression', baseMargin: 'identity', transform: 'identity' },
  'reg:squaredlogerror': { task: 'regression', baseMargin: 'identity', transform: 'identity' },
  'reg:quantileerror': { task: 'regression', baseMargin: 'identity', transform: 'identity' },
  'count:poisson': { task: 'regression', baseMargin: 'exp', transform: 'exp' },
  'reg:gamma': { task: 'regression', baseMargin: 'exp', transform: 'exp' },
  'reg:tweedie': { task: 'regression', baseMargin: 'exp', transform: 'exp' },
};

/** XGBoost's ProbToMargin, in float32 as XGBoost stores the result. */
function baseMargin(link: Link, baseScore: number): number {
  const f = Math.fround;
  switch (link) {
    case 'logistic':
      if (!(baseScore > 0 && baseScore < 1)) {
        throw new ModelImportError(
          'malformed',
          `The XGBoost model's base_score ${baseScore} is not a probability, as its logistic objective needs.`,
        );
      }
      return f(-Math.log(f(f(1 / baseScore) - 1)));
    case 'exp':
      if (!(baseScore > 0))
        throw new ModelImportError('malformed', `The XGBoost model's base_score ${baseScore} must be positive for its log-link objective.`);
      return f(Math.log(baseScore));
    case 'identity':
      return f(baseScore);
  }
}

function describeVersion(model: XgbModel): string {
  return model.version ? model.version.join('.') : 'unknown version';
}

/** Trees of the rounds that prediction uses (all, or 0..best_iteration like the scikit-learn wrapper). */
function usedTrees(model: XgbModel, groups: number, notes: string[]): number {
  if (model.bestIteration === null) return model.trees.length;
  const rounds = model.bestIteration + 1;
  const end = model.iterationIndptr ? model.iterationIndptr[rounds] : rounds * groups * model.numParallelTree;
  if (end === undefined || end >= model.trees.length) return model.trees.length;
  notes.push(
    `Uses the first ${rounds} boosting rounds (${end} of ${model.trees.length} trees): best_iteration is ${model.bestIteration}, as XGBoost's scikit-learn wrapper predicts.`,
  );
  return end;
}

function checkCategorical(tree: XgbTree, index: number): void {
  const types = tree.splitType;
  if (!types) return;
  for (let i = 0; i < types.length; i++) {
    if (types[i] !== 0 && tree.left[i] !== -1) {
      throw new ModelImportError(
        'unsupported_option',
        `XGBoost tree ${index} splits on categories (enable_categorical=True); batchcast does not convert categorical splits yet. ` +
          `Encode the categories as numbers before training (e.g. one-hot), or ${ONNX_EXPORT_HINT.replace(/^Export/, 'export')}`,
      );
    }
  }
}

function xgbTree(tree: XgbTree): BinaryTree {
  return {
    left: tree.left,
    right: tree.right,
    feature: tree.splitIndex,
    threshold: tree.splitCondition,
    missingGoesLeft: tree.defaultLeft,
  };
}

function applyLink(b: GraphBuilder, margin: string, link: Link): string {
  if (link === 'identity') return margin;
  if (link === 'logistic') return float32Sigmoid(b, margin);
  return float32Exp(b, margin);
}

/**
 * A DART tree's leaf as XGBoost's scikit-learn wrapper adds it to the margin (XGBRegressor/XGBClassifier.predict go
 * through Booster.inplace_predict): each tree is predicted with the base margin included, the base taken off again
 * and the rest scaled by the tree's weight_drop, all in float32: ((base + leaf) - base) * w. Booster.predict on a
 * DMatrix adds leaf * w instead, so XGBoost's own two paths differ by a float32 step or a few on some rows when the
 * base margin is not 0; the wrapper's is the one most people compare with.
 */
function dartLeafValue(values: ArrayLike<number>, weight: number, base: number): (node: number) => number {
  const f = Math.fround;
  return (n) => f(f(f(f(base) + f(values[n]!)) - f(base)) * f(weight));
}

/** What the model predicts, as graph values: a classifier's probabilities (classes 0..n-1) or a regressor's value. */
export type XgboostPrediction = { kind: 'classifier'; proba: string; classes: number[] } | { kind: 'regressor'; value: string };

export interface XgboostGraph {
  prediction: XgboostPrediction;
  /** "Cast float32 + TreeEnsemble (...) + base margin 0 -> sigmoid", for the summary. */
  description: string;
}

/** Checks what batchcast cannot score (objective, targets, categorical features) before anything is built. */
function checkModel(model: XgbModel): { objective: ObjectiveInfo; groups: number } {
  const objective = OBJECTIVES[model.objective];
  if (!objective) {
    throw new ModelImportError(
      'unsupported_option',
      `XGBoost objective "${model.objective}" is not supported (supported: ${Object.keys(OBJECTIVES).join(', ')}). ${ONNX_EXPORT_HINT}`,
    );
  }
  if (model.numTarget > 1) {
    throw new ModelImportError(
      'unsupported_option',
      `The XGBoost model predicts ${model.numTarget} targets; batchcast scores one target per model. ${ONNX_EXPORT_HINT}`,
    );
  }
  const groups = objective.task === 'multiclass' ? model.numClass : 1;
  if (objective.task === 'multiclass' && groups < 2)
    throw new ModelImportError('malformed', `The XGBoost ${model.objective} model has num_class ${model.numClass}.`);
  const features = model.numFeature;
  if (features < 1) throw new ModelImportError('malformed', 'The XGBoost model has no features (num_feature is 0).');
  if (model.featureNames && model.featureNames.length !== features) {
    throw new ModelImportError('malformed', `The XGBoost model lists ${model.featureNames.length} feature names for ${features} features.`);
  }

  const categorical = (model.featureTypes ?? []).flatMap((t, i) => (t === 'c' ? [model.featureNames?.[i] ?? `feature ${i}`] : []));
  if (categorical.length > 0) {
    throw new ModelImportError(
      'unsupported_option',
      `The XGBoost model treats ${categorical.map((c) => `'${c}'`).join(', ')} as categorical (enable_categorical=True). The file keeps ` +
        "only XGBoost's internal category codes, not the category names found in a CSV, so batchcast cannot convert it. Encode the " +
        `categories as numbers before training (e.g. one-hot), or ${ONNX_EXPORT_HINT.replace(/^Export/, 'export')}`,
    );
  }
  return { objective, groups };
}

/**
 * The model's prediction from `input` (double [N, num_feature]) in builder `b`: a whole graph of its own
 * (convertXgboost) or the last step of a scikit-learn Pipeline (a pickled XGBClassifier after transformers).
 */
export function xgboostPrediction(b: GraphBuilder, input: string, model: XgbModel, notes: string[]): XgboostGraph {
  const { objective, groups } = checkModel(model);
  const features = model.numFeature;
  const x = missingAsNaN(b, roundToFloat32(b, input), model.missing, notes);

  const base = baseMargin(objective.baseMargin, model.baseScore);
  let margin: string;
  let parts: string;
  if (model.booster === 'gblinear') {
    margin = linearMargin(b, x, model, groups, base);
    parts = 'Cast float32 + float32 sum of x * w (missing values add nothing)';
  } else {
    const count = usedTrees(model, groups, notes);
    const trees: GroupedTree[] = [];
    for (let i = 0; i < count; i++) {
      const tree = model.trees[i]!;
      checkCategorical(tree, i);
      const group = model.treeInfo[i]!;
      if (!(group >= 0 && group < groups))
        throw new ModelImportError('malformed', `XGBoost tree ${i} belongs to output group ${group} of ${groups}.`);
      for (let n = 0; n < tree.left.length; n++) {
        if (tree.left[n] !== -1 && !(tree.splitIndex[n]! >= 0 && tree.splitIndex[n]! < features)) {
          throw new ModelImportError('malformed', `XGBoost tree ${i} node ${n} splits on feature ${tree.splitIndex[n]} of ${features}.`);
        }
      }
      const values = tree.splitCondition;
      trees.push({
        tree: xgbTree(tree),
        group,
        leafValue: model.weightDrop ? dartLeafValue(values, model.weightDrop[i]!, base) : (n) => Math.fround(values[n]!),
      });
    }
    margin = float32TreeMargin(b, x, trees, groups, base);
    parts = `Cast float32 + TreeEnsemble (${count} trees, x < split, missing by default_left) + float32 sum in tree order`;
    if (model.booster === 'dart') notes.push("DART booster: each tree's leaves are scaled by its weight_drop, as XGBoost predicts.");
  }

  let prediction: XgboostPrediction;
  let head: string;
  if (objective.task === 'binary') {
    prediction = { kind: 'classifier', proba: float32BinaryProbabilities(b, float32Sigmoid(b, margin)), classes: [0, 1] };
    head = 'sigmoid -> [1 - p, p]';
  } else if (objective.task === 'multiclass') {
    prediction = { kind: 'classifier', proba: float32Softmax(b, margin), classes: Array.from({ length: groups }, (_, k) => k) };
    head = 'softmax';
    if (model.objective === 'multi:softmax')
      notes.push(
        'multi:softmax predicts the class only; the probabilities are the softmax of the margins (what multi:softprob would give).',
      );
  } else {
    prediction = { kind: 'regressor', value: applyLink(b, margin, objective.transform as Link) };
    head = objective.transform === 'identity' ? 'margin' : objective.transform === 'logistic' ? 'sigmoid' : 'exp';
    if (model.objective === 'binary:logitraw')
      notes.push('binary:logitraw predicts the raw margin, so the model is scored as a regressor (one value per row).');
  }
  const booster = model.booster === 'gbtree' ? '' : ` ${model.booster}`;
  return { prediction, description: `XGBoost ${model.objective}${booster} -> ${parts} + base margin ${base} -> ${head}` };
}

export function convertXgboost(model: XgbModel): ConvertedModel {
  checkModel(model);
  const notes: string[] = [];
  const b = new GraphBuilder({ graphName: 'xgboost', producerVersion: `xgboost ${describeVersion(model)}` });
  const input = b.addInput(b.name('input'), 'double', ['N', model.numFeature]);
  if (model.featureNames) b.setMetadata('feature_names', JSON.stringify(model.featureNames));
  const { prediction, description } = xgboostPrediction(b, input, model, notes);
  if (prediction.kind === 'classifier') classifierOutputs(b, prediction.proba, prediction.classes);
  else regressorOutput(b, prediction.value);
  return { onnx: b.encode(), summary: description, notes };
}

/**
 * XGBClassifier(missing=-999) treats an input equal to -999 (compared as float32, which is how XGBoost reads its
 * data) as a missing value, NaN included; the graph's trees and linear weights know missing only as NaN, so such
 * inputs become NaN first. Without this, -999 was compared with the splits like any number: other branches, other
 * predictions.
 */
function missingAsNaN(b: GraphBuilder, x: string, missing: number, notes: string[]): string {
  if (Number.isNaN(missing)) return x;
  const value = Math.fround(missing);
  notes.push(`missing=${missing}: inputs equal to ${missing} are missing values, as XGBoost reads them (so are empty cells and NaN).`);
  const isMissing = b.op('Equal', [x, doubleConst(b, 'missing_value', [value], [])], {}, { name: 'is_missing' });
  return b.op('Where', [isMissing, doubleConst(b, 'nan', [Number.NaN], []), x], {}, { name: 'input_missing_as_nan' });
}

/** gblinear: margin = (bias + base) + x . w in float32, where XGBoost skips missing entries (they add nothing). */
function linearMargin(b: GraphBuilder, x: string, model: XgbModel, groups: number, base: number): string {
  const w = model.linear!.weights;
  const features = model.numFeature;
  if (w.length !== (features + 1) * groups) {
    throw new ModelImportError(
      'malformed',
      `The XGBoost gblinear model has ${w.length} weights for ${features} features and ${groups} outputs.`,
    );
  }
  const all = Array.from(w, (v) => Math.fround(v));
  return float32LinearMargin(b, x, all.slice(0, features * groups), all.slice(features * groups), features, groups, base);
}
