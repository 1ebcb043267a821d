/**
 * The canonical JSON form of a PyValue, built exactly as fixtures/pickle/make.py builds it from the object Python
 * loads, so a test can compare what readPickle returns with what Python reports, attribute by attribute.
 */
import {
  NdArray,
  type NdData,
  type NpDType,
  PyBytes,
  PyComplex,
  PyDict,
  PyDType,
  PyGlobal,
  PyObject,
  PySet,
  PySlice,
  PyTuple,
  type PyValue,
} from '../src/pickle/index.js';

export type Canon = null | boolean | number | string | Canon[] | { [k: string]: Canon };

function canonNumber(v: number): Canon {
  if (Number.isNaN(v)) return { float: 'nan' };
  if (!Number.isFinite(v)) return { float: v > 0 ? 'inf' : '-inf' };
  return v;
}

function canonInt(v: bigint): Canon {
  return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : { bigint: v.toString() };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function canonDType(d: NpDType): Canon {
  const out: { [k: string]: Canon } = { dtype: d.str };
  if (d.fields) out.fields = d.fields.map((f) => [f.name, canonDType(f.dtype), f.offset]);
  return out;
}

function canonData(d: NdData, dtype: NpDType, depth: number): Canon {
  if (d instanceof Map) {
    const out: { [k: string]: Canon } = {};
    for (const f of dtype.fields ?? []) out[f.name] = canonData(d.get(f.name) as NdData, f.dtype, depth);
    return out;
  }
  if (Array.isArray(d)) return (d as PyValue[]).map((v) => canon(v, depth + 1));
  return Array.from(d as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? canonInt(v) : canonNumber(v)));
}

export function canon(v: PyValue, depth = 0): Canon {
  if (depth > 200) throw new Error('too deep');
  const d = depth + 1;
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return canonNumber(v);
  if (typeof v === 'bigint') return canonInt(v);
  if (Array.isArray(v)) return v.map((x) => canon(x, d));
  if (v instanceof PyTuple) return { tuple: v.items.map((x) => canon(x, d)) };
  if (v instanceof PyDict) {
    return {
      dict: [...v.entries].map(([k, x]) => [typeof k === 'bigint' ? canonInt(k) : typeof k === 'number' ? canonNumber(k) : k, canon(x, d)]),
    };
  }
  if (v instanceof PyBytes) return { bytes: hex(v.bytes) };
  if (v instanceof PySet) {
    const items = v.items.map((x) => canon(x, d)).sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
    return { [v.frozen ? 'frozenset' : 'set']: items };
  }
  if (v instanceof PyComplex) return { complex: [canonNumber(v.re), canonNumber(v.im)] };
  if (v instanceof PySlice) return { slice: [canon(v.start, d), canon(v.stop, d), canon(v.step, d)] };
  if (v instanceof PyGlobal) return { global: v.qualifiedName };
  if (v instanceof NdArray) return { ndarray: canonDType(v.dtype), shape: v.shape, data: canonData(v.data, v.dtype, d) };
  if (v instanceof PyDType) return canonDType(v.dtype);
  const out: { [k: string]: Canon } = { object: v.qualifiedName, args: v.args.map((x) => canon(x, d)), state: canon(v.state, d) };
  if (v.listItems.length > 0) out.list = v.listItems.map((x) => canon(x, d));
  return out;
}

/** Python's json.dumps(sort_keys=True) order is not needed: sets only hold scalars in the fixtures. */
function sortKey(c: Canon): string {
  return JSON.stringify(c);
}

/** Follows a dotted path as make.py's `pick` does: object state attributes, list/tuple/array indices, dict keys. */
export function pick(v: PyValue, path: string): PyValue {
  let cur: PyValue = v;
  for (const part of path.split('.')) {
    if (Array.isArray(cur)) cur = cur[Number(part)] as PyValue;
    else if (cur instanceof PyTuple) cur = cur.items[Number(part)] as PyValue;
    else if (cur instanceof PyDict) cur = cur.get(part) as PyValue;
    else if (cur instanceof NdArray) cur = row(cur, Number(part));
    else if (cur instanceof PyObject) cur = cur.attr(part) as PyValue;
    else throw new Error(`cannot follow ${part} of ${path}`);
    if (cur === undefined) throw new Error(`${path}: no ${part}`);
  }
  return cur;
}

/** Row `i` of an object array: an element for 1-D arrays, a sub-array otherwise. */
function row(a: NdArray, i: number): PyValue {
  if (!Array.isArray(a.data)) throw new Error('only object arrays are indexed in picks');
  const data = a.data as PyValue[];
  if (a.shape.length === 1) return data[i] as PyValue;
  const rowSize = a.shape.slice(1).reduce((x, y) => x * y, 1);
  return new NdArray(a.dtype, a.shape.slice(1), data.slice(i * rowSize, (i + 1) * rowSize));
}
