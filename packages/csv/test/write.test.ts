import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvField, csvLine, isFormulaLike, safeRecord, safeRecords, splitRecord, splitRecords } from '../src/index.js';

describe('csvField', () => {
  it('leaves plain text and numbers alone', () => {
    expect(csvField('hello')).toBe('hello');
    expect(csvField('')).toBe('');
    expect(csvField('-5')).toBe('-5');
    expect(csvField('+1')).toBe('+1');
    expect(csvField('+3.2')).toBe('+3.2');
    expect(csvField('-1e5')).toBe('-1e5');
    expect(csvField('-.5')).toBe('-.5');
  });

  it("leaves pandas' missing-value markers that start with a sign as they are: data, as a number is; near misses are guarded", () => {
    for (const marker of ['-NaN', '-nan', '-1.#IND', '-1.#QNAN']) {
      expect(csvField(marker)).toBe(marker);
      expect(safeRecord(Buffer.from(`1,${marker},x`)).toString()).toBe(`1,${marker},x`);
    }
    expect(csvField(' -NaN')).toBe("' -NaN");
    expect(csvField('-NA')).toBe("'-NA");
    expect(csvField('-1.#INDX')).toBe("'-1.#INDX");
  });

  it('neutralises formula-like text with a leading quote', () => {
    expect(csvField('=SUM(A1)')).toBe("'=SUM(A1)");
    expect(csvField('@cmd')).toBe("'@cmd");
    expect(csvField('-abc')).toBe("'-abc");
    expect(csvField('+')).toBe("'+");
    expect(csvField('\tx')).toBe("'\tx");
    expect(csvField('-Infinity')).toBe("'-Infinity");
  });

  it('quotes fields with commas, quotes and line breaks, doubling quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField('=1,2')).toBe('"\'=1,2"');
    expect(csvField('\rx')).toBe('"\'\rx"');
  });

  it('round-trips through splitRecord', () => {
    const values = ['a,b', '"', '""', 'x\r\ny', ' lead', 'plain', '-7'];
    expect(splitRecord(Buffer.from(csvLine(values)))).toEqual(values);
  });
});

describe('csvLine', () => {
  it('joins fields with commas, no terminator', () => {
    expect(csvLine(['a', 'b,c', '=x', '-2'])).toBe('a,"b,c",\'=x,-2');
    expect(csvLine([])).toBe('');
  });
});

describe('isFormulaLike', () => {
  it('flags dangerous starts that are not numbers', () => {
    expect(isFormulaLike('=1')).toBe(true);
    expect(isFormulaLike('-1')).toBe(false);
    expect(isFormulaLike('1=1')).toBe(false);
  });
});

describe('safeRecord', () => {
  it('returns the same Buffer when nothing is dangerous', () => {
    for (const text of ['1,2,3', 'a,"b,c",d', '-5,+1.5,-1e5', '"-2",x', 'a-b,c=d', '']) {
      const raw = Buffer.from(text);
      expect(safeRecord(raw)).toBe(raw);
    }
  });

  it('neutralises only the dangerous fields and keeps every other byte', () => {
    const cases: [string, string][] = [
      ['=SUM(A1),2', "'=SUM(A1),2"],
      ['1,@cmd', "1,'@cmd"],
      ['-abc,-5,+1', "'-abc,-5,+1"],
      ['x,\tevil,y', "x,'\tevil,y"],
      ['"=1+2",3', '"\'=1+2",3'],
      ['"quoted, text",=HYPERLINK("x")', '"quoted, text",\'=HYPERLINK("x")'],
      ['"a""b",+x,"-""c"', '"a""b",\'+x,"\'-""c"'],
      ['"-3"tail,1', '"\'-3"tail,1'],
      ['é,=€', "é,'=€"],
    ];
    for (const [input, expected] of cases) {
      const out = safeRecord(Buffer.from(input));
      expect(out.toString()).toBe(expected);
    }
  });

  it('agrees with csvField on every field', () => {
    const raw = Buffer.from('=a,"-b",c,"@d, e",-1,"x""y"');
    const fields = splitRecord(safeRecord(raw));
    expect(fields).toEqual(["'=a", "'-b", 'c', "'@d, e", '-1', 'x"y']);
    expect(fields).toEqual(splitRecord(raw).map((f) => (isFormulaLike(f) ? `'${f}` : f)));
  });
});

describe('writing, properties', () => {
  // The results writer puts the text of a finite number cell as it is, without csvField (write-results.ts).
  it('csvField leaves the text of any finite number as it is, in every dialect', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()), (x) => {
        expect(csvField(String(x))).toBe(String(x));
        expect(csvField(String(x), { delimiter: ';', decimal: '.' })).toBe(String(x));
      }),
      { numRuns: 10000 },
    );
    // Not so the others: a spreadsheet would take -Infinity for a formula.
    expect(csvField(String(Number.NEGATIVE_INFINITY))).toBe("'-Infinity");
  });

  const text = fc.string({
    unit: fc.constantFrom('a', '1', '.', 'e', '-', '+', '=', '@', '\t', '\r', '\n', ',', '"', ' ', 'é'),
    maxLength: 8,
  });
  const neutralise = (f: string): string => (isFormulaLike(f) ? `'${f}` : f);

  it('csvLine round-trips through splitRecord, formula-like fields neutralised', () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 6 }), (fields) => {
        expect(splitRecord(Buffer.from(csvLine(fields)))).toEqual(fields.map(neutralise));
      }),
      { numRuns: 3000 },
    );
  });

  it('safeRecord neutralises exactly the formula-like fields and returns the same Buffer otherwise', () => {
    fc.assert(
      fc.property(
        fc.array(text, { minLength: 1, maxLength: 6 }),
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        (fields, quoteIt) => {
          // Serialise without neutralising (that is what an uploaded file looks like), random extra quoting.
          const raw = Buffer.from(fields.map((f, i) => (/[,"\r\n]/.test(f) || quoteIt[i] ? `"${f.replaceAll('"', '""')}"` : f)).join(','));
          const out = safeRecord(raw);
          expect(splitRecord(out)).toEqual(splitRecord(raw).map(neutralise));
          if (!splitRecord(raw).some(isFormulaLike)) expect(out).toBe(raw);
        },
      ),
      { numRuns: 3000 },
    );
  });

  // A block of records as readRecords yields them: views of one Buffer, split where the reader splits.
  const cell = fc.string({
    unit: fc.constantFrom('a', '1', '.', '-', '+', '=', '@', '\t', ',', ';', '"', ' ', 'é', '€', '－', '−', '\n', '\r'),
    maxLength: 6,
  });
  const block = fc
    .record({
      rows: fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 20 }),
      quoteIt: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      crlf: fc.boolean(),
      delimiter: fc.constantFrom(',', ';', '\t'),
      lead: fc.nat({ max: 3 }),
    })
    .map(({ rows, quoteIt, crlf, delimiter, lead }) => {
      const line = (r: string[]) =>
        r.map((f, i) => (/[,;\t"\r\n]/.test(f) || quoteIt[i] ? `"${f.replaceAll('"', '""')}"` : f)).join(delimiter);
      // Bytes before the first record, as when a block starts within a larger Buffer.
      const bytes = Buffer.from('x'.repeat(lead) + rows.map(line).join(crlf ? '\r\n' : '\n'));
      return { records: splitRecords(bytes, lead, true, delimiter.charCodeAt(0)).records, delimiter };
    });

  it('safeRecords returns what safeRecord returns for each record of a block, the same Buffer where it does', () => {
    let searched = 0;
    fc.assert(
      fc.property(block, ({ records, delimiter }) => {
        const dialect = { delimiter, decimal: delimiter === ',' ? '.' : ',' } as const;
        const out = safeRecords(records, dialect);
        expect(out).toHaveLength(records.length);
        records.forEach((record, i) => {
          const one = safeRecord(record, dialect);
          if (one === record) expect(out[i]).toBe(record);
          else {
            searched++;
            expect(out[i]!.equals(one)).toBe(true);
          }
        });
      }),
      { numRuns: 3000 },
    );
    expect(searched).toBeGreaterThan(100); // the blocks held records that safeRecord changes
  });

  it('safeRecords gives the same records when most of a block hold a starter byte (taken one at a time past its first records)', () => {
    const dialect = { delimiter: ',', decimal: '.' } as const;
    const lines = Array.from({ length: 300 }, (_, i) => (i % 50 === 49 ? `=cmd|${i},1` : i % 7 === 0 ? `${i},2` : `-${i},+3`));
    const { records } = splitRecords(Buffer.from(lines.join('\n')), 0, true);
    const out = safeRecords(records, dialect);
    expect(out.map(String)).toEqual(records.map((r) => safeRecord(r, dialect).toString()));
    expect(out.filter((r) => r.toString().startsWith("'=")).length).toBe(6);
  });

  it('safeRecords takes records that are not views of one Buffer in order one at a time', () => {
    const a = Buffer.from('=1,2');
    const b = Buffer.from('3,4');
    const dialect = { delimiter: ',', decimal: '.' } as const;
    const out = safeRecords([b, a], dialect);
    expect(out[0]).toBe(b);
    expect(out[1]!.toString()).toBe("'=1,2");
    const block = Buffer.from('=1,2\n3,4');
    const [first, second] = splitRecords(block, 0, true).records;
    const reversed = safeRecords([second!, first!], dialect);
    expect(reversed[0]).toBe(second);
    expect(reversed[1]!.toString()).toBe("'=1,2");
  });
});
