/**
 * An XGBoost `save_model` document (JSON or UBJSON, same schema) read into typed, checked data. Fields are
 * read by name and unknown ones ignored, so files from other XGBoost versions with extra fields still read;
 * anything missing or inconsistent is reported with its path in the document.
 */
import { ModelImportError } from '../errors.js';

/** A decoded document: what JSON.parse or the UBJSON decoder returns. */
export type Doc = unknown;

export interface XgbTree {
  left: ArrayLike<number>;
  right: ArrayLike<number>;
  splitIndex: ArrayLike<number>;
  /** Split value of interior nodes; the leaf value of leaves. */
  splitCondition: ArrayLike<number>;
  defaultLeft: ArrayLike<number>;
  /** 0 numerical, 1 categorical (XGBoost 1.6+); null when the file does not say (older files: all numerical). */
  splitType: ArrayLike<number> | null;
  /** Categorical splits: node ids, and per node the categories in `categories` (segment offset and size). */
  categoriesNodes: ArrayLike<number>;
  categoriesSegments: ArrayLike<number>;
  categoriesSizes: ArrayLike<number>;
  categories: ArrayLike<number>;
}

export interface XgbLinear {
  /** (numFeature + 1) x groups, row-major: feature weights, then one bias row. */
  weights: ArrayLike<number>;
}

export interface XgbModel {
  /** XGBoost version that wrote the file, e.g. [1, 7, 4]; null when absent. */
  version: number[] | null;
  objective: string;
  /** base_score as stored (for logistic objectives a probability). */
  baseScore: number;
  numClass: number;
  numFeature: number;
  numTarget: number;
  booster: 'gbtree' | 'dart' | 'gblinear';
  trees: XgbTree[];
  /** Output group (class) of each tree. */
  treeInfo: number[];
  numParallelTree: number;
  /** DART: the weight of each tree's prediction. */
  weightDrop: number[] | null;
  linear: XgbLinear | null;
  /** Trees per boosting round (from iteration_indptr, XGBoost 2.0+), when the file has it. */
  iterationIndptr: number[] | null;
  featureNames: string[] | null;
  featureTypes: string[] | null;
  /** From early stopping; the scikit-learn wrapper predicts with rounds 0..bestIteration. */
  bestIteration: number | null;
  /**
   * The scikit-learn wrapper's `missing` (kept in learner.attributes.scikit_learn): inputs equal to it are missing
   * values, as NaN always is. NaN when the file does not say (a Booster's own save_model, or the default).
   */
  missing: number;
}

/**
 * `missing` from the scikit-learn wrapper's parameters, a JSON text in an attribute (Python's json.dumps, so NaN
 * and Infinity are bare tokens). Only this one field is read: the rest is the wrapper's business.
 */
function wrapperMissing(attributes: Record<string, unknown>): number {
  const text = attributes.scikit_learn;
  if (typeof text !== 'string') return Number.NaN;
  const m = /"missing"\s*:\s*(NaN|-?Infinity|null|-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*[,}]/.exec(text);
  if (!m || m[1] === 'NaN' || m[1] === 'null') return Number.NaN;
  if (m[1] === 'Infinity') return Number.POSITIVE_INFINITY;
  if (m[1] === '-Infinity') return Number.NEGATIVE_INFINITY;
  return Number(m[1]);
}

function malformed(path: string, what: string): never {
  throw new ModelImportError('malformed', `The XGBoost model file is damaged or not an XGBoost model: ${path} ${what}.`);
}

/** Bare NaN / Infinity tokens of XGBoost's JSON, quoted by the JSON reader. */
const NON_FINITE = new Map<unknown, number>([
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (!isObject(v)) malformed(path, v === undefined ? 'is missing' : 'is not an object');
  return v;
}

function numArray(v: unknown, path: string): ArrayLike<number> {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array)) {
    return v as unknown as ArrayLike<number>;
  }
  if (Array.isArray(v) && v.every((x) => typeof x === 'number' || NON_FINITE.has(x))) {
    return v.some((x) => typeof x !== 'number') ? v.map((x) => (typeof x === 'number' ? x : NON_FINITE.get(x)!)) : (v as number[]);
  }
  return malformed(path, v === undefined ? 'is missing' : 'is not a list of numbers');
}

function optNumArray(v: unknown, path: string): ArrayLike<number> | null {
  return v === undefined ? null : numArray(v, path);
}

function stringArray(v: unknown, path: string): string[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) malformed(path, 'is not a list of strings');
  return v.length === 0 ? null : (v as string[]);
}

/** XGBoost writes its parameters as strings ("5E-1", "[5E-1]" in 3.x); numbers are accepted too. */
function numParam(v: unknown, path: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const text = v.trim().replace(/^\[(.*)\]$/, '$1');
    if (text.includes(','))
      malformed(path, `holds several values ("${v.slice(0, 40)}"), one per target; multi-target models are not supported`);
    const n = Number(text);
    if (text !== '' && !Number.isNaN(n)) return n;
  }
  return malformed(path, `is not a number (${JSON.stringify(v)?.slice(0, 40)})`);
}

function intParam(v: unknown, path: string, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  const n = numParam(v, path);
  if (!Number.isSafeInteger(n) || n < 0) malformed(path, `is not a count (${n})`);
  return n;
}

function readTree(v: unknown, path: string): XgbTree {
  const t = obj(v, path);
  const params = obj(t.tree_param, `${path}.tree_param`);
  const nodes = intParam(params.num_nodes, `${path}.tree_param.num_nodes`);
  if (intParam(params.size_leaf_vector, `${path}.tree_param.size_leaf_vector`, 0) > 1) {
    throw new ModelImportError(
      'unsupported_option',
      `The XGBoost model has vector leaves (${path}: multi_strategy='multi_output_tree'); batchcast scores one target per model.`,
    );
  }
  const arr = (key: string): ArrayLike<number> => {
    const a = numArray(t[key], `${path}.${key}`);
    if (a.length !== nodes) malformed(`${path}.${key}`, `has ${a.length} entries for ${nodes} nodes`);
    return a;
  };
  const tree: XgbTree = {
    left: arr('left_children'),
    right: arr('right_children'),
    splitIndex: arr('split_indices'),
    splitCondition: arr('split_conditions'),
    defaultLeft: arr('default_left'),
    splitType: t.split_type === undefined ? null : arr('split_type'),
    categoriesNodes: optNumArray(t.categories_nodes, `${path}.categories_nodes`) ?? [],
    categoriesSegments: optNumArray(t.categories_segments, `${path}.categories_segments`) ?? [],
    categoriesSizes: optNumArray(t.categories_sizes, `${path}.categories_sizes`) ?? [],
    categories: optNumArray(t.categories, `${path}.categories`) ?? [],
  };
  for (let i = 0; i < nodes; i++) {
    const l = tree.left[i]!;
    const r = tree.right[i]!;
    if (l === -1 && r === -1) continue;
    if (!(l > 0 && l < nodes && r > 0 && r < nodes))
      malformed(`${path}.left_children`, `points node ${i} to nodes ${l} and ${r} of ${nodes}`);
  }
  return tree;
}

/** Reads the decoded document of a `save_model` file; throws ModelImportError('malformed') when it is not one. */
export function readXgboostModel(doc: Doc): XgbModel {
  const root = obj(doc, 'the document');
  if (!isObject(root.learner)) {
    throw new ModelImportError(
      'unrecognized_format',
      'This JSON/UBJSON file is not an XGBoost model: it has no "learner" section. Save the model with ' +
        "booster.save_model('model.json') (or model.ubj) and upload that file.",
    );
  }
  const learner = root.learner;
  const version = root.version === undefined ? null : Array.from(numArray(root.version, 'version'));
  const params = obj(learner.learner_model_param, 'learner.learner_model_param');
  const objective = obj(learner.objective, 'learner.objective');
  if (typeof objective.name !== 'string') malformed('learner.objective.name', 'is not a string');

  let gb = obj(learner.gradient_booster, 'learner.gradient_booster');
  const boosterName = gb.name;
  let weightDrop: number[] | null = null;
  if (boosterName === 'dart') {
    weightDrop = Array.from(numArray(gb.weight_drop, 'learner.gradient_booster.weight_drop'));
    gb = obj(gb.gbtree, 'learner.gradient_booster.gbtree');
  } else if (boosterName !== 'gbtree' && boosterName !== 'gblinear') {
    malformed('learner.gradient_booster.name', `is ${JSON.stringify(boosterName)}, not gbtree, dart or gblinear`);
  }
  const model = obj(gb.model, 'learner.gradient_booster.model');

  const attributes = isObject(learner.attributes) ? learner.attributes : {};
  const bestIteration =
    attributes.best_iteration === undefined ? null : intParam(attributes.best_iteration, 'learner.attributes.best_iteration');

  const common = {
    version,
    objective: objective.name as string,
    baseScore: numParam(params.base_score, 'learner.learner_model_param.base_score'),
    numClass: intParam(params.num_class, 'learner.learner_model_param.num_class', 0),
    numFeature: intParam(params.num_feature, 'learner.learner_model_param.num_feature'),
    numTarget: intParam(params.num_target, 'learner.learner_model_param.num_target', 1),
    featureNames: stringArray(learner.feature_names, 'learner.feature_names'),
    featureTypes: stringArray(learner.feature_types, 'learner.feature_types'),
    bestIteration,
    missing: wrapperMissing(attributes),
  };

  if (boosterName === 'gblinear') {
    return {
      ...common,
      booster: 'gblinear',
      trees: [],
      treeInfo: [],
      numParallelTree: 1,
      weightDrop: null,
      linear: { weights: numArray(model.weights, 'learner.gradient_booster.model.weights') },
      iterationIndptr: null,
    };
  }

  if (!Array.isArray(model.trees)) malformed('learner.gradient_booster.model.trees', 'is missing');
  const trees = model.trees.map((t, i) => readTree(t, `learner.gradient_booster.model.trees[${i}]`));
  const treeInfo = Array.from(numArray(model.tree_info, 'learner.gradient_booster.model.tree_info'));
  if (treeInfo.length !== trees.length)
    malformed('learner.gradient_booster.model.tree_info', `has ${treeInfo.length} entries for ${trees.length} trees`);
  if (weightDrop && weightDrop.length !== trees.length)
    malformed('learner.gradient_booster.weight_drop', `has ${weightDrop.length} entries for ${trees.length} trees`);
  const treeParams = isObject(model.gbtree_model_param) ? model.gbtree_model_param : {};
  const indptr =
    model.iteration_indptr === undefined
      ? null
      : Array.from(numArray(model.iteration_indptr, 'learner.gradient_booster.model.iteration_indptr'));
  return {
    ...common,
    booster: boosterName === 'dart' ? 'dart' : 'gbtree',
    trees,
    treeInfo,
    numParallelTree: intParam(treeParams.num_parallel_tree, 'learner.gradient_booster.model.gbtree_model_param.num_parallel_tree', 1) || 1,
    weightDrop,
    linear: null,
    iterationIndptr: indptr,
  };
}
