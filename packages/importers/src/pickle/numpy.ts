/**
 * numpy as it is pickled, decoded without numpy: dtypes (numpy.dtype REDUCE + BUILD state), arrays
 * (_reconstruct + BUILD state, protocol 5's _frombuffer, joblib's inline bytes) and scalars (multiarray.scalar).
 * Arrays come out flat in C order whatever their byte order or memory order in the file.
 */
import { PickleError } from './errors.js';
import { describe } from './py-repr.js';
import type { Budget } from './limits.js';
import { type NdData, NdArray, type NpDType, PyBytes, PyComplex, PyDict, PyDType, PyTuple, type PyValue } from './values.js';

/** What decoding needs from the reader: the budget to charge and where in the file we are, for messages. */
export interface NumpyContext {
  budget: Budget;
  offset: number;
}

/** Structured dtypes nest (a field that is itself structured): deeper than this is not a real file. */
const MAX_DTYPE_NESTING = 32;

const corrupt = (ctx: NumpyContext, message: string) =>
  new PickleError('corrupt', `The pickle's numpy data is inconsistent at byte ${ctx.offset}: ${message}.`, ctx.offset);

const unsupportedDType = (ctx: NumpyContext, what: string) =>
  new PickleError(
    'unsupported_dtype',
    `The file contains a numpy array of ${what}, which batchcast does not read. Export the model to ONNX (skl2onnx) and upload the .onnx file.`,
    ctx.offset,
  );

type Kind = NpDType['kind'];
const KINDS = new Set<string>(['f', 'i', 'u', 'b', 'U', 'S', 'O', 'V', 'c', 'M', 'm']);

// ---------------------------------------------------------------------------------------------------------------
// dtypes

/** numpy's own spelling of a dtype (dtype.str). */
function dtypeStr(kind: Kind, itemSize: number, byteOrder: NpDType['byteOrder'], unit: string): string {
  switch (kind) {
    case 'O':
      return '|O';
    case 'V':
      return `|V${itemSize}`;
    case 'S':
      return `|S${itemSize}`;
    case 'b':
      return '|b1';
    case 'U':
      return `${byteOrder}U${itemSize / 4}`;
    case 'M':
    case 'm':
      return `${byteOrder}${kind}8${unit}`;
    default:
      return `${itemSize === 1 ? '|' : byteOrder}${kind}${itemSize}`;
  }
}

function makeDType(kind: Kind, itemSize: number, order: string, fields: NpDType['fields'], unit = ''): NpDType {
  const byteOrder: NpDType['byteOrder'] =
    kind === 'O' || kind === 'V' || kind === 'S' || kind === 'b' || itemSize === 1 || fields ? '|' : order === '>' ? '>' : '<';
  return { kind, itemSize, byteOrder, str: dtypeStr(kind, itemSize, byteOrder, unit), fields };
}

/** Item sizes numpy uses for each kind this reader decodes; anything else is refused before it is used. */
function checkItemSize(kind: Kind, itemSize: number, ctx: NumpyContext): void {
  const ok =
    kind === 'f'
      ? [2, 4, 8].includes(itemSize)
      : kind === 'i' || kind === 'u'
        ? [1, 2, 4, 8].includes(itemSize)
        : kind === 'c'
          ? [8, 16].includes(itemSize)
          : kind === 'b'
            ? itemSize === 1
            : kind === 'M' || kind === 'm' || kind === 'O'
              ? itemSize === 8
              : kind === 'U'
                ? itemSize % 4 === 0
                : true;
  if (!ok) {
    if (kind === 'f' || kind === 'c') throw unsupportedDType(ctx, `${kind === 'f' ? 'floats' : 'complex numbers'} of ${itemSize} bytes`);
    throw corrupt(ctx, `a dtype of kind "${kind}" has items of ${itemSize} bytes`);
  }
}

/** The dtype `numpy.dtype(obj, align, copy)` makes before its BUILD state arrives (native byte order). */
export function dtypeFromReduce(args: PyValue[], ctx: NumpyContext): PyDType {
  const spec = args[0];
  if (typeof spec !== 'string') throw corrupt(ctx, 'numpy.dtype() is called with something other than a type string');
  const m = /^([a-zA-Z?])(\d{0,10})$/.exec(spec);
  const letter = m?.[1] === '?' ? 'b' : m?.[1];
  if (!m || !letter || !KINDS.has(letter)) throw unsupportedDType(ctx, `dtype "${spec}"`);
  const kind = letter as Kind;
  const digits = m[2] ? Number(m[2]) : 0;
  const itemSize = kind === 'U' ? digits * 4 : kind === 'O' || ((kind === 'M' || kind === 'm') && !m[2]) ? 8 : kind === 'b' ? 1 : digits;
  checkItemSize(kind, itemSize, ctx);
  return new PyDType(makeDType(kind, itemSize, '<', null), args);
}

function isNonNegativeInt(v: PyValue | undefined): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function asText(v: PyValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof PyBytes) return String.fromCharCode(...v.bytes.subarray(0, 64));
  return undefined;
}

/** `[5s]`-style unit suffix of a datetime dtype from its metadata ({}, (unit, num, den, events)). */
function datetimeUnit(metadata: PyValue | undefined): string {
  if (!(metadata instanceof PyTuple)) return '';
  const info = metadata.items[1];
  if (!(info instanceof PyTuple)) return '';
  const unit = asText(info.items[0]);
  const num = info.items[1];
  if (!unit || unit === 'generic') return '';
  return `[${typeof num === 'number' && num > 1 ? num : ''}${unit}]`;
}

function dtypeDepth(d: NpDType): number {
  let depth = 1;
  for (const f of d.fields ?? []) depth = Math.max(depth, 1 + dtypeDepth(f.dtype));
  return depth;
}

/**
 * numpy.dtype's BUILD: (version, endian, subarray, names, fields, elsize, alignment, flags[, metadata]) in versions
 * 3 and 4 (1 and 2, from old numpy, have the same first seven items).
 */
export function applyDTypeState(target: PyDType, state: PyValue, ctx: NumpyContext): void {
  if (!(state instanceof PyTuple) || state.items.length < 7 || typeof state.items[0] !== 'number') {
    throw corrupt(ctx, 'a numpy dtype has a state that is not a dtype state tuple');
  }
  const [version, endian, subarray, names, fields, elsize] = state.items;
  const base = target.dtype;
  if (subarray !== null) throw unsupportedDType(ctx, 'a dtype with sub-array fields');
  const order = typeof endian === 'string' ? endian : '<';
  if (!['<', '>', '|', '='].includes(order)) throw corrupt(ctx, `a numpy dtype has byte order ${JSON.stringify(order)}`);
  let itemSize = base.itemSize;
  if (typeof elsize === 'number' && elsize >= 0) {
    if (!Number.isSafeInteger(elsize)) throw corrupt(ctx, 'a numpy dtype has an impossible item size');
    itemSize = elsize;
  }
  let parsedFields: NpDType['fields'] = null;
  if (names !== null && names !== undefined) {
    if (!(names instanceof PyTuple) || !(fields instanceof PyDict)) throw corrupt(ctx, 'a structured dtype without names and fields');
    parsedFields = [];
    for (const name of names.items) {
      if (typeof name !== 'string') throw corrupt(ctx, 'a structured dtype has a field name that is not a string');
      const spec = fields.get(name);
      if (!(spec instanceof PyTuple) || spec.items.length < 2)
        throw corrupt(ctx, `field "${name}" of a structured dtype has no (dtype, offset)`);
      const [fieldType, offset] = spec.items;
      if (!(fieldType instanceof PyDType) || !isNonNegativeInt(offset))
        throw corrupt(ctx, `field "${name}" of a structured dtype is malformed`);
      if (offset + fieldType.dtype.itemSize > itemSize) throw corrupt(ctx, `field "${name}" lies beyond its structured dtype's item size`);
      parsedFields.push({ name, dtype: fieldType.dtype, offset });
    }
  }
  const unit = (base.kind === 'M' || base.kind === 'm') && version === 4 ? datetimeUnit(state.items[8]) : '';
  const kind = parsedFields ? 'V' : base.kind;
  checkItemSize(kind, itemSize, ctx);
  const dtype = makeDType(kind, itemSize, order, parsedFields, unit);
  if (dtypeDepth(dtype) > MAX_DTYPE_NESTING) throw unsupportedDType(ctx, `structured dtypes nested more than ${MAX_DTYPE_NESTING} deep`);
  target.dtype = dtype;
  target.state = state;
}

/** A non-structured dtype in little-endian (native) byte order. */
function littleEndian(x: NpDType): NpDType {
  return x.byteOrder === '>' ? { ...x, byteOrder: '<', str: `<${x.str.slice(1)}` } : x;
}

/**
 * The same dtype in little-endian (native) byte order: joblib.load swaps arrays whose dtype is big-endian, or
 * structured with only big-endian fields, to native order (numpy_pickle_utils._ensure_native_byte_order).
 */
export function joblibNativeOrder(d: NpDType): NpDType {
  const swapAll = (x: NpDType): NpDType =>
    x.fields ? { ...x, fields: x.fields.map((f) => ({ ...f, dtype: swapAll(f.dtype) })) } : littleEndian(x);
  if (d.byteOrder === '>') return swapAll(d);
  if (d.fields && d.fields.length > 0 && d.fields.every((f) => f.dtype.byteOrder === '>')) return swapAll(d);
  return d;
}

/** Does the array hold Python objects (an 'O' dtype, or a structured one with an 'O' field)? */
export function hasObject(d: NpDType): boolean {
  return d.kind === 'O' || !!d.fields?.some((f) => hasObject(f.dtype));
}

// ---------------------------------------------------------------------------------------------------------------
// array data

/** The number of elements of a shape, refusing what no file can hold before anything is allocated. */
export function shapeSize(shape: PyValue, ctx: NumpyContext): { dims: number[]; size: number } {
  if (!(shape instanceof PyTuple)) {
    if (isNonNegativeInt(shape)) return { dims: [shape], size: shape };
    throw corrupt(ctx, 'an array shape is not a tuple of integers');
  }
  const dims: number[] = [];
  let size = 1;
  for (const d of shape.items) {
    if (!isNonNegativeInt(d)) throw corrupt(ctx, 'an array shape has a dimension that is not a non-negative integer');
    dims.push(d);
    size *= d;
  }
  if (dims.includes(0)) size = 0;
  if (!Number.isSafeInteger(size)) {
    throw new PickleError(
      'corrupt',
      `The pickle declares a numpy array of shape (${dims.join(', ')}), more elements than any file can hold (at byte ${ctx.offset}).`,
      ctx.offset,
    );
  }
  return { dims, size };
}

/** Bytes of `size` items of `dtype`, refused when it cannot be exact. */
export function dataLength(dtype: NpDType, size: number, ctx: NumpyContext): number {
  const n = size * dtype.itemSize;
  if (!Number.isSafeInteger(n)) throw corrupt(ctx, `an array declares ${size} items of ${dtype.itemSize} bytes`);
  return n;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

const latin1 = new TextDecoder('latin1');

function decodeUnicode(view: DataView, at: number, size: number, little: boolean, ctx: NumpyContext): string {
  let end = size / 4;
  while (end > 0 && view.getUint32(at + (end - 1) * 4, little) === 0) end--;
  let out = '';
  for (let i = 0; i < end; i++) {
    const cp = view.getUint32(at + i * 4, little);
    if (cp > 0x10ffff) throw corrupt(ctx, `a unicode array holds the invalid code point ${cp}`);
    out += String.fromCodePoint(cp);
  }
  return out;
}

function decodeBytesItem(bytes: Uint8Array, at: number, size: number): string {
  let end = size;
  while (end > 0 && bytes[at + end - 1] === 0) end--;
  return latin1.decode(bytes.subarray(at, at + end));
}

type TypedCtor =
  | Float64ArrayConstructor
  | Float32ArrayConstructor
  | Int8ArrayConstructor
  | Int16ArrayConstructor
  | Int32ArrayConstructor
  | BigInt64ArrayConstructor
  | Uint8ArrayConstructor
  | Uint16ArrayConstructor
  | Uint32ArrayConstructor
  | BigUint64ArrayConstructor;

function typedCtor(d: NpDType): TypedCtor | undefined {
  const k = d.kind;
  const s = d.itemSize;
  if (k === 'f') return s === 8 ? Float64Array : s === 4 ? Float32Array : undefined;
  if (k === 'i') return s === 1 ? Int8Array : s === 2 ? Int16Array : s === 4 ? Int32Array : s === 8 ? BigInt64Array : undefined;
  if (k === 'u') return s === 1 ? Uint8Array : s === 2 ? Uint16Array : s === 4 ? Uint32Array : s === 8 ? BigUint64Array : undefined;
  if (k === 'M' || k === 'm') return BigInt64Array;
  return undefined;
}

function words(word: number, buffer: ArrayBufferLike, length: number): Uint8Array | Uint16Array | Uint32Array {
  return word === 4
    ? new Uint32Array(buffer, 0, length)
    : word === 2
      ? new Uint16Array(buffer, 0, length)
      : new Uint8Array(buffer, 0, length);
}

/** Copies `count` items of `size` bytes found every `stride` bytes from `offset` into `target`, contiguous. */
function copyStrided(bytes: Uint8Array, offset: number, stride: number, size: number, count: number, target: ArrayBufferLike): void {
  const at = bytes.byteOffset + offset;
  const word = (at | stride | size) % 4 === 0 ? 4 : (at | stride | size) % 2 === 0 ? 2 : 1;
  // A view of the whole underlying buffer, so word indices are absolute; only [at, at + count * stride) is read.
  const src = words(word, bytes.buffer, Math.floor(bytes.buffer.byteLength / word));
  const dst = words(word, target, Math.floor(target.byteLength / word));
  const first = at / word;
  const step = stride / word;
  const n = size / word;
  for (let i = 0; i < count; i++) {
    const from = first + i * step;
    for (let k = 0; k < n; k++) dst[i * n + k] = src[from + k]!;
  }
}

/**
 * `count` items of `d` found every `stride` bytes from `offset` (one field of a structured array, or a plain array
 * with stride = item size).
 */
function decodeStrided(d: NpDType, bytes: Uint8Array, offset: number, stride: number, count: number, ctx: NumpyContext): NdData {
  if (d.fields) {
    const columns = new Map<string, NdData>();
    for (const f of d.fields) columns.set(f.name, decodeStrided(f.dtype, bytes, offset + f.offset, stride, count, ctx));
    return columns;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = d.byteOrder !== '>';
  const size = d.itemSize;
  const Ctor = typedCtor(d);
  if (Ctor) {
    if (stride === size && little) {
      // The common case (native byte order, contiguous): one copy into an aligned buffer of its own. Not
      // bytes.slice(): on a Node Buffer that is a view, whose .buffer is the whole file (or Buffer's shared pool).
      return new Ctor(new Uint8Array(bytes.subarray(offset, offset + count * size)).buffer);
    }
    // Strided (a field of a structured array) or big-endian: copy item by item, by 4- or 2-byte words when the
    // layout allows (tree node arrays: 8-byte fields every 64 bytes), reversing bytes when big-endian.
    const out = new Ctor(count);
    if (little) copyStrided(bytes, offset, stride, size, count, out.buffer);
    else {
      const outBytes = new Uint8Array(out.buffer);
      for (let i = 0; i < count; i++) {
        const from = offset + i * stride;
        for (let k = 0; k < size; k++) outBytes[i * size + k] = bytes[from + size - 1 - k]!;
      }
    }
    return out;
  }
  switch (d.kind) {
    case 'f': {
      // float16: no Float16Array in Node 20; every half is exact as a float32.
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(offset + i * stride, little));
      return out;
    }
    case 'b': {
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) out[i] = bytes[offset + i * stride] ? 1 : 0;
      return out;
    }
    case 'U': {
      const out: string[] = new Array(count);
      for (let i = 0; i < count; i++) out[i] = decodeUnicode(view, offset + i * stride, size, little, ctx);
      return out;
    }
    case 'S': {
      const out: string[] = new Array(count);
      for (let i = 0; i < count; i++) out[i] = decodeBytesItem(bytes, offset + i * stride, size);
      return out;
    }
    case 'c': {
      const out: PyValue[] = new Array(count);
      const half = size / 2;
      for (let i = 0; i < count; i++) {
        const at = offset + i * stride;
        out[i] =
          half === 8
            ? new PyComplex(view.getFloat64(at, little), view.getFloat64(at + 8, little))
            : new PyComplex(view.getFloat32(at, little), view.getFloat32(at + 4, little));
      }
      return out;
    }
    case 'V': {
      const out: PyValue[] = new Array(count);
      for (let i = 0; i < count; i++) out[i] = new PyBytes(bytes.slice(offset + i * stride, offset + i * stride + size));
      return out;
    }
    default:
      throw unsupportedDType(ctx, `dtype ${d.str} given as raw bytes`);
  }
}

/** Reorders data stored in Fortran (column-major) order into C (row-major) order. */
function fortranToC(data: NdData, dims: number[]): NdData {
  if (dims.length < 2) return data;
  if (data instanceof Map) {
    const out = new Map<string, NdData>();
    for (const [k, v] of data) out.set(k, fortranToC(v, dims));
    return out;
  }
  const size = data.length;
  if (size === 0) return data;
  const fStrides: number[] = [];
  let s = 1;
  for (const d of dims) {
    fStrides.push(s);
    s *= d;
  }
  type Slots = { [i: number]: unknown; length: number };
  const src = data as unknown as Slots;
  const out = (Array.isArray(data) ? new Array(size) : data.slice()) as unknown as Slots;
  const idx = new Array<number>(dims.length).fill(0);
  let f = 0;
  for (let c = 0; c < size; c++) {
    out[c] = src[f];
    // Odometer over the C index, last axis fastest, keeping the Fortran offset in step.
    for (let axis = dims.length - 1; axis >= 0; axis--) {
      idx[axis]!++;
      f += fStrides[axis]!;
      if (idx[axis]! < dims[axis]!) break;
      f -= fStrides[axis]! * dims[axis]!;
      idx[axis] = 0;
    }
  }
  return out as unknown as NdData;
}

function jsValuesPerItem(d: NpDType): number {
  if (d.fields) return d.fields.reduce((n, f) => n + jsValuesPerItem(f.dtype), 0);
  return ['U', 'S', 'c', 'V'].includes(d.kind) ? 1 : 0;
}

/** Decodes `size` items of raw array bytes laid out in C or Fortran order. */
export function decodeArrayBytes(
  dtype: NpDType,
  dims: number[],
  size: number,
  raw: Uint8Array,
  fortran: boolean,
  ctx: NumpyContext,
): NdData {
  const expected = dataLength(dtype, size, ctx);
  if (raw.length !== expected) {
    throw corrupt(
      ctx,
      `an array of shape (${dims.join(', ')}) and dtype ${dtype.str} needs ${expected} bytes of data but has ${raw.length}`,
    );
  }
  ctx.budget.arrayBytesUsed(expected, ctx.offset);
  // Strings, complex and void items become one JS value each: count them like other objects.
  const valuesPerItem = jsValuesPerItem(dtype);
  if (valuesPerItem > 0) ctx.budget.objectsUsed(size * valuesPerItem, ctx.offset);
  const flat = decodeStrided(dtype, raw, 0, dtype.itemSize, size, ctx);
  return fortran ? fortranToC(flat, dims) : flat;
}

/**
 * Object arrays arrive as a Python list of their items in C order even when the array is Fortran-ordered in memory
 * (numpy's _getlist_pkl / _setlist_pkl walk the array with a C-order iterator).
 */
export function objectArrayData(items: PyValue[], dims: number[], size: number, ctx: NumpyContext): NdData {
  if (items.length !== size) {
    throw corrupt(ctx, `an object array of shape (${dims.join(', ')}) has ${items.length} items instead of ${size}`);
  }
  ctx.budget.objectsUsed(size, ctx.offset);
  return items.slice();
}

function rawBytes(v: PyValue | undefined): Uint8Array | undefined {
  if (v instanceof PyBytes) return v.bytes;
  // Pickles written by Python 2 carry array data as str, which Python 3 reads as latin1 text.
  if (typeof v === 'string') {
    const out = new Uint8Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c > 0xff) return undefined;
      out[i] = c;
    }
    return out;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// the three ways arrays and scalars are pickled

const placeholders = new WeakSet<NdArray>();

/** `_reconstruct(ndarray, (0,), b'b')`: an empty int8 array, filled in place by the BUILD that follows. */
export function reconstructPlaceholder(): NdArray {
  const arr = new NdArray(makeDType('i', 1, '|', null), [0], new Int8Array(0));
  placeholders.add(arr);
  return arr;
}

export function isPlaceholder(v: PyValue): v is NdArray {
  return v instanceof NdArray && placeholders.has(v);
}

type MutableArray = { -readonly [K in 'dtype' | 'shape' | 'data']: NdArray[K] };

/** Fills an array in place: references to it (memo, containers) see the filled array, as in Python. */
function fill(target: NdArray, dtype: NpDType, shape: number[], data: NdData): void {
  const t = target as unknown as MutableArray;
  t.dtype = dtype;
  t.shape = shape;
  t.data = data;
}

/** ndarray.__setstate__: (version, shape, dtype, is_fortran, rawdata), or without version from old numpy. */
export function applyArrayState(target: NdArray, state: PyValue, ctx: NumpyContext): void {
  if (!(state instanceof PyTuple) || (state.items.length !== 5 && state.items.length !== 4)) {
    throw corrupt(ctx, 'an ndarray has a state that is not (version, shape, dtype, is_fortran, data)');
  }
  const [shape, dtype, isFortran, raw] = state.items.length === 5 ? state.items.slice(1) : state.items;
  if (!(dtype instanceof PyDType)) throw corrupt(ctx, 'an ndarray state has no dtype');
  const fortran = isFortran === true || isFortran === 1;
  const { dims, size } = shapeSize(shape ?? null, ctx);
  let data: NdData;
  if (hasObject(dtype.dtype)) {
    if (dtype.dtype.fields) throw unsupportedDType(ctx, 'a structured dtype with object fields');
    if (!Array.isArray(raw)) throw corrupt(ctx, 'an object array state does not hold a list of items');
    data = objectArrayData(raw, dims, size, ctx);
  } else {
    const bytes = rawBytes(raw);
    if (!bytes) throw corrupt(ctx, 'an ndarray state does not hold its data as bytes');
    data = decodeArrayBytes(dtype.dtype, dims, size, bytes, fortran, ctx);
  }
  // ndarray.__setstate__ byte-swaps a non-native (non-structured) array to native order: so do we, for the dtype.
  fill(target, littleEndian(dtype.dtype), dims, data);
  placeholders.delete(target);
}

/** `_frombuffer(buffer, dtype, shape, order)`: protocol 5's pickling of contiguous arrays. */
export function frombuffer(args: PyValue[], ctx: NumpyContext): NdArray {
  const [buffer, dtype, shape, order] = args;
  if (!(dtype instanceof PyDType)) throw corrupt(ctx, '_frombuffer is called without a dtype');
  if (hasObject(dtype.dtype)) throw corrupt(ctx, '_frombuffer is called for an object array');
  const bytes = rawBytes(buffer);
  if (!bytes) throw corrupt(ctx, '_frombuffer is called without a bytes buffer');
  if (order !== 'C' && order !== 'F') throw corrupt(ctx, `_frombuffer is called with order ${describe(order)}`);
  const { dims, size } = shapeSize(shape ?? null, ctx);
  return new NdArray(dtype.dtype, dims, decodeArrayBytes(dtype.dtype, dims, size, bytes, order === 'F', ctx));
}

/** An int as values.ts wants it: a number when exact, a bigint beyond 2^53. */
export function normalizeInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** `scalar(dtype, raw)`: a numpy scalar, returned as the plain value it holds. */
export function scalar(args: PyValue[], ctx: NumpyContext): PyValue {
  const [dtype, raw] = args;
  if (!(dtype instanceof PyDType)) throw corrupt(ctx, 'a numpy scalar has no dtype');
  const d = dtype.dtype;
  if (d.kind === 'O') return raw ?? null;
  const bytes = rawBytes(raw);
  if (!bytes || bytes.length !== d.itemSize) throw corrupt(ctx, `a numpy scalar of dtype ${d.str} does not hold ${d.itemSize} bytes`);
  const data = decodeStrided(d, bytes, 0, d.itemSize, 1, ctx);
  if (data instanceof Map) return new NdArray(d, [], data);
  const v = data[0];
  if (typeof v === 'bigint') return normalizeInt(v);
  if (d.kind === 'b') return v === 1;
  if (d.kind === 'S') return new PyBytes(bytes.slice(0, (v as string).length));
  return v ?? null;
}
