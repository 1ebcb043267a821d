import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CsvDialect, csvField, csvLine, formatNumberText, isFormulaLike, safeRecord, splitRecord } from '../src/index.js';

const SEMI: CsvDialect = { delimiter: ';', decimal: ',' };

describe('isFormulaLike: the cases from the security review', () => {
  it('a starter after spaces, tabs, no-break or ideographic spaces', () => {
    for (const t of [' =1+1', '  +A1', '\u00A0-cmd', '\u3000@SUM(1)', ' \t=x']) expect(isFormulaLike(t), JSON.stringify(t)).toBe(true);
  });

  it('full-width and look-alike starters', () => {
    for (const t of [
      '\uFF1D1+1',
      '\uFF0BA1',
      '\uFF0D1',
      '\uFF20SUM(A1)',
      '\uFE66x',
      '\uFE62x',
      '\uFE63x',
      '\uFE6Bx',
      '\u2212x',
      ' \uFF1Dx',
    ]) {
      expect(isFormulaLike(t), JSON.stringify(t)).toBe(true);
    }
  });

  it('a formula after another delimiter inside the cell (Excel in a `;` locale splits there)', () => {
    for (const t of ['x;=HYPERLINK("http://e")', 'x,=1', 'x|@a', 'x\t+b', 'x; -b', 'a;b;=c', 'x;\uFF1D1']) {
      expect(isFormulaLike(t), JSON.stringify(t)).toBe(true);
    }
    for (const t of ['x;-5', 'a;b', 'a-b', '1=1', 'x;', 'p;+1,5e3', 'tab\there']) expect(isFormulaLike(t), JSON.stringify(t)).toBe(false);
  });

  it('numbers stay numbers, in their dialect', () => {
    for (const t of ['-42', '+1.5', ' -42 ', '-1e5', '-1,234.5']) expect(isFormulaLike(t), t).toBe(false);
    expect(isFormulaLike('-1,5', SEMI)).toBe(false);
    expect(isFormulaLike('-1.234,5', SEMI)).toBe(false);
    expect(isFormulaLike('-1,5')).toBe(true);
    expect(isFormulaLike('-1.5', SEMI)).toBe(true);
  });
});

describe('csvField and csvLine with the new cases and dialects', () => {
  it('neutralises with a leading quote; a formula after another delimiter is also quoted', () => {
    expect(csvField(' =1+1')).toBe("' =1+1");
    expect(csvField('\uFF1D1+1')).toBe("'\uFF1D1+1");
    expect(csvField('x;=HYPERLINK("http://e")')).toBe('"\'x;=HYPERLINK(""http://e"")"');
    expect(csvField('x|@a')).toBe('"\'x|@a"');
    expect(csvField('x,=1', SEMI)).toBe('"\'x,=1"');
    expect(csvField('-42')).toBe('-42');
    expect(csvField('-1,5', SEMI)).toBe('-1,5');
    expect(csvField('-1,5')).toBe('"\'-1,5"');
  });

  it('quotes for the dialect delimiter', () => {
    expect(csvField('a;b', SEMI)).toBe('"a;b"');
    expect(csvField('a,b', SEMI)).toBe('a,b');
    expect(csvField('a\tb', { delimiter: '\t' })).toBe('"a\tb"');
    expect(csvLine(['a', 'b;c', '1,5', '=x'], SEMI)).toBe('a;"b;c";1,5;\'=x');
    expect(csvLine(['a', 'b|c'], { delimiter: '|' })).toBe('a|"b|c"');
  });
});

describe('formatNumberText', () => {
  it('decimal `.`: unchanged', () => {
    for (const t of ['0.123', '1e-7', '-1.5E+20', '42', 'NaN']) expect(formatNumberText(t)).toBe(t);
  });

  it('decimal `,`: a comma, and exponents the way Excel writes them', () => {
    const cases: [string, string][] = [
      ['0.123', '0,123'],
      ['-1.5e-7', '-1,5E-07'],
      ['1e-7', '1E-07'],
      ['1e+21', '1E+21'],
      ['2.5E300', '2,5E+300'],
      ['42', '42'],
      ['-0', '-0'],
      ['.5', '0,5'],
      ['NaN', 'NaN'],
      ['Infinity', 'Infinity'],
      ['malignant', 'malignant'],
    ];
    for (const [input, expected] of cases) expect(formatNumberText(input, SEMI), input).toBe(expected);
  });

  it('what it writes reads back as the same number with the dialect', () => {
    fc.assert(
      // (-0 prints as "0" in JavaScript already.)
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)),
        (x) => {
          const text = formatNumberText(String(x), SEMI);
          expect(isFormulaLike(text, SEMI)).toBe(false);
          expect(Number(text.replace(',', '.'))).toBe(x);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('safeRecord: each case end to end', () => {
  const cases: [string, Partial<CsvDialect> | undefined, string][] = [
    ['a,x;=HYPERLINK("http://e")', undefined, 'a,"\'x;=HYPERLINK(""http://e"")"'],
    ['1, =cmd', undefined, "1,' =cmd"],
    // The tab is a delimiter character too: quoted, so that a reader splitting on tabs keeps `=cmd` inside.
    ['1,\t=cmd', undefined, '1,"\'\t=cmd"'],
    ['\uFF1D1+1,2', undefined, "'\uFF1D1+1,2"],
    ['2,\u3000\uFF20x', undefined, "2,'\u3000\uFF20x"],
    ['"x|@SUM(1)",2', undefined, '"\'x|@SUM(1)",2'],
    ['"a,b",x\t-y', undefined, '"a,b","\'x\t-y"'],
    ['a;-1,5;x,=1', SEMI, 'a;-1,5;"\'x,=1"'],
    ['a;"=1";+1,5', SEMI, 'a;"\'=1";+1,5'],
    ['a|=1|-2', { delimiter: '|' }, "a|'=1|-2"],
    // Signed numbers are data only where the dialect reads them as numbers, and only as a whole field.
    ['1;-1,5;x', { delimiter: ';', decimal: '.' }, "1;'-1,5;x"],
    ['-5e,1', undefined, "'-5e,1"],
    ['"-5;x",1', SEMI, '"\'-5;x",1'],
    ['x,-12,-0.5,+3,-7=1', undefined, "x,-12,-0.5,+3,'-7=1"],
  ];
  it('neutralises exactly as csvField decides, keeping every other byte', () => {
    for (const [input, dialect, expected] of cases) {
      const out = safeRecord(Buffer.from(input), dialect);
      expect(out.toString(), input).toBe(expected);
      expect(splitRecord(out, dialect)).toEqual(
        splitRecord(Buffer.from(input), dialect).map((f) => (isFormulaLike(f, dialect) ? `'${f}` : f)),
      );
    }
  });

  it('returns the same Buffer for numbers of the dialect and harmless text', () => {
    for (const [text, dialect] of [
      ['1;-1,5;+2,25;x-y', SEMI],
      ['-5,+1.5,a;b', undefined],
      ['a|-1|b,c', { delimiter: '|' as const }],
      ['-12,-0.5,+3,7', undefined],
      ['-1,5;-0,25;+3', SEMI],
    ] as const) {
      const raw = Buffer.from(text);
      expect(safeRecord(raw, dialect)).toBe(raw);
    }
  });
});

describe('writing with dialects, properties', () => {
  const text = fc.string({
    // Every kind of formula starter: the ASCII ones, a carriage return, and full-width, small and minus-sign
    // ones (their UTF-8 lead bytes EF and E2, each with another second byte).
    unit: fc.constantFrom(
      'a',
      '1',
      '.',
      ',',
      ';',
      '|',
      '\t',
      '-',
      '+',
      '=',
      '@',
      ' ',
      '"',
      '\n',
      '\r',
      '\uFF1D',
      '\uFF0B',
      '\uFE6B',
      '\u2212',
      '\u3000',
      'é',
    ),
    maxLength: 8,
  });
  // Signed numbers, some running on into other text, some with the other dialect's decimal separator.
  const signedNumber = fc
    .tuple(
      fc.constantFrom('-', '+', ' -', ''),
      fc.stringMatching(/^[0-9]{1,3}$/),
      fc.constantFrom('', '.', ',', '.5', ',25', '.x'),
      fc.constantFrom('', 'e5', '=1', ';x', ',-2', '|@x', ' '),
    )
    .map((parts) => parts.join(''));
  const field = fc.oneof(text, signedNumber);
  const dialect = fc.constantFrom<CsvDialect>(
    { delimiter: ',', decimal: '.' },
    { delimiter: ';', decimal: ',' },
    { delimiter: ';', decimal: '.' },
    { delimiter: '\t', decimal: ',' },
    { delimiter: '|', decimal: '.' },
  );

  it('csvLine round-trips through splitRecord; a formula after another delimiter is always quoted', () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 5 }), dialect, (fields, d) => {
        const line = csvLine(fields, d);
        expect(splitRecord(Buffer.from(line), d)).toEqual(fields.map((f) => (isFormulaLike(f, d) ? `'${f}` : f)));
        for (const f of fields) {
          const w = csvField(f, d);
          if (isFormulaLike(f, d)) expect(w.startsWith("'") || w.startsWith('"\'')).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('safeRecord gives the fields csvField would, whatever the input quoting; formula-free records are returned as they are', () => {
    fc.assert(
      fc.property(
        fc.array(field, { minLength: 1, maxLength: 5 }),
        fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        dialect,
        (fields, q, d) => {
          const raw = Buffer.from(
            fields
              .map((f, i) => (f.includes(d.delimiter) || /["\r\n]/.test(f) || q[i] ? `"${f.replaceAll('"', '""')}"` : f))
              .join(d.delimiter),
          );
          const out = safeRecord(raw, d);
          const before = splitRecord(raw, d);
          expect(splitRecord(out, d)).toEqual(before.map((f) => (isFormulaLike(f, d) ? `'${f}` : f)));
          if (!before.some((f) => isFormulaLike(f, d))) expect(out).toBe(raw);
        },
      ),
      { numRuns: 10000 },
    );
  });
});
