import { numberText } from '@batchcast/formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cellKind, isMissingCell, typeOfBits } from '../src/inputs/infer-csv-types.js';
import { integerLabels } from '../src/results/prediction-cells.js';

const typeOf = (cells: string[], decimal: '.' | ',' = '.') =>
  typeOfBits(cells.filter((c) => !isMissingCell(c)).reduce((bits, c) => bits | cellKind(c, decimal), 0));

describe('the type of a CSV column the model does not use', () => {
  it('is int64, double, bool or text as the whole column says', () => {
    expect(typeOf(['101', '102', '-7', '0'])).toBe('int64');
    expect(typeOf(['1200.50', '99', '', 'NA'])).toBe('double');
    expect(typeOf(['1e5', '.5', '-0'])).toBe('double');
    expect(typeOf(['true', 'False', 'TRUE', 'null'])).toBe('bool');
    expect(typeOf(['1', 'true'])).toBe('string');
    expect(typeOf(['', 'NA', '#N/A'])).toBe('string');
    expect(typeOf(['1200,50', '-3'], ',')).toBe('double');
    expect(typeOf(['1200.50'], ',')).toBe('string');
    expect(typeOf(['1,5'], '.')).toBe('string');
  });

  it('keeps text whatever a number reading would change: leading zeros, long ids, signs, infinities', () => {
    expect(typeOf(['007', '1'])).toBe('string');
    expect(typeOf(['00.5'])).toBe('string');
    expect(typeOf(['1234567890123456'])).toBe('string');
    expect(typeOf(['123456789012345'])).toBe('int64');
    expect(typeOf(['0.1234567890123456'])).toBe('string');
    expect(typeOf(['+5'])).toBe('string');
    expect(typeOf(['1e400'])).toBe('string');
    expect(typeOf(['inf'])).toBe('string');
    expect(typeOf(['1,234'])).toBe('string');
    expect(typeOf([' 5'])).toBe('string');
  });

  it('types only what comes back as the same value (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double({ noNaN: true }), fc.integer()).map(String), (text) => {
        const kind = typeOf([text]);
        if (kind === 'int64') expect(BigInt(numberText(Number(text)))).toBe(BigInt(text));
        if (kind === 'double') expect(Number(numberText(Number(text)))).toBe(Number(text));
      }),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^-?\d{1,20}(\.\d{1,20})?$/), (text) => {
        const kind = typeOf([text]);
        // Typed only when the written value's text reads as the same decimal number (up to trailing zeros).
        if (kind !== 'string') {
          const norm = (t: string) =>
            t
              .replace(/^(-?)0+(?=\d)/, '$1')
              .replace(/(\.\d*?)0+$/, '$1')
              .replace(/\.$/, '');
          expect(norm(numberText(Number(text)))).toBe(norm(text));
        }
      }),
    );
  });
});

describe('integer class labels', () => {
  it('are integers (int64) only when every label is', () => {
    expect(integerLabels([0, 1, 2])).toBe(true);
    expect(integerLabels([-1, 1])).toBe(true);
    expect(integerLabels([0, '9007199254740993'])).toBe(true);
    expect(integerLabels(['0', '1'])).toBe(false);
    expect(integerLabels(['setosa', 'versicolor'])).toBe(false);
    expect(integerLabels([0, 'x'])).toBe(false);
    expect(integerLabels([0.5, 1])).toBe(false);
    expect(integerLabels(['99999999999999999999'])).toBe(false);
    expect(integerLabels([])).toBe(false);
    expect(integerLabels(null)).toBe(false);
  });
});
