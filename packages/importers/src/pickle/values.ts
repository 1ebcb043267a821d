/**
 * What the safe pickle reader produces: plain data, never live Python objects. Every class instance in a
 * pickle becomes a PyObject that only records its class name (checked against the allow-list), the
 * arguments it was constructed with and the state it was given; nothing is ever called.
 *
 * Converters (scikit-learn, numpy) read these with the helpers below, by attribute NAME, never by position,
 * so a file written by another library version with extra or reordered fields still reads.
 */

/** A dict key as Python would use it: str, int, float, bool, None (tuples and others are stringified). */
export type PyKey = string | number | bigint | boolean | null;

export type PyValue =
  | null
  | boolean
  | number // int that fits a double exactly, or float
  | bigint // int beyond 2^53
  | string
  | PyBytes
  | PyValue[] // list
  | PyTuple
  | PyDict
  | PySet
  | PyComplex
  | PySlice
  | PyGlobal
  | PyObject
  | NdArray;

/** bytes or bytearray. */
export class PyBytes {
  constructor(
    readonly bytes: Uint8Array,
    readonly mutable = false,
  ) {}
}

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

export class PyDict {
  readonly entries = new Map<PyKey, PyValue>();
  get(key: PyKey): PyValue | undefined {
    return this.entries.get(key);
  }
  has(key: PyKey): boolean {
    return this.entries.has(key);
  }
}

export class PySet {
  constructor(
    readonly items: PyValue[],
    readonly frozen: boolean,
  ) {}
}

export class PyComplex {
  constructor(
    readonly re: number,
    readonly im: number,
  ) {}
}

export class PySlice {
  constructor(
    readonly start: PyValue,
    readonly stop: PyValue,
    readonly step: PyValue,
  ) {}
}

/** A reference to an allow-listed class or function itself (e.g. `numpy.float64` passed as a dtype). */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * An instance of an allow-listed class: `args` from NEWOBJ/NEWOBJ_EX/REDUCE (and `kwargs` from NEWOBJ_EX),
 * `state` from BUILD (for scikit-learn estimators a PyDict of their attributes; null when never built).
 */
export class PyObject {
  state: PyValue = null;
  /** Items appended by APPEND(S)/SETITEM(S) to an object that is not a list or dict (rare; kept, not run). */
  readonly listItems: PyValue[] = [];
  readonly dictItems = new Map<PyKey, PyValue>();
  constructor(
    readonly module: string,
    readonly name: string,
    readonly args: PyValue[] = [],
    readonly kwargs: PyDict | null = null,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
  /** An attribute from the state dict (or from the dict half of a (dict, slots) state), if present. */
  attr(name: string): PyValue | undefined {
    const s = this.state;
    if (s instanceof PyDict) return s.get(name);
    if (s instanceof PyTuple && s.items.length === 2) {
      for (const part of s.items) if (part instanceof PyDict && part.has(name)) return part.get(name);
    }
    return undefined;
  }
  has(name: string): boolean {
    return this.attr(name) !== undefined;
  }
}

/** numpy dtype, as found in the pickle (`numpy.dtype` REDUCE + BUILD state). */
export interface NpDType {
  /** 'f' float, 'i' signed int, 'u' unsigned int, 'b' bool, 'U' unicode, 'S' bytes, 'O' object, 'V' void/structured, 'c' complex. */
  kind: 'f' | 'i' | 'u' | 'b' | 'U' | 'S' | 'O' | 'V' | 'c' | 'M' | 'm';
  /** Bytes per item (for 'U' 4 bytes per character). */
  itemSize: number;
  byteOrder: '<' | '>' | '|';
  /** numpy's own spelling, e.g. '<f8', '|b1', '<U5', 'O'. */
  str: string;
  /** Structured dtypes: the fields in declaration order with their byte offsets; null otherwise. */
  fields: { name: string; dtype: NpDType; offset: number }[] | null;
}

/** Element storage of an NdArray, flat in C order (the reader converts Fortran-ordered data). */
export type NdData =
  | Float64Array
  | Float32Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array // also bool (0/1)
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | string[] // 'U' and 'S' (bytes decoded as latin1)
  | PyValue[] // 'O' object arrays
  | Map<string, NdData>; // structured arrays: one flat column per field

export class NdArray {
  constructor(
    readonly dtype: NpDType,
    readonly shape: number[],
    readonly data: NdData,
  ) {}
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  /** A field of a structured array as an array of the same shape. */
  field(name: string): NdArray {
    if (!(this.data instanceof Map) || !this.dtype.fields) throw new Error(`array of dtype ${this.dtype.str} has no fields`);
    const f = this.dtype.fields.find((x) => x.name === name);
    const col = this.data.get(name);
    if (!f || !col) throw new Error(`structured array has no field "${name}"`);
    return new NdArray(f.dtype, this.shape, col);
  }
  hasField(name: string): boolean {
    return !!this.dtype.fields?.some((f) => f.name === name);
  }
  /** Every element as a JS number (numeric and bool dtypes; int64 beyond 2^53 loses precision). */
  toNumbers(): number[] {
    const d = this.data;
    if (d instanceof Map || Array.isArray(d)) {
      if (Array.isArray(d) && d.every((v) => typeof v === 'number')) return d as number[];
      throw new Error(`array of dtype ${this.dtype.str} is not numeric`);
    }
    return Array.from(d as ArrayLike<number | bigint>, (v) => Number(v));
  }
}

/**
 * A numpy dtype met as a value (SimpleImputer._fit_dtype, a NumpyArrayWrapper's dtype, the dtype of a structured
 * field): a PyObject of class numpy.dtype, with `args`/`state` as pickled and the dtype they describe.
 */
export class PyDType extends PyObject {
  constructor(
    public dtype: NpDType,
    args: PyValue[] = [],
  ) {
    super('numpy', 'dtype', args);
  }
}
