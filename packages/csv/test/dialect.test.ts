import { describe, expect, it } from 'vitest';
import {
  type ColumnTarget,
  type CsvDialect,
  CsvScanner,
  coerceObjects,
  detectDialect,
  readRecords,
  resolveDialect,
  splitRecord,
} from '../src/index.js';
import { collectLayoutBatches, layoutOf, describe as outcome, mergeBatches, scanCuts, scanWhole, tempFile } from './helpers.js';

async function recordsOf(
  path: string,
  start: number,
  end: number,
  dialect: Partial<CsvDialect>,
  highWaterMark?: number,
): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const rs of readRecords(path, { start, end, highWaterMark, dialect })) out.push(...rs);
  return out;
}

function layoutOrError(data: string | Buffer, opts: ConstructorParameters<typeof CsvScanner>[0]) {
  return scanWhole(data, opts);
}

function errorOf(data: string | Buffer, opts: ConstructorParameters<typeof CsvScanner>[0]) {
  const r = layoutOrError(data, opts);
  if (!('error' in r)) throw new Error('expected a CsvFormatError');
  return r.error;
}

describe('detectDialect', () => {
  it('comma files: `,` and `.`, high confidence', () => {
    expect(detectDialect('a,b,c\n1,2.5,x\n3,4,y\n')).toMatchObject({ delimiter: ',', decimal: '.', confidence: 'high' });
  });

  it('European Excel: `;` with decimal commas', () => {
    const d = detectDialect('id;height;weight\r\n1;1,75;70,5\r\n2;1,62;58\r\n');
    expect(d).toMatchObject({ delimiter: ';', decimal: ',', confidence: 'high' });
    expect(d.reason).toContain("';' gives 3 fields on 2 of 2 sampled rows");
    expect(d.reason).toContain("decimal ','");
  });

  it('European Excel without a header row: `;` with decimal commas, though `,` splits every line alike too', () => {
    // By ',' every line has 5 fields ("5", "1;3", "5;1", "4;0", "2"), by ';' 4: the cells that are numbers decide.
    const sample = '5,1;3,5;1,4;0,2\r\n6,7;3,0;5,2;2,3\r\n4,9;3;1,4;0,2\r\n';
    expect(detectDialect(sample)).toMatchObject({ delimiter: ';', decimal: ',', confidence: 'high' });
    // A comma file of numbers whose text holds a ';' keeps ','.
    expect(detectDialect('1,2,a;b\n3,4,c;d\n5,6,e;f\n')).toMatchObject({ delimiter: ',' });
    // Numbers before the count of fields: ',' gives 3 fields, one of them "2;3"; ';' gives 2 numbers.
    expect(detectDialect('1,2;3,4\n5,6;7,8\n')).toMatchObject({ delimiter: ';', decimal: ',' });
    // Equally numeric both ways (none): more fields, as before.
    expect(detectDialect('a,b;c,d\ne,f;g,h\n')).toMatchObject({ delimiter: ',' });
  });

  it('`;` with decimal points stays `.`; thousands-grouped cells count for a decimal comma, `1.234` for neither', () => {
    expect(detectDialect('a;b\n1.5;2.25\n')).toMatchObject({ delimiter: ';', decimal: '.' });
    expect(detectDialect('a;b\n1.234,5;7\n12.345.678,9;8\n')).toMatchObject({ delimiter: ';', decimal: ',' });
    expect(detectDialect('a;b\n1.234;7\n')).toMatchObject({ delimiter: ';', decimal: '.' });
  });

  it('a separator decided only by cells that read both ways (`2,020`, `1.234`) says which cell, so the job can say so', () => {
    // A `;` file from an English-locale program: `2,020` is 2020 there, and 2.02 with a decimal comma.
    const years = detectDialect('area;rooms;year_built\n379;6;2,020\n261;7;1,940\n', { complete: true });
    expect(years).toMatchObject({ delimiter: ';', decimal: ',', decimalAmbiguous: '2,020' });
    // A German file of whole amounts: `1.234` is 1234 there, and read as 1.234.
    expect(detectDialect('id;amount\n1;1.234\n2;12.500\n', { complete: true })).toMatchObject({
      delimiter: ';',
      decimal: '.',
      decimalAmbiguous: '1.234',
    });
    // Any cell that reads one way only decides, and nothing is said.
    expect(detectDialect('a;b\n2,020;12,5\n', { complete: true }).decimalAmbiguous).toBeUndefined();
    expect(detectDialect('a;b\n0,125;7\n', { complete: true }).decimalAmbiguous).toBeUndefined();
    expect(detectDialect('a;b\n1.234;0.5\n', { complete: true }).decimalAmbiguous).toBeUndefined();
    expect(detectDialect('a;b\n1;2\n', { complete: true }).decimalAmbiguous).toBeUndefined();
  });

  it('tab and pipe files, with decimal commas too', () => {
    expect(detectDialect('a\tb\n1\t2\n3\t4\n')).toMatchObject({ delimiter: '\t', decimal: '.', confidence: 'high' });
    expect(detectDialect('a\tb\n1,5\t2\n')).toMatchObject({ delimiter: '\t', decimal: ',' });
    expect(detectDialect('a|b|c\nx|1|2\n')).toMatchObject({ delimiter: '|', decimal: '.', confidence: 'high' });
  });

  it('respects quotes: delimiters and line breaks inside quoted fields do not count', () => {
    expect(detectDialect('name;note\n"a;b;c";1,5\n"x\ny;z";2,5\n')).toMatchObject({ delimiter: ';', decimal: ',', confidence: 'high' });
    expect(detectDialect('a,b\n"x;y;z",1\n"p;q",2\n')).toMatchObject({ delimiter: ',', confidence: 'high' });
  });

  it('a chosen delimiter or decimal separator is kept, the other part detected', () => {
    expect(detectDialect('a;b;c\n1;2\n3\n', { delimiter: ';' })).toMatchObject({ delimiter: ';', decimal: '.', confidence: 'high' });
    expect(detectDialect('a;b\n1,5;2\n', { delimiter: ';' }).reason).toMatch(
      /^';' as chosen \(gives 2 fields on 1 of 1 sampled rows\); decimal ','/,
    );
    expect(detectDialect('a;b\n1.5;2\n', { decimal: ',' })).toMatchObject({ delimiter: ';', decimal: ',' });
    const conflict = detectDialect('a,b\n1,2\n', { decimal: ',' });
    expect(conflict.confidence).toBe('none');
    expect(conflict.reason).toMatch(/^the file is comma-delimited \(.*\), so ',' cannot be its decimal separator as chosen$/);
  });

  it('a comma file never gets a decimal comma', () => {
    expect(detectDialect('a,b\n"1,5","2,5"\n')).toMatchObject({ delimiter: ',', decimal: '.' });
  });

  it('a few ragged rows do not change the answer (they fail their rows later), most do', () => {
    expect(detectDialect('a;b;c\n1;2;3\n4;5;6\n7;8\n')).toMatchObject({ delimiter: ';', confidence: 'low' });
    const none = detectDialect('a;b;c\n1;2\n3\n4;5;6;7\n');
    expect(none.confidence).toBe('none');
    expect(none.reason).toMatch(
      /^could not tell how the columns are separated: no delimiter gives the header's number of fields on most rows/,
    );
    // Which rows, so that they can be found and mended.
    expect(none.advice).toBe(
      "with ';' (3 fields in the header), data row 1 has 2, row 2 has 1, row 3 has 4; check those rows for a missing value or one too many (an unquoted ';' inside a value), or choose the delimiter and decimal separator explicitly",
    );
    const many = detectDialect(`a,b,c,d\n${'1,2\n'.repeat(6)}1,2,3,4\n`);
    expect(many.advice).toMatch(/^with ',' \(4 fields in the header\), data row 1 has 2, row 2 has 2, row 3 has 2 \(and 3 more\); /);
  });

  it('rows that end with the delimiter (one empty field more than the header) are named as such', () => {
    for (const [text, shown] of [
      ['a,b,c\n1,2,3,\n4,5,6,\n7,8,9,\n', "','"],
      ['a;b;c\r\n1;2;3;\r\n4;5;6;\r\n', "';'"],
    ] as const) {
      const found = detectDialect(text);
      expect(found.confidence).toBe('none');
      expect(found.reason).toBe(`the rows end with ${shown} after their last value, which makes one field more than the header has`);
      expect(found.advice).toBe(`remove the ${shown} at the end of each row, or give that last column a name in the header`);
    }
    // A few such rows among consistent ones are left to fail on their own.
    expect(detectDialect('a,b,c\n1,2,3\n4,5,6\n7,8,9,\n')).toMatchObject({ delimiter: ',', confidence: 'low' });
    // Extra fields that hold values are not a trailing delimiter.
    expect(detectDialect('a,b,c\n1,2,3,4\n4,5,6,7\n').reason).toMatch(/^could not tell how the columns are separated/);
  });

  it('a title line above the header is named as such, with the line the column names are on', () => {
    const rows = 'sepal_length,sepal_width,petal_length,petal_width,species\n5.1,3.5,1.4,0.2,setosa\n4.9,3,1.4,0.2,setosa\n';
    const found = detectDialect(`Iris export, December 2026\n${rows}`, { complete: true });
    expect(found.confidence).toBe('none');
    expect(found.reason).toBe(
      'line 1 looks like a title, not the header: the column names seem to be on line 2 ' +
        `("sepal_length", "sepal_width", "petal_length", "petal_width", …; ',' gives 5 fields on 2 of 2 rows below it)`,
    );
    expect(found.advice).toBe('delete the line above the column names and upload the file again');
    // A title, a source and a blank line: the column names are on line 4.
    expect(detectDialect(`Iris export, December 2026\nsource: lab 3\n\n${rows}`, { complete: true }).reason).toMatch(
      /^lines 1 to 3 look like a title, not the header: the column names seem to be on line 4 /,
    );
    expect(errorOf(`Iris export, December 2026\n${rows}`, { chunkRows: 5, dialect: 'auto' }).message).toMatch(
      /^line 1 looks like a title, not the header: .*; delete the line above the column names and upload the file again$/,
    );
    // A title of one field (no delimiter in it) gets the same advice, not a one-column reading that lacks every column.
    const one = detectDialect(`Iris export 2026\n${rows}`, { complete: true });
    expect(one).toMatchObject({ confidence: 'none', advice: 'delete the line above the column names and upload the file again' });
    expect(one.reason).toBe(
      'line 1 looks like a title, not the header: the column names seem to be on line 2 ' +
        `("sepal_length", "sepal_width", "petal_length", "petal_width", …; ',' gives 5 fields on 2 of 2 rows below it)`,
    );
    expect(detectDialect(`Iris export 2026\n\n${rows}`, { complete: true }).reason).toMatch(
      /^lines 1 to 2 look like a title, not the header: the column names seem to be on line 3 /,
    );
    expect(errorOf(`Iris export 2026\n${rows}`, { chunkRows: 5, dialect: 'auto' }).message).toMatch(
      /^line 1 looks like a title, not the header: the column names seem to be on line 2 .*; delete the line above the column names and upload the file again$/,
    );
    // A one-column file stays one: no later line splits into columns.
    expect(detectDialect('value\n1\n2\n', { complete: true })).toMatchObject({ delimiter: ',', confidence: 'low' });
    // A delimiter chosen by the user is never refused.
    expect(detectDialect(`Iris export 2026\n${rows}`, { complete: true, delimiter: ',' }).confidence).not.toBe('none');
  });

  it('one-column files and empty samples: the default, low confidence', () => {
    expect(detectDialect('value\n1\n2\n')).toMatchObject({ delimiter: ',', decimal: '.', confidence: 'low' });
    expect(detectDialect('')).toMatchObject({ delimiter: ',', confidence: 'low' });
  });

  it('BOM, CRLF, blank lines; an incomplete sample drops its cut last line', () => {
    expect(detectDialect(Buffer.from('\uFEFFa;b\r\n\r\n1;2\r\n'))).toMatchObject({ delimiter: ';', confidence: 'high' });
    // Cut in the middle of the third line: "3;4;5" would look ragged, but it is not a whole line.
    expect(detectDialect('a;b\n1;2\n3', { complete: false })).toMatchObject({ delimiter: ';', confidence: 'high' });
  });
});

describe('resolveDialect', () => {
  it('defaults, and refuses what cannot be read', () => {
    expect(resolveDialect(undefined)).toEqual({ delimiter: ',', decimal: '.' });
    expect(resolveDialect({ delimiter: ';' })).toEqual({ delimiter: ';', decimal: '.' });
    expect(() => resolveDialect({ delimiter: ',', decimal: ',' })).toThrow(/comma-delimited file cannot use ','/);
    expect(() => resolveDialect({ delimiter: ':' as ',' })).toThrow(/unsupported delimiter ":"/);
  });
});

describe('CsvScanner with a dialect', () => {
  it("'auto' reads a `;` file with decimal commas; the layout records the dialect", () => {
    const r = layoutOrError('id;a;b\n1;1,5;2\n2;3,25;4\n', { chunkRows: 1, dialect: 'auto' });
    if ('error' in r) throw r.error;
    expect(r.layout).toMatchObject({ header: ['id', 'a', 'b'], rows: 2, delimiter: ';', decimal: ',' });
    expect(r.layout.chunks.map((c) => [c.start, c.end])).toEqual([
      [7, 15],
      [15, 24],
    ]);
  });

  it('a default comma layout has no dialect fields (stored layouts stay as they were)', () => {
    const r = layoutOrError('a,b\n1,2\n', { chunkRows: 5, dialect: 'auto' });
    if ('error' in r) throw r.error;
    expect('delimiter' in r.layout).toBe(false);
    expect('decimal' in r.layout).toBe(false);
  });

  it('detection does not depend on how the bytes arrive (held back until detectBytes, or the end)', () => {
    const data = Buffer.from('x|y|z\n"a|b"|1|2\n"c\nd"|3|4\n5|6|7\n');
    for (const detectBytes of [8, 12, 20, 1000]) {
      const opts = { chunkRows: 2, dialect: 'auto' as const, detectBytes };
      const whole = outcome(scanCuts(data, [], opts));
      expect(whole).toMatchObject({ delimiter: '|', header: ['x', 'y', 'z'], rows: 3 });
      for (let cut = 1; cut < data.length; cut++) expect(outcome(scanCuts(data, [cut, cut + 3], opts))).toEqual(whole);
    }
  });

  it('a part of the dialect chosen, the other detected', () => {
    const r = layoutOrError('a;b\n1.5;2\n', { chunkRows: 5, dialect: { delimiter: 'auto', decimal: ',' } });
    if ('error' in r) throw r.error;
    expect(r.layout).toMatchObject({ delimiter: ';', decimal: ',' });
    const t = layoutOrError('a\tb\n1,5\t2\n', { chunkRows: 5, dialect: { delimiter: '\t', decimal: 'auto' } });
    if ('error' in t) throw t.error;
    expect(t.layout).toMatchObject({ delimiter: '\t', decimal: ',' });
    const e = errorOf('a,b\n1,2\n', { chunkRows: 5, dialect: { delimiter: 'auto', decimal: ',' } });
    expect(e.code).toBe('wrong_delimiter');
    expect(e.message).toMatch(/so ',' cannot be its decimal separator as chosen; check that every row/);
    expect(() => new CsvScanner({ chunkRows: 5, dialect: { delimiter: ',', decimal: ',' } })).toThrow(
      /comma-delimited file cannot use ','/,
    );
  });

  it('explicit dialects: the chosen delimiter is used; a file that uses another one is refused with both named', () => {
    const r = layoutOrError('a\tb\n1\t2\n', { chunkRows: 5, dialect: { delimiter: '\t' } });
    if ('error' in r) throw r.error;
    expect(r.layout.header).toEqual(['a', 'b']);
    const e = errorOf('a,b,c\n1,2,3\n', { chunkRows: 5, dialect: { delimiter: ';' } });
    expect(e.code).toBe('wrong_delimiter');
    expect(e.message).toBe("the file seems to use ',' as delimiter, not ';' as chosen; choose ',', or let batchcast detect it");
  });

  it("'auto': wrong_delimiter only when no delimiter is consistent; other problems keep their codes", () => {
    const e = errorOf('a;b;c\n1;2\n3\n4;5;6;7\n', { chunkRows: 5, dialect: 'auto' });
    expect(e.code).toBe('wrong_delimiter');
    expect(e.message).toMatch(/^could not tell how the columns are separated: /);
    expect(errorOf('a,b\n1,2,\n3,4,\n', { chunkRows: 5, dialect: 'auto' }).message).toBe(
      "the rows end with ',' after their last value, which makes one field more than the header has; " +
        "remove the ',' at the end of each row, or give that last column a name in the header",
    );
    expect(errorOf('', { chunkRows: 5, dialect: 'auto' }).code).toBe('empty_file');
    expect(errorOf('\n\n', { chunkRows: 5, dialect: 'auto' }).code).toBe('no_header');
    expect(layoutOf('a;a\n1;2\n', { chunkRows: 5, dialect: 'auto' }).header).toEqual(['a', 'a.1']);
    expect(errorOf(Buffer.from('\x89PNG\r\n\x1a\n....', 'latin1'), { chunkRows: 5, dialect: 'auto' }).code).toBe('binary_file');
    // One-column files are still fine.
    const ok = layoutOrError('value\n1\n2\n', { chunkRows: 5, dialect: 'auto' });
    expect('layout' in ok && ok.layout.rows).toBe(2);
  });
});

/** A `;` CSV as Excel writes it in a German locale: decimal commas, thousands points, CRLF. */
const EXCEL_DE =
  'id;betrag;menge\r\n' +
  'a;1.234,5;-1,5e3\r\n' +
  'b;12,5;1.234.567\r\n' +
  'c;1.23,5;2\r\n' +
  'd;1,234;3\r\n' +
  'e;"1.000,25";4\r\n' +
  'f;1.5;5\r\n';

describe('decimal commas and thousands separators', () => {
  it('a `;` CSV with thousands separators: valid groups accepted exactly, others fail their row saying what was expected', async () => {
    const r = layoutOrError(EXCEL_DE, { chunkRows: 2, dialect: 'auto' });
    if ('error' in r) throw r.error;
    const layout = r.layout;
    expect(layout).toMatchObject({ delimiter: ';', decimal: ',', rows: 6 });
    const path = tempFile(EXCEL_DE);
    for (const type of ['float64', 'float32'] as const) {
      const targets: ColumnTarget[] = [{ name: 'x', type, columns: [1, 2] }];
      const all = mergeBatches(await collectLayoutBatches(path, layout, { targets, batchSize: 4, dialect: layout }), 1);
      const expected = [1234.5, -1500, 12.5, 1234567, NaN, NaN, 1.234, 3, 1000.25, 4, NaN, NaN];
      expect(all.data[0]).toEqual(type === 'float32' ? expected.map(Math.fround) : expected);
      expect(all.errors).toEqual([
        {
          row: 2,
          column: 'betrag',
          value: '1.23,5',
          message:
            `column "betrag": "1.23,5" is not a number: ',' is the decimal separator and '.' ` +
            'may only separate groups of three digits (e.g. 1234,5 or 1.234,5)',
        },
        expect.objectContaining({ row: 5, column: 'betrag', value: '1.5' }),
      ]);
    }
    // The readBatches dialect option takes the layout itself.
    const ints = mergeBatches(
      await collectLayoutBatches(path, layout, { targets: [{ name: 'm', type: 'int64', columns: [2] }], batchSize: 10, dialect: layout }),
      1,
    );
    expect(ints.data[0]).toEqual([-1500n, 1234567n, 2n, 3n, 4n, 5n]);
  });

  it('decimal commas past the detected sample: the row fails once, saying how to choose the comma everywhere it can be chosen', async () => {
    // 3,000 rows of integers decide nothing; the decimal commas come after the sample: read with decimal '.'.
    const text = `a;b;c;d\n${'5;3;1;0\n'.repeat(3000)}5,1;3,5;1,4;0,2\n1.5;2;3;4\n`;
    const r = layoutOrError(text, { chunkRows: 10_000, dialect: 'auto' });
    if ('error' in r) throw r.error;
    expect(r.layout.decimal ?? '.').toBe('.');
    // The layout says the decimal separator was a default, not a finding: lines were left unseen.
    expect(r.layout.decimalUndecided).toBe(true);
    const targets: ColumnTarget[] = [{ name: 'x', type: 'float32', columns: [0, 1, 2, 3] }];
    const all = mergeBatches(await collectLayoutBatches(tempFile(text), r.layout, { targets, batchSize: 5000, dialect: r.layout }), 4);
    expect(all.errors).toHaveLength(1);
    const message = all.errors[0]!.message;
    expect(message).toMatch(/^column "a": "5,1" is not a number: '\.' is the decimal separator/);
    expect(message).toContain(' | column "d": "0,2" is not a number');
    // Said once for the row, naming the upload page's field, the API's field and the CLI's option.
    expect(
      message.endsWith(
        `. If ',' is this file's decimal separator (it is detected from the first lines), score the file again choosing the comma: ` +
          `"Decimal separator (CSV): Comma 1,5" on the upload page, the API's decimal field ",", the CLI's --decimal comma`,
      ),
    ).toBe(true);
    expect(message.match(/If ','/g)).toHaveLength(1);
  });

  it('decimalUndecided only when the decimal separator could be a comma, no decimal number was seen, and lines were unseen', () => {
    const undecided = (text: string) => {
      const r = layoutOrError(text, { chunkRows: 10_000, dialect: 'auto' });
      if ('error' in r) throw r.error;
      return r.layout.decimalUndecided;
    };
    expect(undecided('a;b\n1;2\n3;4\n')).toBeUndefined(); // the whole file seen: no decimal to get wrong
    expect(undecided(`a;b\n${'1;2\n'.repeat(300)}`)).toBe(true); // 300 lines, 200 looked at
    expect(undecided(`a;b\n1,5;2\n${'1;2\n'.repeat(300)}`)).toBeUndefined(); // decided: comma
    expect(undecided(`a;b\n1.5;2\n${'1;2\n'.repeat(300)}`)).toBeUndefined(); // decided: point
    expect(undecided(`a,b\n${'1,2\n'.repeat(300)}`)).toBeUndefined(); // a comma file cannot have decimal commas
  });

  it('a decimal-comma file with `1.5`: the advice names the point; a comma-delimited file gets no decimal-comma advice', async () => {
    const de = 'a;b\n1,5;2,5\n3,5;1.5\n';
    const r = layoutOrError(de, { chunkRows: 10, dialect: 'auto' });
    if ('error' in r) throw r.error;
    expect(r.layout.decimal).toBe(',');
    const targets: ColumnTarget[] = [{ name: 'x', type: 'float64', columns: [0, 1] }];
    const errs = mergeBatches(await collectLayoutBatches(tempFile(de), r.layout, { targets, batchSize: 10, dialect: r.layout }), 2).errors;
    expect(errs.map((e) => e.message)).toEqual([
      expect.stringMatching(/"1\.5" is not a number.*choosing the point: "Decimal separator \(CSV\): Point 1\.5".*--decimal point$/),
    ]);
    // A comma file cannot have decimal commas: no advice to choose them.
    const comma = 'a,b\n1,"2,5"\n';
    const c = layoutOrError(comma, { chunkRows: 10 });
    if ('error' in c) throw c.error;
    const cErrs = mergeBatches(await collectLayoutBatches(tempFile(comma), c.layout, { targets, batchSize: 10 }), 2).errors;
    expect(cErrs.map((e) => e.message)).toEqual([expect.not.stringContaining('Decimal separator')]);
  });

  it('decimal `.`: `1,234.5` in a quoted field is 1234.5; `1,23` fails its row', async () => {
    const text = 'id,v\n1,"1,234.5"\n2,"-12,345,678"\n3,"1,23"\n4,"1,2345.0"\n';
    const r = layoutOrError(text, { chunkRows: 10 });
    if ('error' in r) throw r.error;
    const all = mergeBatches(
      await collectLayoutBatches(tempFile(text), r.layout, { targets: [{ name: 'v', type: 'float64', columns: [1] }], batchSize: 10 }),
      1,
    );
    expect(all.data[0]).toEqual([1234.5, -12345678, NaN, NaN]);
    expect(all.errors.map((e) => [e.row, e.message])).toEqual([
      [
        2,
        `column "v": "1,23" is not a number: '.' is the decimal separator and ',' may only separate groups of three digits (e.g. 1234.5 or 1,234.5)`,
      ],
      [3, expect.stringContaining('"1,2345.0" is not a number')],
    ]);
  });

  it('spaces grouping digits by three (French style; Excel writes U+00A0 or U+202F) in either decimal dialect; other spacing fails its row', async () => {
    // Detected as decimal commas from such cells alone.
    expect(detectDialect('id;v\n1;1\u00a0234,50\n2;3\u202f456,75\n3;12 345,5\n')).toMatchObject({ delimiter: ';', decimal: ',' });
    expect(detectDialect('id;v\n1;1 234.50\n2;1.234 567,5\n')).toMatchObject({ delimiter: ';', decimal: '.' });
    const french = 'id;v\n1;1 234,5\n2;-12\u00a0345\u00a0678\n3;"1\u202f000,25"\n4;1 23,5\n5;1 234.5\n6;1 234 5\n7;1.234 567,5\n';
    const r = layoutOrError(french, { chunkRows: 10, dialect: { delimiter: ';', decimal: ',' } });
    if ('error' in r) throw r.error;
    const all = mergeBatches(
      await collectLayoutBatches(tempFile(french), r.layout, {
        targets: [{ name: 'v', type: 'float64', columns: [1] }],
        batchSize: 10,
        dialect: r.layout,
      }),
      1,
    );
    expect(all.data[0]).toEqual([1234.5, -12345678, 1000.25, NaN, NaN, NaN, NaN]);
    expect(all.errors.map((e) => e.value)).toEqual(['1 23,5', '1 234.5', '1 234 5', '1.234 567,5']);
    const dot = 'id,v\n1,1 234.5\n2,"1 234,5"\n';
    const d = layoutOrError(dot, { chunkRows: 10 });
    if ('error' in d) throw d.error;
    const dotted = mergeBatches(
      await collectLayoutBatches(tempFile(dot), d.layout, { targets: [{ name: 'v', type: 'float64', columns: [1] }], batchSize: 10 }),
      1,
    );
    expect(dotted.data[0]).toEqual([1234.5, NaN]);
  });

  it('coerceObjects reads string cells with the dialect, JSON numbers as numbers', () => {
    const targets: ColumnTarget[] = [{ name: 'x', type: 'float64', columns: [0, 1] }];
    const b = coerceObjects([{ a: '1,5', b: 2.5 }, { a: '1.234,5', b: '-3' }, { a: '1.5' }], ['a', 'b'], targets, {
      delimiter: ';',
      decimal: ',',
    });
    expect(Array.from(b.data[0] as Float64Array)).toEqual([1.5, 2.5, 1234.5, -3, NaN, NaN]);
    expect(b.errors.map((e) => e.row)).toEqual([2]);
    expect(Array.from(coerceObjects([{ a: '1.5', b: 1 }], ['a', 'b'], targets).data[0] as Float64Array)).toEqual([1.5, 1]);
  });
});

describe('readRecords and splitRecord with a dialect', () => {
  it('a tab file: records and fields, quotes as in comma files (a quote opens a field after a tab)', async () => {
    const text = 'a\tb\n"x\ty"\t1\n2\t"two\nlines"\n"q""q"\t3\n';
    const r = layoutOrError(text, { chunkRows: 1, dialect: 'auto' });
    if ('error' in r) throw r.error;
    expect(r.layout.rows).toBe(3);
    const path = tempFile(text);
    for (const hwm of [3, 7, 1000]) {
      const records = await recordsOf(path, r.layout.dataStart, r.layout.bytes, r.layout, hwm);
      expect(records.map((x) => splitRecord(x, r.layout))).toEqual([
        ['x\ty', '1'],
        ['2', 'two\nlines'],
        ['q"q', '3'],
      ]);
      let perChunk: string[][] = [];
      for (const c of r.layout.chunks)
        perChunk = perChunk.concat((await recordsOf(path, c.start, c.end, r.layout, hwm)).map((x) => splitRecord(x, r.layout)));
      expect(perChunk).toHaveLength(3);
    }
  });
});
