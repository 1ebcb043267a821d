import { PickleError } from './errors.js';
import { NdArray, PyBytes, PyComplex, PyDict, PyGlobal, PyObject, type PyKey, PySet, PySlice, PyTuple, type PyValue } from './values.js';

/** Keys nested deeper than this (a tuple of tuples of ...) are not written by any estimator. */
const MAX_KEY_DEPTH = 20;

/**
 * A dict key as values.ts stores it: str, int, float, bool and None as themselves, anything else (tuples, bytes,
 * frozensets) as a Python-like repr, so converters can still look keys up by what Python would print.
 */
export function keyOf(v: PyValue, offset: number): PyKey {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return v;
  return pyRepr(v, 0, offset);
}

/** A short Python-like rendering of a value for error messages. */
export function describe(v: PyValue | undefined): string {
  if (v === undefined) return 'nothing';
  let text: string;
  try {
    text = pyRepr(v, 0, 0);
  } catch {
    text = '<deeply nested value>';
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function str(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function pyRepr(v: PyValue, depth: number, offset: number): string {
  if (depth > MAX_KEY_DEPTH) {
    throw new PickleError(
      'limit_exceeded',
      `The pickle has a dict key nested more than ${MAX_KEY_DEPTH} deep (at byte ${offset}).`,
      offset,
    );
  }
  const inner = (x: PyValue) => pyRepr(x, depth + 1, offset);
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return str(v);
  if (v instanceof PyTuple) return v.items.length === 1 ? `(${inner(v.items[0] ?? null)},)` : `(${v.items.map(inner).join(', ')})`;
  if (v instanceof PyBytes) return `b${str(Array.from(v.bytes, (b) => String.fromCharCode(b)).join(''))}`;
  if (v instanceof PySet) return `${v.frozen ? 'frozenset' : 'set'}({${v.items.map(inner).join(', ')}})`;
  if (v instanceof PyComplex) return `(${v.re}+${v.im}j)`;
  if (v instanceof PyGlobal) return `<${v.qualifiedName}>`;
  if (v instanceof PyObject) return `<${v.qualifiedName} object>`;
  if (v instanceof PySlice) return `slice(${inner(v.start)}, ${inner(v.stop)}, ${inner(v.step)})`;
  if (v instanceof NdArray) return `<ndarray ${v.dtype.str}>`;
  if (v instanceof PyDict) return '<dict>';
  return '<list>';
}
