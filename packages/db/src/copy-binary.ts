/**
 * Writer for PostgreSQL's binary COPY format (https://www.postgresql.org/docs/current/sql-copy.html,
 * "Binary Format"), for the few column types prediction batches use. Binary COPY spares both sides the
 * cost of printing and parsing a few million floats as text.
 */
const OID = { int4: 23, text: 25, float4: 700, float8: 701 } as const;

export const COPY_SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
export const COPY_TRAILER = Buffer.from([0xff, 0xff]);

/** Accumulates one or more tuples into a buffer that grows as needed. */
export class BinaryTupleWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initial = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  tuple(fields: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(fields, this.pos);
    this.pos += 2;
    return this;
  }

  null(): this {
    this.ensure(4);
    this.buf.writeInt32BE(-1, this.pos);
    this.pos += 4;
    return this;
  }

  uuid(id: string): this {
    const hex = id.replace(/-/g, '');
    this.ensure(20);
    this.buf.writeInt32BE(16, this.pos);
    this.buf.write(hex, this.pos + 4, 16, 'hex');
    this.pos += 20;
    return this;
  }

  int8(v: number): this {
    this.ensure(12);
    this.buf.writeInt32BE(8, this.pos);
    this.buf.writeBigInt64BE(BigInt(v), this.pos + 4);
    this.pos += 12;
    return this;
  }

  int4(v: number): this {
    this.ensure(8);
    this.buf.writeInt32BE(4, this.pos);
    this.buf.writeInt32BE(v, this.pos + 4);
    this.pos += 8;
    return this;
  }

  /** A one-dimensional array header; the caller writes `length` elements right after. */
  private arrayHeader(oid: number, length: number, bodyBytes: number): void {
    this.ensure(4 + 20 + bodyBytes);
    this.buf.writeInt32BE(20 + bodyBytes, this.pos);
    this.buf.writeInt32BE(1, this.pos + 4); // dimensions
    this.buf.writeInt32BE(0, this.pos + 8); // no NULL elements
    this.buf.writeInt32BE(oid, this.pos + 12);
    this.buf.writeInt32BE(length, this.pos + 16);
    this.buf.writeInt32BE(1, this.pos + 20); // lower bound
    this.pos += 24;
  }

  float4Array(values: ArrayLike<number>): this {
    return this.floatArray(values, 4);
  }

  float8Array(values: ArrayLike<number>): this {
    return this.floatArray(values, 8);
  }

  /** A float4 (real) or float8 (double precision) array: each element its length, then its big-endian bytes. */
  private floatArray(values: ArrayLike<number>, size: 4 | 8): this {
    const n = values.length;
    const step = 4 + size;
    this.arrayHeader(size === 4 ? OID.float4 : OID.float8, n, n * step);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      b.writeInt32BE(size, p);
      if (size === 4) b.writeFloatBE(values[i]!, p + 4);
      else b.writeDoubleBE(values[i]!, p + 4);
      p += step;
    }
    this.pos = p;
    return this;
  }

  int4Array(values: ArrayLike<number>): this {
    const n = values.length;
    this.arrayHeader(OID.int4, n, n * 8);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      b.writeInt32BE(4, p);
      b.writeInt32BE(values[i]!, p + 4);
      p += 8;
    }
    this.pos = p;
    return this;
  }

  textArray(values: ArrayLike<string>): this {
    const n = values.length;
    const encoded: Buffer[] = new Array(n);
    let bytes = 0;
    // Labels repeat: encode each distinct string once.
    const cache = new Map<string, Buffer>();
    for (let i = 0; i < n; i++) {
      const s = values[i]!;
      let e = cache.get(s);
      if (!e) {
        e = Buffer.from(s, 'utf8');
        if (cache.size < 1024) cache.set(s, e);
      }
      encoded[i] = e;
      bytes += 4 + e.length;
    }
    this.arrayHeader(OID.text, n, bytes);
    for (const e of encoded) {
      this.buf.writeInt32BE(e.length, this.pos);
      e.copy(this.buf, this.pos + 4);
      this.pos += 4 + e.length;
    }
    return this;
  }

  /** A text array whose elements may be NULL (a failed row's column or cell, when there is none). */
  nullableTextArray(values: ArrayLike<string | null>): this {
    const n = values.length;
    const encoded: (Buffer | null)[] = new Array(n);
    let bytes = 0;
    let nulls = 0;
    for (let i = 0; i < n; i++) {
      const s = values[i];
      const e = s === null || s === undefined ? null : Buffer.from(s, 'utf8');
      encoded[i] = e;
      if (e === null) nulls++;
      bytes += 4 + (e?.length ?? 0);
    }
    this.arrayHeader(OID.text, n, bytes);
    if (nulls > 0) this.buf.writeInt32BE(1, this.pos - 16); // the header's "has NULL elements" flag
    for (const e of encoded) {
      if (e === null) {
        this.buf.writeInt32BE(-1, this.pos);
        this.pos += 4;
        continue;
      }
      this.buf.writeInt32BE(e.length, this.pos);
      e.copy(this.buf, this.pos + 4);
      this.pos += 4 + e.length;
    }
    return this;
  }

  /** The bytes written so far; the writer starts over. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }
}

/**
 * Reads the output of `COPY (SELECT <one bytea column> ...) TO STDOUT WITH (FORMAT binary)`: each value in a
 * Buffer of its own, copied once out of the arriving chunks (a value spans many of them). `allocate` gives the
 * Buffer for a value of a length: a caller reading many large values can hand back Buffers it is done with
 * (every new one is memory outside the JavaScript heap, and each few tens of MB of it start a full garbage
 * collection).
 */
export class ByteaCopyReader {
  readonly values: Buffer[] = [];
  private state: 'header' | 'extension' | 'fields' | 'length' | 'value' | 'end' = 'header';
  /** Bytes the current state needs before it can be read (header parts are small). */
  private need = COPY_SIGNATURE.length;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private value: Buffer | null = null;
  private filled = 0;

  constructor(private readonly allocate: (length: number) => Buffer = Buffer.allocUnsafe) {}

  push(chunk: Buffer): void {
    let p = 0;
    while (p < chunk.length) {
      if (this.state === 'value') {
        const value = this.value!;
        const n = Math.min(chunk.length - p, value.length - this.filled);
        chunk.copy(value, this.filled, p, p + n);
        this.filled += n;
        p += n;
        if (this.filled === value.length) this.finishValue();
        continue;
      }
      if (this.state === 'end') throw new Error('COPY: bytes after the end of the data');
      const n = Math.min(chunk.length - p, this.need - this.pendingBytes);
      this.pending.push(chunk.subarray(p, p + n));
      this.pendingBytes += n;
      p += n;
      if (this.pendingBytes === this.need) this.step(this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending));
    }
  }

  /** Checks that the data ended where the format says it does; returns the values. */
  finish(): Buffer[] {
    if (this.state !== 'end') throw new Error('COPY: the data ended early');
    return this.values;
  }

  private step(h: Buffer): void {
    this.pending = [];
    this.pendingBytes = 0;
    switch (this.state) {
      case 'header': {
        // Signature (11 bytes), flags (4), header extension length (4).
        if (!h.subarray(0, 11).equals(COPY_SIGNATURE.subarray(0, 11))) throw new Error('COPY: not binary COPY data');
        const extension = h.readUInt32BE(15);
        this.state = extension > 0 ? 'extension' : 'fields';
        this.need = extension > 0 ? extension : 2;
        return;
      }
      case 'extension':
        this.state = 'fields';
        this.need = 2;
        return;
      case 'fields': {
        const fields = h.readInt16BE(0);
        if (fields === -1) {
          this.state = 'end';
          this.need = 0;
          return;
        }
        if (fields !== 1) throw new Error(`COPY: ${fields} fields in a tuple, expected 1`);
        this.state = 'length';
        this.need = 4;
        return;
      }
      case 'length': {
        const length = h.readInt32BE(0);
        if (length < 0) throw new Error('COPY: a NULL value');
        this.value = this.allocate(length);
        this.filled = 0;
        this.state = 'value';
        if (length === 0) this.finishValue();
        return;
      }
      default:
        throw new Error(`COPY: unexpected state ${this.state}`);
    }
  }

  private finishValue(): void {
    this.values.push(this.value!);
    this.value = null;
    this.state = 'fields';
    this.need = 2;
  }
}
