/**
 * scikit-learn decision trees (sklearn.tree._tree.Tree) and the forests made of them. Trees compare the input
 * as float32 (scikit-learn casts X to float32) with float64 thresholds, `x <= threshold` going left; from
 * scikit-learn 1.3 a node's missing_go_to_left sends NaN left. A row scikit-learn refuses (NaN where the
 * estimator has no missing-value support, an infinity anywhere) gets NaN outputs: refused-inputs.ts. Node
 * fields are read by name, so the extra 1.3 field is fine.
 */
import { doubleConst, roundToFloat32 } from '../onnx/ops.js';
import { addTreeEnsemble } from '../onnx/tree-ensemble.js';
import type { BinaryTree, TreeTarget } from '../onnx/tree-ensemble.js';
import { NdArray } from '../pickle/values.js';
import type { Ctx, Prediction, PredictorConverter } from './context.js';
import { checkWidth, unsupportedOption } from './context.js';
import type { Features } from './features.js';
import { numpySum } from './numpy-sum.js';
import { asNumber, classLabels, Est, isNone, typeName } from './py.js';
import { PyObject } from '../pickle/values.js';
import { refuseNonFinite, versionAtLeast } from './refused-inputs.js';

export interface SklearnTree {
  tree: BinaryTree;
  nodeCount: number;
  outputs: number;
  /** Values per node: [nodeCount, outputs, classesMax], row-major. */
  values: number[];
  classesMax: number;
}

/** Reads the `tree_` of a DecisionTreeClassifier/Regressor. */
export function readTree(est: Est, features: number): SklearnTree {
  const treeObj = est.req('tree_');
  if (!(treeObj instanceof PyObject)) return est.malformed(`has tree_ = ${typeName(treeObj)}`);
  const t = new Est(treeObj, `tree of ${est.label}`);
  const nodes = t.array('nodes');
  const valuesArr = t.array('values');
  const nodeCount = nodes.size;
  const field = (name: string): number[] => {
    if (!nodes.hasField(name)) t.malformed(`has nodes without the field '${name}'`);
    return nodes.field(name).toNumbers();
  };
  const left = field('left_child');
  const right = field('right_child');
  const feature = field('feature');
  const threshold = field('threshold');
  const missing = nodes.hasField('missing_go_to_left') ? nodes.field('missing_go_to_left').toNumbers() : null;
  if (valuesArr.shape.length !== 3 || valuesArr.shape[0] !== nodeCount)
    t.malformed(`has values of shape [${valuesArr.shape.join(', ')}] for ${nodeCount} nodes`);
  const [, outputs, classesMax] = valuesArr.shape as [number, number, number];
  for (let i = 0; i < nodeCount; i++) {
    if (left[i]! < 0) continue;
    if (!(left[i]! < nodeCount && right[i]! >= 0 && right[i]! < nodeCount)) t.malformed(`has node ${i} pointing outside the tree`);
    if (!(feature[i]! >= 0 && feature[i]! < features)) t.malformed(`has node ${i} splitting on feature ${feature[i]} of ${features}`);
  }
  return {
    tree: { left, right, feature, threshold, missingGoesLeft: missing },
    nodeCount,
    outputs,
    values: valuesArr.toNumbers(),
    classesMax,
  };
}

function checkSingleOutput(est: Est, tree: SklearnTree): void {
  if (tree.outputs !== 1) unsupportedOption(est, `${tree.outputs} outputs`, 'batchcast scores one target per row');
}

/** Per-class leaf probabilities of a classifier tree, normalised as DecisionTreeClassifier.predict_proba does. */
function classProbabilities(tree: SklearnTree, classes: number): (node: number, k: number) => number {
  const cache = new Map<number, number[]>();
  return (node, k) => {
    let p = cache.get(node);
    if (!p) {
      const row = tree.values.slice(node * tree.classesMax, node * tree.classesMax + classes);
      let sum = numpySum(row);
      if (sum === 0) sum = 1;
      p = row.map((v) => v / sum);
      cache.set(node, p);
    }
    return p[k]!;
  };
}

/**
 * Whether scikit-learn predicts rows with NaN rather than refusing them: a decision tree with the best
 * splitter from 1.3 (the version whose nodes carry missing_go_to_left), a random forest from 1.4 (1.3's
 * forests have such trees yet refuse NaN); never extra trees (1.6) nor gradient boosting.
 */
function takesMissingValues(ctx: Ctx, est: Est, first: SklearnTree): boolean {
  const monotonic = est.get('monotonic_cst');
  if (monotonic !== undefined && !isNone(monotonic)) return false;
  if (est.cls === 'DecisionTreeClassifier' || est.cls === 'DecisionTreeRegressor')
    return first.tree.missingGoesLeft !== null && est.str('splitter', 'best') === 'best';
  if (est.cls === 'RandomForestClassifier' || est.cls === 'RandomForestRegressor') return versionAtLeast(ctx.version, 1, 4);
  return false;
}

/** The estimators' trees summed by TreeEnsemble, then divided by their number (a forest's average). */
function treeModel(ctx: Ctx, est: Est, input: Features, trees: Est[], classifier: boolean): Prediction {
  checkWidth(est, input);
  const b = ctx.b;
  const x = roundToFloat32(b, input.matrix(b, est.label));
  const read = trees.map((t) => readTree(t, input.width));
  refuseNonFinite(ctx, x, { nan: !takesMissingValues(ctx, est, read[0]!) });
  const classes = classifier ? classLabels(est) : null;
  const nTargets = classes ? classes.length : 1;
  const targets: TreeTarget[] = [];
  for (const [i, t] of trees.entries()) {
    const tree = read[i]!;
    checkSingleOutput(est, tree);
    if (classes) {
      if (tree.classesMax < classes.length) t.malformed(`has ${tree.classesMax} class values for ${classes.length} classes`);
      const proba = classProbabilities(tree, classes.length);
      // TreeEnsemble leaves add to one target each, so a classifier tree is written once per class.
      for (let k = 0; k < classes.length; k++) targets.push({ tree: tree.tree, target: k, leafValue: (n) => proba(n, k) });
    } else {
      targets.push({ tree: tree.tree, target: 0, leafValue: (n) => tree.values[n * tree.classesMax]! });
    }
  }
  let sum = addTreeEnsemble(b, x, targets, { rule: 'LEQ', nTargets, name: 'trees' });
  if (trees.length > 1) sum = b.op('Div', [sum, doubleConst(b, 'tree_count', [trees.length], [])], {}, { name: 'average' });
  if (classes) return { kind: 'classifier', proba: sum, classes };
  return { kind: 'regressor', value: sum };
}

function forestTrees(est: Est): Est[] {
  const list = est.list('estimators_');
  if (list.length === 0) est.malformed('has no trees');
  return list.map((t, i) => {
    if (!(t instanceof PyObject)) return est.malformed(`has estimators_[${i}] = ${typeName(t)}`);
    return new Est(t, `tree ${i} of ${est.label}`);
  });
}

export const decisionTreeClassifier: PredictorConverter = (ctx, est, input) => treeModel(ctx, est, input, [est], true);
export const decisionTreeRegressor: PredictorConverter = (ctx, est, input) => treeModel(ctx, est, input, [est], false);
export const forestClassifier: PredictorConverter = (ctx, est, input) => treeModel(ctx, est, input, forestTrees(est), true);
export const forestRegressor: PredictorConverter = (ctx, est, input) => treeModel(ctx, est, input, forestTrees(est), false);

/** The trees of a GradientBoosting model: estimators_ is an object array [stages, K]. */
export function stageTrees(est: Est): { stages: number; k: number; at: (stage: number, k: number) => Est } {
  const arr = est.req('estimators_');
  if (!(arr instanceof NdArray) || !Array.isArray(arr.data) || arr.shape.length !== 2)
    return est.malformed('has estimators_ that is not a 2-D array of trees');
  const [rows, k] = arr.shape as [number, number];
  const used = asNumber(est.get('n_estimators_') ?? null);
  const stages = used === null ? rows : Math.min(used, rows);
  const data = arr.data as unknown[];
  return {
    stages,
    k,
    at: (stage, j) => {
      const t = data[stage * k + j];
      if (!(t instanceof PyObject)) return est.malformed(`has estimators_[${stage}, ${j}] that is not a tree`);
      return new Est(t, `stage ${stage} tree ${j} of ${est.label}`);
    },
  };
}
