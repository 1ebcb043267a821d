/**
 * A Universal Binary JSON (UBJSON, draft 12) decoder for XGBoost's `save_model('model.ubj')` files. Big-endian
 * numbers; optimized containers (`$type#count`) become typed arrays, which is how XGBoost stores its trees.
 *
 * Untrusted input: every length and count is checked against the bytes that remain before anything is
 * allocated, nesting is bounded, and running out of bytes is reported as truncation (a cut-short upload)
 * rather than as garbage.
 */

export type UbjArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Int32Array | number[];
export type UbjValue = null | boolean | number | string | UbjValue[] | UbjArray | UbjObject;
export interface UbjObject {
  [key: string]: UbjValue;
}

export class UbjsonError extends Error {
  constructor(
    readonly kind: 'truncated' | 'malformed' | 'too_deep',
    readonly offset: number,
    message: string,
  ) {
    super(message);
    this.name = 'UbjsonError';
  }
}

export interface UbjsonOptions {
  /** Deepest nesting of arrays and objects accepted (XGBoost models use about 8). */
  maxDepth?: number;
}

const MARKERS_WITH_SIZE: Record<string, number> = { i: 1, U: 1, I: 2, l: 4, L: 8, d: 4, D: 8, C: 1 };

class Reader {
  pos = 0;
  private readonly view: DataView;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly bytes: Uint8Array,
    private readonly maxDepth: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): void {
    if (this.pos + n > this.bytes.length) {
      throw new UbjsonError(
        'truncated',
        this.pos,
        `the data ends at byte ${this.bytes.length}, inside a value that starts at byte ${this.pos}`,
      );
    }
  }

  private fail(message: string, at = this.pos): never {
    throw new UbjsonError('malformed', at, `${message} at byte ${at}`);
  }

  marker(): string {
    this.need(1);
    return String.fromCharCode(this.bytes[this.pos++]!);
  }

  /** The next marker, skipping no-op markers. */
  valueMarker(): string {
    let m = this.marker();
    while (m === 'N') m = this.marker();
    return m;
  }

  number(m: string): number {
    const size = MARKERS_WITH_SIZE[m];
    if (size === undefined) this.fail(`'${m}' is not a number marker`, this.pos - 1);
    this.need(size);
    const p = this.pos;
    this.pos += size;
    switch (m) {
      case 'i':
        return this.view.getInt8(p);
      case 'U':
      case 'C':
        return this.view.getUint8(p);
      case 'I':
        return this.view.getInt16(p);
      case 'l':
        return this.view.getInt32(p);
      case 'L': {
        const v = this.view.getBigInt64(p);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) this.fail(`int64 ${v} is too large`, p);
        return Number(v);
      }
      case 'd':
        return this.view.getFloat32(p);
      default:
        return this.view.getFloat64(p);
    }
  }

  /** A length or count: an integer marker and a non-negative value no larger than the bytes left. */
  length(what: string, bytesPerItem: number): number {
    const at = this.pos;
    const m = this.marker();
    if (!'iUIlL'.includes(m)) this.fail(`the ${what} has marker '${m}' where an integer was expected`, at);
    const n = this.number(m);
    if (n < 0) this.fail(`negative ${what} ${n}`, at);
    // Even a container of zero-size items (null, true) needs a byte per item in any sane file.
    if (n * Math.max(bytesPerItem, 1) > this.bytes.length - this.pos) {
      throw new UbjsonError(
        'truncated',
        at,
        `a ${what} of ${n} at byte ${at} is longer than the ${this.bytes.length - this.pos} bytes left`,
      );
    }
    return n;
  }

  string(): string {
    const n = this.length('string length', 1);
    const start = this.pos;
    this.pos += n;
    try {
      return this.utf8.decode(this.bytes.subarray(start, start + n));
    } catch {
      return this.fail('a string that is not UTF-8', start);
    }
  }

  value(m: string, depth: number): UbjValue {
    switch (m) {
      case 'Z':
        return null;
      case 'T':
        return true;
      case 'F':
        return false;
      case 'S':
        return this.string();
      case 'H': {
        const text = this.string();
        const v = Number(text.trim());
        if (text.trim() === '' || Number.isNaN(v)) this.fail(`high-precision number "${text.slice(0, 40)}" is not a number`);
        return v;
      }
      case 'C':
        return String.fromCharCode(this.number('C'));
      case '[':
        return this.array(depth + 1);
      case '{':
        return this.object(depth + 1);
      default:
        if (m in MARKERS_WITH_SIZE) return this.number(m);
        return this.fail(
          `unknown marker '${m.charCodeAt(0) < 32 || m.charCodeAt(0) > 126 ? `0x${m.charCodeAt(0).toString(16)}` : m}'`,
          this.pos - 1,
        );
    }
  }

  /** `$type` and `#count` of an optimized container, if present. */
  private header(): { type: string | null; count: number | null } {
    let type: string | null = null;
    let count: number | null = null;
    this.need(1);
    if (this.bytes[this.pos] === 0x24 /* $ */) {
      this.pos++;
      type = this.marker();
      this.need(1);
      if (this.bytes[this.pos] !== 0x23 /* # */) this.fail('a typed container without a count');
    }
    this.need(1);
    if (this.bytes[this.pos] === 0x23 /* # */) {
      this.pos++;
      count = this.length('container count', type ? (MARKERS_WITH_SIZE[type] ?? 1) : 1);
    }
    return { type, count };
  }

  private checkDepth(depth: number): void {
    if (depth > this.maxDepth)
      throw new UbjsonError('too_deep', this.pos, `containers are nested more than ${this.maxDepth} deep at byte ${this.pos}`);
  }

  array(depth: number): UbjValue[] | UbjArray {
    this.checkDepth(depth);
    const { type, count } = this.header();
    if (type !== null && count !== null && type in MARKERS_WITH_SIZE && type !== 'C') return this.typedArray(type, count);
    const out: UbjValue[] = [];
    if (count !== null) {
      for (let i = 0; i < count; i++) out.push(this.value(type ?? this.valueMarker(), depth));
      return out;
    }
    for (;;) {
      const m = this.valueMarker();
      if (m === ']') return out;
      out.push(this.value(m, depth));
    }
  }

  private typedArray(type: string, count: number): UbjArray {
    const size = MARKERS_WITH_SIZE[type]!;
    const p = this.pos;
    this.pos += count * size;
    const v = this.view;
    switch (type) {
      case 'U':
        return this.bytes.slice(p, p + count);
      case 'i':
        return Int8Array.from({ length: count }, (_, k) => v.getInt8(p + k));
      case 'I':
        return Int16Array.from({ length: count }, (_, k) => v.getInt16(p + k * 2));
      case 'l':
        return Int32Array.from({ length: count }, (_, k) => v.getInt32(p + k * 4));
      case 'L': {
        const out = new Array<number>(count);
        for (let k = 0; k < count; k++) {
          const x = v.getBigInt64(p + k * 8);
          if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < BigInt(Number.MIN_SAFE_INTEGER)) this.fail(`int64 ${x} is too large`, p + k * 8);
          out[k] = Number(x);
        }
        return out;
      }
      case 'd':
        return Float32Array.from({ length: count }, (_, k) => v.getFloat32(p + k * 4));
      default:
        return Float64Array.from({ length: count }, (_, k) => v.getFloat64(p + k * 8));
    }
  }

  object(depth: number): UbjObject {
    this.checkDepth(depth);
    const { type, count } = this.header();
    // No prototype: a key called "__proto__" is just a key.
    const out = Object.create(null) as UbjObject;
    const entry = () => {
      const key = this.string();
      out[key] = this.value(type ?? this.valueMarker(), depth);
    };
    if (count !== null) {
      for (let i = 0; i < count; i++) entry();
      return out;
    }
    for (;;) {
      this.need(1);
      if (this.bytes[this.pos] === 0x7d /* } */) {
        this.pos++;
        return out;
      }
      if (this.bytes[this.pos] === 0x4e /* N */) {
        this.pos++;
        continue;
      }
      entry();
    }
  }
}

/** Decodes one UBJSON value that fills the whole buffer. */
export function decodeUbjson(bytes: Uint8Array, opts: UbjsonOptions = {}): UbjValue {
  const r = new Reader(bytes, opts.maxDepth ?? 64);
  const value = r.value(r.valueMarker(), 0);
  while (r.pos < bytes.length && bytes[r.pos] === 0x4e) r.pos++;
  if (r.pos !== bytes.length)
    throw new UbjsonError('malformed', r.pos, `${bytes.length - r.pos} bytes of something else follow the data at byte ${r.pos}`);
  return value;
}
