/**
 * Writer for PostgreSQL's binary COPY format (https://www.postgresql.org/docs/current/sql-copy.html,
 * "Binary Format"), for the few column types prediction batches use. Binary COPY spares both sides the
 * cost of printing and parsing a few million floats as text.
 */
const OID = { int4: 23, text: 25, float4: 700 } as const;

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
    const n = values.length;
    this.arrayHeader(OID.float4, n, n * 8);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      b.writeInt32BE(4, p);
      b.writeFloatBE(values[i]!, p + 4);
      p += 8;
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
