/**
 * Reading scikit-learn objects out of the pickle value model: attributes by NAME (never by position) with
 * errors that name the estimator and the attribute, and conversions from numpy values (arrays, numpy scalars,
 * object arrays) to plain numbers and strings.
 */
import { ModelImportError } from '../errors.js';
import { NdArray, PyDict, PyObject, PySlice, PyTuple } from '../pickle/values.js';
import type { PyValue } from '../pickle/values.js';

/** Short class name of a value, for messages ("StandardScaler", "str", "list"). */
export function typeName(v: PyValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (v instanceof PyObject) return v.name;
  if (v instanceof NdArray) return `numpy array (${v.dtype.str})`;
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return 'dict';
  if (v instanceof PySlice) return 'slice';
  return typeof v === 'string' ? 'str' : typeof v === 'boolean' ? 'bool' : typeof v === 'object' ? v.constructor.name : typeof v;
}

/** A Python list or tuple as an array; null for anything else. */
export function asList(v: PyValue | undefined): PyValue[] | null {
  if (Array.isArray(v)) return v;
  if (v instanceof PyTuple) return v.items;
  return null;
}

/** A number from a Python int/float/bool or a numpy scalar/size-1 array; null otherwise. */
export function asNumber(v: PyValue | undefined): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof NdArray && v.size === 1 && !(v.data instanceof Map)) {
    const d = v.data[0];
    if (typeof d === 'number' || typeof d === 'bigint' || typeof d === 'boolean') return asNumber(d);
  }
  return null;
}

/** Numbers of a numeric numpy array or a Python list of numbers; null otherwise. */
export function asNumbers(v: PyValue | undefined): number[] | null {
  if (v instanceof NdArray) {
    const d = v.data;
    if (d instanceof Map) return null;
    if (Array.isArray(d)) {
      const out = d.map((x) => asNumber(x as PyValue));
      return out.every((x) => x !== null) ? (out as number[]) : null;
    }
    return Array.from(d as ArrayLike<number | bigint>, (x) => Number(x));
  }
  const list = asList(v);
  if (!list) {
    const n = asNumber(v);
    return n === null ? null : [n];
  }
  const out = list.map((x) => asNumber(x));
  return out.every((x) => x !== null) ? (out as number[]) : null;
}

/** A class label or category as batchcast shows it: integers as numbers, strings as strings. */
export type Label = string | number;

/**
 * Values of a numpy array (numeric, unicode/bytes or object) or list as labels/categories. Object arrays of
 * strings keep None and NaN as null (missing). Returns null when an element is of another kind.
 */
export function asLabels(v: PyValue | undefined): (Label | null)[] | null {
  let items: PyValue[];
  if (v instanceof NdArray) {
    const d = v.data;
    if (d instanceof Map) return null;
    if (v.dtype.kind === 'b') return Array.from(d as ArrayLike<number>, (x) => (x ? 'True' : 'False'));
    items = Array.isArray(d)
      ? (d as PyValue[])
      : Array.from(d as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? Number(x) : x));
  } else {
    const list = asList(v);
    if (!list) return null;
    items = list;
  }
  const out: (Label | null)[] = [];
  for (const x of items) {
    if (x === null) out.push(null);
    else if (typeof x === 'string') out.push(x);
    else if (typeof x === 'boolean') out.push(x ? 'True' : 'False');
    else {
      const n = asNumber(x);
      if (n === null) return null;
      out.push(Number.isNaN(n) ? null : n);
    }
  }
  return out;
}

export function isNone(v: PyValue | undefined): boolean {
  return v === null || v === undefined;
}

/** A scikit-learn estimator (or transformer) read by attribute name, with a path for messages. */
export class Est {
  constructor(
    readonly obj: PyObject,
    /** Where it sits in the model, e.g. "Pipeline step 'clf'", for messages. */
    readonly where: string,
  ) {}

  get cls(): string {
    return this.obj.name;
  }

  get qualifiedName(): string {
    return this.obj.qualifiedName;
  }

  /** "LogisticRegression (Pipeline step 'clf')". */
  get label(): string {
    return this.where ? `${this.cls} (${this.where})` : this.cls;
  }

  get(name: string): PyValue | undefined {
    return this.obj.attr(name);
  }

  has(name: string): boolean {
    return this.obj.attr(name) !== undefined;
  }

  /** The attribute, or an error: a fitted attribute (trailing underscore) missing means the model was not fitted. */
  req(name: string): PyValue {
    const v = this.obj.attr(name);
    if (v !== undefined) return v;
    if (name.endsWith('_') && !name.startsWith('_')) {
      throw new ModelImportError(
        'not_fitted',
        `${this.label} has no ${name}: it was saved before it was fitted. Fit it, then save it again.`,
      );
    }
    return this.malformed(`has no attribute ${name}`);
  }

  malformed(what: string): never {
    throw new ModelImportError(
      'malformed',
      `${this.label} ${what}; the file may come from a scikit-learn version batchcast does not know, or be damaged.`,
    );
  }

  num(name: string): number {
    const n = asNumber(this.req(name));
    if (n === null) this.malformed(`has ${name} = ${typeName(this.get(name))}, not a number`);
    return n;
  }

  optNum(name: string): number | null {
    const v = this.get(name);
    if (isNone(v)) return null;
    return this.num(name);
  }

  int(name: string): number {
    const n = this.num(name);
    if (!Number.isSafeInteger(n)) this.malformed(`has ${name} = ${n}, not an integer`);
    return n;
  }

  bool(name: string, fallback?: boolean): boolean {
    const v = this.get(name);
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v === 'boolean') return v;
    const n = asNumber(this.req(name));
    if (n === null) this.malformed(`has ${name} = ${typeName(v)}, not True/False`);
    return n !== 0;
  }

  str(name: string, fallback?: string): string {
    const v = this.get(name);
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'string') this.malformed(`has ${name} = ${typeName(v)}, not a string`);
    return v;
  }

  /** A string option, or null when it is None/absent or not a string (e.g. an array or a callable). */
  optStr(name: string): string | null {
    const v = this.get(name);
    return typeof v === 'string' ? v : null;
  }

  array(name: string): NdArray {
    const v = this.req(name);
    if (!(v instanceof NdArray)) this.malformed(`has ${name} = ${typeName(v)}, not a numpy array`);
    return v;
  }

  numbers(name: string): number[] {
    const out = asNumbers(this.req(name));
    if (!out) this.malformed(`has ${name} = ${typeName(this.get(name))}, not numbers`);
    return out;
  }

  list(name: string): PyValue[] {
    const v = this.req(name);
    if (v instanceof NdArray && Array.isArray(v.data)) return v.data as PyValue[];
    const out = asList(v);
    if (!out) this.malformed(`has ${name} = ${typeName(v)}, not a list`);
    return out;
  }

  /** Whether fit() has run: scikit-learn's own test (check_is_fitted) is an attribute ending in an underscore. */
  isFitted(): boolean {
    const state = this.obj.state;
    const dicts = state instanceof PyDict ? [state] : state instanceof PyTuple ? state.items.filter((x) => x instanceof PyDict) : [];
    return dicts.some((d) => [...d.entries.keys()].some((k) => typeof k === 'string' && k.endsWith('_') && !k.startsWith('__')));
  }

  /** A nested estimator held in an attribute. */
  child(name: string, where: string): Est {
    const v = this.req(name);
    if (!(v instanceof PyObject)) this.malformed(`has ${name} = ${typeName(v)}, not an estimator`);
    return new Est(v, where);
  }
}

/**
 * Class labels (classes_) of a classifier as scikit-learn's predict() gives them and pandas writes them: integers
 * as numbers (an int64 beyond 2^53, which a double cannot hold, as its exact decimal text, so the labels of such a
 * model are all text), floats as Python's str() of them (`1.0`, `1e+16`: a y given as floats predicts floats),
 * strings and bools (`True`) as text.
 */
export function classLabels(est: Est): Label[] {
  const raw = est.req('classes_');
  // A classifier fitted on a y with several columns (multi-output / multi-label trees and forests) keeps one
  // classes_ array per output, in a list: not damage, a kind of model batchcast does not score.
  const perOutput = asList(raw);
  if (perOutput && perOutput.length > 0 && perOutput.every((c) => c instanceof NdArray || Array.isArray(c))) {
    const n = est.optNum('n_outputs_') ?? perOutput.length;
    throw new ModelImportError(
      'unsupported_option',
      `${est.label} is a multi-output classifier: it was fitted on ${n} target columns at once (y with ${n} columns), and keeps ` +
        `one set of classes per target. Multi-output models are not supported: batchcast scores one target per row. ` +
        'Fit one model per target column and register each.',
    );
  }
  const ls = exactLabels(raw);
  if (!ls) est.malformed('has classes_ that are neither numbers nor strings');
  return ls.every((l) => typeof l === 'number') ? ls : ls.map((l) => String(l));
}

/**
 * Whether a classifier's classes_ are booleans (fitted on a y of True/False: numpy's bool dtype, or Python's bools in
 * an object array or list). classLabels gives them as the text `False`/`True`; the graph's metadata says they are
 * booleans (LABEL_TYPE_KEY), so that the typed results and real-time answers give them back as such.
 */
export function booleanClasses(est: Est): boolean {
  const raw = est.get('classes_');
  if (raw instanceof NdArray) {
    if (raw.dtype.kind === 'b') return true;
    return Array.isArray(raw.data) && raw.data.length > 0 && raw.data.every((x) => typeof x === 'boolean');
  }
  const list = raw === undefined ? null : asList(raw);
  return !!list && list.length > 0 && list.every((x) => typeof x === 'boolean');
}

/**
 * Labels of a classes_ array or list, exactly: asLabels' values, except that integers beyond 2^53 keep their exact
 * decimal text and a float array's values are Python's str() of them. Null when one is missing (None, NaN) or of
 * another kind.
 */
export function exactLabels(raw: PyValue): Label[] | null {
  if (raw instanceof NdArray && !(raw.data instanceof Map) && !Array.isArray(raw.data)) {
    const data = raw.data as ArrayLike<number | bigint>;
    const kind = raw.dtype.kind;
    if (kind === 'f') {
      const out = Array.from(data as ArrayLike<number>, (x) => (Number.isNaN(x) ? null : pyFloatText(x, raw.dtype.itemSize)));
      return out.every((x) => x !== null) ? (out as string[]) : null;
    }
    if (kind === 'i' || kind === 'u') return Array.from(data, exactInt);
  }
  const items = raw instanceof NdArray ? (Array.isArray(raw.data) ? (raw.data as PyValue[]) : null) : asList(raw);
  if (items?.some((x) => typeof x === 'bigint')) {
    const out = items.map((x) => (typeof x === 'bigint' ? exactInt(x) : (asLabels([x])?.[0] ?? null)));
    return out.every((x) => x !== null) ? (out as Label[]) : null;
  }
  const labels = asLabels(raw);
  return labels?.every((l) => l !== null) ? (labels as Label[]) : null;
}

function exactInt(v: number | bigint): Label {
  if (typeof v === 'number') return v;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** A double rounded to the nearest float16 (round half to even), as numpy stores one. */
function roundHalf(x: number): number {
  const a = Math.abs(x);
  if (!Number.isFinite(a) || a >= 65520) return Number.isNaN(x) ? x : Math.sign(x) * Number.POSITIVE_INFINITY;
  const e = Math.max(Math.floor(Math.log2(a || 1)), -14);
  const ulp = 2 ** (e - 10);
  const q = a / ulp;
  let r = Math.round(q);
  if (r - q === 0.5 && r % 2 === 1) r -= 1;
  return Math.sign(x) * r * ulp;
}

/**
 * Python's str() of a float (numpy's, for a float32/float16 scalar): the shortest digits that read back as the
 * same value at that precision, positional from 1e-4 to 1e16 (`1.0`, `65504.0`), else with an exponent of at
 * least two digits (`1e+16`, `1e-05`).
 */
export function pyFloatText(x: number, itemSize = 8): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const a = Math.abs(x);
  if (a === 0) return `${sign}0.0`;
  let text = a.toExponential();
  if (itemSize !== 8) {
    const round = itemSize === 4 ? Math.fround : roundHalf;
    for (let p = 0; p < 17; p++) {
      const t = a.toExponential(p);
      if (round(Number(t)) === a) {
        text = t;
        break;
      }
    }
  }
  const [mantissa, e] = text.split('e') as [string, string];
  const digits = mantissa.replace('.', '').replace(/0+$/, '') || '0';
  const exp = Number(e);
  if (a >= 1e-4 && a < 1e16) {
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
    const whole = digits.padEnd(exp + 1, '0');
    return `${sign}${whole.slice(0, exp + 1)}.${whole.slice(exp + 1) || '0'}`;
  }
  const rest = digits.slice(1);
  return `${sign}${digits[0]}${rest ? `.${rest}` : ''}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}
