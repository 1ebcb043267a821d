import { describe, expect, it } from 'vitest';
import { splitRecord } from '../src/index.js';

/**
 * splitRecord decodes a record without quotes once and splits the text; this is what it returned before, each
 * field's bytes decoded on their own. The two must agree for every byte sequence, UTF-8 or not.
 */
function fieldByField(raw: Buffer, delimiter: number): string[] {
  const out: string[] = [];
  let p = 0;
  for (;;) {
    let d = raw.indexOf(delimiter, p);
    if (d === -1) d = raw.length;
    out.push(raw.toString('utf8', p, d));
    if (d >= raw.length) return out;
    p = d + 1;
  }
}

/** A small deterministic generator (mulberry32), so a failure is reproducible. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Delimiters, ASCII, whole and cut UTF-8 sequences (é, €, 😀), bytes that never start one, surrogates' encodings.
const BYTES = [0x2c, 0x3b, 0x09, 0x7c, 0x61, 0x30, 0x2e, 0x2d, 0x20, 0x0d, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80];
const MORE = [0xff, 0xfe, 0xc0, 0xc1, 0xf5, 0xed, 0xa0, 0xbf, 0xef, 0xbb];

describe('splitRecord of a record without quotes', () => {
  it('gives the fields, and the quoted flags, that decoding each field alone gives', () => {
    const next = random(20261204);
    const pool = [...BYTES, ...MORE];
    for (let n = 0; n < 20_000; n++) {
      const raw = Buffer.from(Array.from({ length: Math.floor(next() * 14) }, () => pool[Math.floor(next() * pool.length)]!));
      for (const delimiter of [',', ';', '\t', '|'] as const) {
        const quoted: boolean[] = [];
        const fields = splitRecord(raw, { delimiter }, quoted);
        expect(fields, `${raw.toString('hex')} split on ${JSON.stringify(delimiter)}`).toEqual(fieldByField(raw, delimiter.charCodeAt(0)));
        expect(quoted).toEqual(fields.map(() => false));
      }
    }
  });

  it('keeps empty fields, a trailing delimiter and an empty record as fields', () => {
    expect(splitRecord(Buffer.from(''))).toEqual(['']);
    expect(splitRecord(Buffer.from('a,,b,'))).toEqual(['a', '', 'b', '']);
    expect(splitRecord(Buffer.from('1,5;2,5'), { delimiter: ';' })).toEqual(['1,5', '2,5']);
  });

  it('still reads quoted fields of a record that has quotes', () => {
    const quoted: boolean[] = [];
    expect(splitRecord(Buffer.from('x,"a,b",5\'3"'), { delimiter: ',' }, quoted)).toEqual(['x', 'a,b', '5\'3"']);
    expect(quoted).toEqual([false, true, false]);
  });
});
