import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ByteaCopyReader, COPY_SIGNATURE, COPY_TRAILER } from '../src/copy-binary.js';

/** Binary COPY output of one bytea column holding `values`, as PostgreSQL sends it. */
function copyData(values: (Buffer | null)[], extension = Buffer.alloc(0)): Buffer {
  const head = Buffer.from(COPY_SIGNATURE);
  head.writeUInt32BE(extension.length, 15);
  const parts: Buffer[] = [head, extension];
  for (const v of values) {
    const h = Buffer.alloc(6);
    h.writeInt16BE(1, 0);
    h.writeInt32BE(v === null ? -1 : v.length, 2);
    parts.push(h);
    if (v) parts.push(v);
  }
  parts.push(COPY_TRAILER);
  return Buffer.concat(parts);
}

function read(data: Buffer, cut: (i: number) => number): Buffer[] {
  const reader = new ByteaCopyReader();
  for (let p = 0, i = 0; p < data.length; i++) {
    const n = Math.max(1, cut(i));
    reader.push(data.subarray(p, p + n));
    p += n;
  }
  return reader.finish();
}

describe('ByteaCopyReader', () => {
  const values = [randomBytes(5000), Buffer.alloc(0), randomBytes(1), randomBytes(70_000)];

  it('gives back every value, however the bytes arrive', () => {
    const data = copyData(values, randomBytes(3));
    for (const cut of [() => 1, () => 7, (i: number) => 1 + ((i * 7919) % 65_536), () => data.length]) {
      const out = read(data, cut);
      expect(out.map((b) => b.toString('hex'))).toEqual(values.map((b) => b.toString('hex')));
    }
  });

  it('reads each value into the Buffer its allocator gives for that length', () => {
    const data = copyData(values);
    const given: Buffer[] = [];
    const reader = new ByteaCopyReader((length) => {
      // A Buffer handed back after use holds old bytes: every one of them must be overwritten.
      const b = Buffer.alloc(length, 0xee);
      given.push(b);
      return b;
    });
    for (let p = 0; p < data.length; p += 333) reader.push(data.subarray(p, p + 333));
    const out = reader.finish();
    expect(given.map((b) => b.length)).toEqual(values.map((b) => b.length));
    for (const [i, b] of out.entries()) expect(b).toBe(given[i]);
    expect(out.map((b) => b.toString('hex'))).toEqual(values.map((b) => b.toString('hex')));
  });

  it('refuses data that is not a one-column binary COPY, or that ends early', () => {
    expect(() => new ByteaCopyReader().push(Buffer.from('PGCOPX\n\xff\r\n\0\0\0\0\0\0\0\0\0', 'latin1'))).toThrow(/not binary COPY/);
    expect(() => read(copyData([null]), () => 4)).toThrow(/NULL/);
    const cut = copyData(values).subarray(0, 100);
    const reader = new ByteaCopyReader();
    reader.push(cut);
    expect(() => reader.finish()).toThrow(/ended early/);
  });
});
