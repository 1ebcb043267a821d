import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DECIMAL_RE, parseFloatText } from '../src/index.js';
import { scanDecimal } from '../src/parse-number.js';
import { collectBatches, mergeBatches, tempFile } from './helpers.js';

/** scanDecimal over a whole string: the value, 'fallback' (-1) or 'partial' (stopped early). */
function scan(text: string): number | 'fallback' | 'partial' {
  const buf = Buffer.from(text, 'latin1');
  const out = { value: 0 };
  const end = scanDecimal(buf, 0, buf.length, out);
  if (end === -1) return 'fallback';
  if (end !== buf.length) return 'partial';
  return out.value;
}

/** Random decimal text: signs, leading zeros, long mantissas, exponents, surrounding spaces. */
const decimalText = fc
  .record({
    spacesBefore: fc.integer({ min: 0, max: 2 }),
    sign: fc.constantFrom('', '-', '+'),
    int: fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 25 }),
    dot: fc.boolean(),
    frac: fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 25 }),
    exp: fc.option(
      fc.record({
        e: fc.constantFrom('e', 'E'),
        sign: fc.constantFrom('', '-', '+'),
        digits: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 400 })).map(String),
      }),
    ),
    spacesAfter: fc.integer({ min: 0, max: 2 }),
  })
  .map(
    (r) =>
      ' '.repeat(r.spacesBefore) +
      r.sign +
      r.int +
      (r.dot ? '.' : '') +
      r.frac +
      (r.exp ? r.exp.e + r.exp.sign + r.exp.digits : '') +
      ' '.repeat(r.spacesAfter),
  );

/** Digits that look like real data: a few significant digits, scaled. */
const realistic = fc
  .tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 1, max: 17 }))
  .map(([x, p]) => x.toPrecision(p));

describe('scanDecimal', () => {
  it('parses common cells on the fast path', () => {
    expect(scan('17.99')).toBe(17.99);
    expect(scan('-0.001')).toBe(-0.001);
    expect(scan('+3.25')).toBe(3.25);
    expect(scan('1001.0')).toBe(1001);
    expect(scan('123456789012345')).toBe(123456789012345);
    expect(scan('1e5')).toBe(100000);
    expect(scan(' 2.5 ')).toBe(2.5);
    expect(scan('.5')).toBe(0.5);
    expect(scan('5.')).toBe(5);
    expect(Object.is(scan('-0'), -0)).toBe(true);
    expect(Object.is(scan('-0.000'), -0)).toBe(true);
  });

  it('leaves the rest to Number(): many digits, huge exponents, no digits', () => {
    expect(scan('12345678901234567890')).toBe('fallback');
    expect(scan('1e400')).toBe('fallback');
    expect(scan('abc')).toBe('fallback');
    expect(scan('-')).toBe('fallback');
    expect(scan('.')).toBe('fallback');
    expect(scan('1e')).toBe('fallback');
    expect(scan('1.5x')).toBe('partial');
  });

  it('equals Number(text) whenever it gives a value (property)', () => {
    fc.assert(
      fc.property(fc.oneof(decimalText, realistic), (text) => {
        const v = scan(text);
        if (typeof v === 'number') expect(Object.is(v, Number(text))).toBe(true);
        // It must never claim a value for text that is not a decimal number.
        if (typeof v === 'number') expect(DECIMAL_RE.test(text.trim())).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });

  it('takes the fast path for at least the short decimals that make up real data', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: 1, max: 12 }), (x, p) => {
        const text = x.toPrecision(p);
        if (!text.includes('e')) expect(typeof scan(text)).toBe('number');
      }),
    );
  });
});

describe('parseFloatText', () => {
  it('accepts decimals, NaN and infinities; empty is NaN; refuses other Number() syntax', () => {
    expect(parseFloatText(' 1.5e3 ')).toBe(1500);
    expect(parseFloatText('')).toBeNaN();
    expect(parseFloatText('   ')).toBeNaN();
    expect(parseFloatText('NaN')).toBeNaN();
    expect(parseFloatText('nan')).toBeNaN();
    expect(parseFloatText('inf')).toBe(Infinity);
    expect(parseFloatText('-INF')).toBe(-Infinity);
    expect(parseFloatText('+Infinity')).toBe(Infinity);
    expect(parseFloatText('-infinity')).toBe(-Infinity);
    for (const bad of ['0x10', '0b1', '1_000', '1,5', 'abc', '1e', '--1', 'Infinityx', '.']) {
      expect(parseFloatText(bad)).toBeUndefined();
    }
  });
});

describe('number parsing through readBatches', () => {
  it('stores exactly Number(text) in float64 and its float32 rounding in float32 (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(decimalText, realistic), { minLength: 1, maxLength: 200 }), async (cells) => {
        // Two columns per row: the same text, one for each target; the file is read in small blocks so
        // numbers are also cut by block ends.
        const text = `a,b\n${cells.map((c) => `${c},${c}`).join('\n')}\n`;
        const path = tempFile(text);
        for (const highWaterMark of [7, 1 << 20]) {
          const batches = await collectBatches(path, {
            start: 4,
            end: Buffer.byteLength(text),
            firstRow: 0,
            header: ['a', 'b'],
            targets: [
              { name: 'd', type: 'float64', columns: [0] },
              { name: 'f', type: 'float32', columns: [1] },
            ],
            batchSize: 64,
            highWaterMark,
          });
          const { rows, data, errors } = mergeBatches(batches, 2);
          expect(rows).toBe(cells.length);
          const errorRows = new Set(errors.map((e) => e.row));
          cells.forEach((c, i) => {
            const t = c.trim();
            if (DECIMAL_RE.test(t) || t === '') {
              expect(errorRows.has(i)).toBe(false);
              expect(Object.is(data[0]![i], Number(t === '' ? NaN : t))).toBe(true);
              expect(Object.is(data[1]![i], Math.fround(Number(t === '' ? NaN : t)))).toBe(true);
            } else {
              expect(errorRows.has(i)).toBe(true);
            }
          });
        }
      }),
      { numRuns: 150 },
    );
  });
});
