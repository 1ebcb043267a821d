/**
 * feature_importances_ of decision trees and random / extra forests, which scikit-learn computes when asked (a
 * property, not in the file): each split adds w * impurity - w_left * impurity_left - w_right * impurity_right to
 * its feature, in node order (Tree.compute_feature_importances), divided by the root's weight and by the sum; a
 * forest takes the mean over its trees of more than one node, divided by its sum.
 */
import { PyObject } from '../pickle/values.js';
import { numpySum } from './numpy-sum.js';
import { Est, typeName } from './py.js';

const TREES = new Set(['DecisionTreeClassifier', 'DecisionTreeRegressor', 'ExtraTreeClassifier', 'ExtraTreeRegressor']);
const FORESTS = new Set(['RandomForestClassifier', 'RandomForestRegressor', 'ExtraTreesClassifier', 'ExtraTreesRegressor']);

export function hasTreeImportances(est: Est): boolean {
  return TREES.has(est.cls) || FORESTS.has(est.cls);
}

/** Tree.compute_feature_importances(normalize=True), and the tree's node count. */
function treeImportances(est: Est, features: number): { importances: number[]; nodes: number } {
  const treeObj = est.req('tree_');
  if (!(treeObj instanceof PyObject)) return est.malformed(`has tree_ = ${typeName(treeObj)}`);
  const t = new Est(treeObj, `tree of ${est.label}`);
  const nodes = t.array('nodes');
  const field = (name: string): number[] => {
    if (!nodes.hasField(name)) t.malformed(`has nodes without the field '${name}'`);
    return nodes.field(name).toNumbers();
  };
  const [left, right, feature, impurity, weight] = ['left_child', 'right_child', 'feature', 'impurity', 'weighted_n_node_samples'].map(
    field,
  ) as [number[], number[], number[], number[], number[]];
  const importances = new Array<number>(features).fill(0);
  for (let i = 0; i < nodes.size; i++) {
    const l = left[i]!;
    const r = right[i]!;
    if (l < 0) continue;
    const f = feature[i]!;
    if (!(f >= 0 && f < features) || !(l < nodes.size && r >= 0 && r < nodes.size))
      t.malformed(`has node ${i} outside the tree or its features`);
    importances[f] = importances[f]! + (weight[i]! * impurity[i]! - weight[l]! * impurity[l]! - weight[r]! * impurity[r]!);
  }
  const root = weight[0]!;
  for (let f = 0; f < features; f++) importances[f] = importances[f]! / root;
  const total = numpySum(importances);
  if (total > 0) for (let f = 0; f < features; f++) importances[f] = importances[f]! / total;
  return { importances, nodes: nodes.size };
}

export function featureImportances(est: Est, features: number): number[] {
  if (TREES.has(est.cls)) return treeImportances(est, features).importances;
  const trees = est.list('estimators_').map((m, i) => {
    if (!(m instanceof PyObject)) return est.malformed(`has estimators_ entry ${i} = ${typeName(m)}`);
    return treeImportances(new Est(m, `${est.label} tree ${i}`), features);
  });
  const used = trees.filter((t) => t.nodes > 1);
  if (used.length === 0) return new Array<number>(features).fill(0);
  // np.mean(axis=0): the trees' rows added in order, divided by their count; then divided by the sum.
  const mean = Array.from({ length: features }, (_, f) => used.reduce((s, t) => s + t.importances[f]!, 0) / used.length);
  const total = numpySum(mean);
  return mean.map((v) => v / total);
}
