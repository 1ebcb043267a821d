import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isShortestNumberText, numberText, shortestNumberText, trimmedShortestNumberText } from '../src/csv-text.js';

describe('isShortestNumberText', () => {
  it('says yes to the texts numberText prints for the numbers they write, and no to others', () => {
    const yes = ['0', '7', '-7', '12.5', '-0.0007', '0.000001', '0.0000015', '123456789012345', '99999.9999999999', '1001'];
    const no = ['-0', '1.50', '1.0', '01', '+1', '1.', '.5', '1e5', '1E5', '0.0000001', ' 1', '1 ', '', '-', '1,5', '0x1F'];
    // No, to be safe, though numberText prints them so: they take the parse-and-print path.
    const leftToParsing = ['1234567890123456', 'NaN', 'Infinity'];
    expect(yes.filter((t) => !isShortestNumberText(t))).toEqual([]);
    expect([...no, ...leftToParsing].filter((t) => isShortestNumberText(t))).toEqual([]);
    // Each yes is indeed what numberText prints for it; each no is not (or is no number).
    expect(yes.filter((t) => numberText(Number(t)) !== t)).toEqual([]);
    expect(no.filter((t) => t.trim() !== '' && numberText(Number(t)) === t)).toEqual([]);
  });

  it('never says yes to a text numberText would print otherwise (random decimals and doubles)', () => {
    const digit = fc.constantFrom(...'0123456789');
    const decimalText = fc
      .tuple(
        fc.constantFrom('', '-', '+'),
        fc.array(digit, { minLength: 0, maxLength: 18 }),
        fc.constantFrom('', '.'),
        fc.array(digit, { maxLength: 18 }),
      )
      .map(([sign, int, point, frac]) => `${sign}${int.join('')}${point}${frac.join('')}`);
    fc.assert(
      fc.property(
        fc.oneof(
          decimalText,
          fc.double().map(numberText),
          fc.double().map((d) => d.toFixed(6)),
        ),
        (text) => {
          if (isShortestNumberText(text)) expect(numberText(Number(text))).toBe(text);
        },
      ),
      { numRuns: 50_000 },
    );
  });

  it('says yes to most of the plain decimals a file holds (so the writers skip parsing them)', () => {
    // Values with up to 12 significant digits, as files hold them: 1234.5678, -0.001, 42.
    const short = fc
      .tuple(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 0, max: 8 }))
      .map(([i, scale]) => numberText(i / 10 ** scale));
    let yes = 0;
    fc.assert(
      fc.property(short, (text) => {
        if (isShortestNumberText(text)) yes++;
      }),
      { numRuns: 10_000 },
    );
    expect(yes).toBeGreaterThan(9_500);
  });

  it('leaves shortestNumberText as it was: the text itself, or the parsed number printed', () => {
    expect(['12.5', '1.50', '1e-7', ' 3 ', 'abc', '-0'].map(shortestNumberText)).toEqual(['12.5', '1.5', '1e-7', '3', null, '-0.0']);
  });
});

describe('trimmedShortestNumberText', () => {
  it('drops the zeros ending a fraction when what is left is the shortest form, and says null otherwise', () => {
    const cases: [string, string | null][] = [
      ['20.5930', '20.593'],
      ['5.000', '5'],
      ['0.0', '0'],
      ['-12.50', '-12.5'],
      ['0.0442810', '0.044281'],
      ['123456789012345.0', '123456789012345'],
      // Not shortest once trimmed, or nothing to trim: left to parsing and printing.
      ['-0.0', null],
      ['12.5', null],
      ['50', null],
      ['1.50e3', null],
      ['.50', null],
      ['00.50', null],
      ['+1.50', null],
      ['1.50 ', null],
      ['0.00000012300', null],
      ['1234567890123456.0', null],
      ['abc.0', null],
    ];
    expect(cases.map(([t]) => [t, trimmedShortestNumberText(t)])).toEqual(cases);
  });

  it('is always what numberText prints for the number (random decimals with zeros at the end)', () => {
    const digit = fc.constantFrom(...'0123456789');
    const withZeros = fc
      .tuple(
        fc.constantFrom('', '-', '+'),
        fc.array(digit, { maxLength: 17 }),
        fc.array(digit, { maxLength: 17 }),
        fc.integer({ min: 1, max: 6 }),
      )
      .map(([sign, int, frac, zeros]) => `${sign}${int.join('')}.${frac.join('')}${'0'.repeat(zeros)}`);
    let trimmed = 0;
    fc.assert(
      fc.property(withZeros, (text) => {
        const t = trimmedShortestNumberText(text);
        if (t === null) return;
        trimmed++;
        expect(t).toBe(numberText(Number(text)));
      }),
      { numRuns: 50_000 },
    );
    expect(trimmed).toBeGreaterThan(10_000);
  });
});
