import { describe as group, expect, it } from 'vitest';
import { CsvFormatError, CsvScanner, scanFile, splitRecord } from '../src/index.js';
import { collectRecords, describe, layoutOf, rng, scanBytewise, scanCuts, scanWhole, tempFile } from './helpers.js';

function errorOf(data: Buffer | string, opts?: ConstructorParameters<typeof CsvScanner>[0]): CsvFormatError {
  const r = scanWhole(data, opts);
  if (!('error' in r)) throw new Error(`expected a CsvFormatError, got layout ${JSON.stringify(r.layout)}`);
  return r.error;
}

group('CsvScanner layout', () => {
  it('reads an LF file', () => {
    expect(layoutOf('a,b\n1,2\n3,4\n')).toEqual({
      header: ['a', 'b'],
      bom: false,
      newline: '\n',
      dataStart: 4,
      bytes: 12,
      rows: 2,
      chunks: [{ index: 0, start: 4, end: 12, firstRow: 0, rows: 2 }],
    });
  });

  it('gives the header names as soon as the header line has ended, before finish() (after detection)', () => {
    const s = new CsvScanner({ chunkRows: 10, dialect: { delimiter: ';', decimal: ',' } });
    s.push(Buffer.from('sepal_len'));
    expect(s.headerNames).toBeNull();
    s.push(Buffer.from('gth;"petal;width"\r'));
    expect(s.headerNames).toBeNull();
    s.push(Buffer.from('\n5,1;0,2\n'));
    expect(s.headerNames).toEqual(['sepal_length', 'petal;width']);
    // Detected dialects hold the first bytes back: the names come once detection has seen them (or at finish()).
    const auto = new CsvScanner({ chunkRows: 10, dialect: 'auto', detectBytes: 64 });
    auto.push(Buffer.from('a\tb\n'));
    expect(auto.headerNames).toBeNull();
    auto.push(Buffer.from('1\t2\n'.repeat(20)));
    expect(auto.headerNames).toEqual(['a', 'b']);
  });

  it('reads a CRLF file and reports its newline', () => {
    const l = layoutOf('a,b\r\n1,2\r\n3,4\r\n');
    expect(l.newline).toBe('\r\n');
    expect(l.header).toEqual(['a', 'b']);
    expect(l.dataStart).toBe(5);
    expect(l.rows).toBe(2);
    expect(l.chunks).toEqual([{ index: 0, start: 5, end: 15, firstRow: 0, rows: 2 }]);
  });

  it('strips a UTF-8 BOM from the header and counts it in offsets', () => {
    const l = layoutOf('\uFEFFid,x\n1,2\n');
    expect(l.bom).toBe(true);
    expect(l.header).toEqual(['id', 'x']);
    expect(l.dataStart).toBe(8);
    expect(l.bytes).toBe(12);
  });

  it('does not count blank lines (empty or a lone CR) anywhere', () => {
    const text = '\n\r\na,b\n\n1,2\r\n\r\n3,4\n\n\r\n';
    const l = layoutOf(text, { chunkRows: 1 });
    expect(l.header).toEqual(['a', 'b']);
    expect(l.rows).toBe(2);
    const first = text.indexOf('1,2');
    expect(l.dataStart).toBe(first);
    expect(l.chunks).toEqual([
      { index: 0, start: first, end: first + 5, firstRow: 0, rows: 1 },
      // Where it starts, as an editor numbers lines: the blank line after `1,2` (line 6), every LF counted.
      { index: 1, start: first + 5, end: text.indexOf('3,4') + 4, firstRow: 1, rows: 1, line: 6 },
    ]);
  });

  it('tells each chunk after the first the line it starts on, a quoted line break counted', () => {
    const l = layoutOf('a,b\n1,"x\ny"\n\n3,4\n5,6\n', { chunkRows: 1 });
    expect(l.chunks.map((c) => c.line)).toEqual([undefined, 4, 6]);
  });

  it('counts a last record without a line ending', () => {
    const l = layoutOf('a,b\n1,2\n3,4');
    expect(l.rows).toBe(2);
    expect(l.chunks[0]!.end).toBe(11);
    expect(l.bytes).toBe(11);
  });

  it('does not count a final lone CR as a record', () => {
    const l = layoutOf('a,b\n1,2\n\r');
    expect(l.rows).toBe(1);
    expect(l.chunks[0]!.end).toBe(8);
  });

  it('keeps line breaks inside quoted fields inside the record', () => {
    const l = layoutOf('a,b\n"x\ny",1\n"p""q\r\n",2\n3,"z"\n');
    expect(l.rows).toBe(3);
  });

  it('reads quoted header names', () => {
    expect(layoutOf('"a,b","say ""hi""",c\n1,2,3\n').header).toEqual(['a,b', 'say "hi"', 'c']);
  });

  it('treats a quote in the middle of an unquoted field as a character', () => {
    const l = layoutOf('h,w\n5\'3",x\n6,y\n');
    expect(l.rows).toBe(2);
  });

  it('keeps header names exactly as written', () => {
    expect(layoutOf(' a ,b\r\n1,2\r\n').header).toEqual([' a ', 'b']);
  });

  it('scanFile reads a file from disk the same way', async () => {
    const text = 'a,b\n1,2\n"3\n",4\n';
    expect(await scanFile(tempFile(text), { chunkRows: 1, highWaterMark: 3 })).toEqual(layoutOf(text, { chunkRows: 1 }));
  });
});

group('CsvScanner errors', () => {
  it('empty_file for no bytes or only a BOM', () => {
    expect(errorOf('').code).toBe('empty_file');
    expect(errorOf('\uFEFF').code).toBe('empty_file');
  });

  it('no_header when there are only blank lines', () => {
    const e = errorOf('\n\r\n\n');
    expect(e.code).toBe('no_header');
  });

  it('no_header when the first line holds no names at all', () => {
    expect(errorOf(' \n1\n').code).toBe('no_header');
  });

  it('no_rows for a header alone', () => {
    for (const text of ['a,b\n', 'a,b', 'a,b\r\n\r\n\n']) {
      const e = errorOf(text);
      expect(e.code).toBe('no_rows');
      expect(e.message).toMatch(
        /^the file has a header \(line 1\) but no data rows: there is nothing to score\..* add the rows to score and upload it again$/,
      );
    }
  });

  it('binary_file names a PNG image and is thrown by the first push', () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 7)]);
    const scanner = new CsvScanner({ chunkRows: 10 });
    let thrown: unknown;
    try {
      scanner.push(png);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CsvFormatError);
    expect((thrown as CsvFormatError).code).toBe('binary_file');
    expect((thrown as CsvFormatError).message).toBe('this looks like a PNG image, not a CSV file');
    // Every later call reports the same error.
    expect(() => scanner.finish()).toThrow(thrown as Error);
  });

  it('binary_file names a ZIP archive (xlsx) and a PDF', () => {
    const zip = errorOf(Buffer.from('PK\x03\x04\x14\x00\x06\x00rest', 'latin1'));
    expect(zip.code).toBe('binary_file');
    expect(zip.message).toMatch(/^this looks like a ZIP archive/);
    expect(errorOf('%PDF-1.7\n%...\n').message).toBe('this looks like a PDF document, not a CSV file');
  });

  it('binary_file for a NUL byte, with its line, from push()', () => {
    const data = Buffer.from('a,b\n1,2\n3,\x004\n', 'latin1');
    const scanner = new CsvScanner({ chunkRows: 10 });
    expect(() => scanner.push(data)).toThrow(CsvFormatError);
    const e = errorOf(data);
    expect(e.code).toBe('binary_file');
    expect(e.line).toBe(3);
    expect(e.message).toContain('line 3');
  });

  it('invalid_utf8 with the line number (Latin-1 text)', () => {
    const e = errorOf(Buffer.from('name,x\nJos\xe9,1\nb,2\n', 'latin1'));
    expect(e.code).toBe('invalid_utf8');
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/^line 2 is not valid UTF-8/);
  });

  it('accepts multi-byte characters split across pushes in every possible way', () => {
    const data = Buffer.from('näme,€,𝄞\nö,💡,x\n', 'utf8');
    const expected = describe(scanWhole(data));
    expect(expected).toMatchObject({ header: ['näme', '€', '𝄞'], rows: 1 });
    expect(describe(scanBytewise(data))).toEqual(expected);
    for (let cut = 1; cut < data.length; cut++) expect(describe(scanCuts(data, [cut]))).toEqual(expected);
  });

  it('invalid_utf8 for a character cut by the end of the file, an overlong form and a bad continuation', () => {
    expect(errorOf(Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0x31, 0x2c, 0xe2, 0x82])).code).toBe('invalid_utf8');
    const overlong = Buffer.concat([Buffer.from('a,b\n1,'), Buffer.from([0xc0, 0x80]), Buffer.from('\n')]);
    expect(errorOf(overlong).line).toBe(2);
    const badCont = Buffer.concat([Buffer.from('a,b\n1,2\n3,'), Buffer.from([0xe2, 0x41, 0x41]), Buffer.from('\n')]);
    const e = errorOf(badCont);
    expect([e.code, e.line]).toEqual(['invalid_utf8', 3]);
    expect(describe(scanBytewise(badCont))).toEqual(describe(scanWhole(badCont)));
  });

  it('invalid_utf8 explains UTF-16 files', () => {
    const e = errorOf(Buffer.from('\ufeffa,b\n1,2\n', 'utf16le'));
    expect(e.code).toBe('invalid_utf8');
    expect(e.message).toContain('UTF-16');
  });

  it('unterminated_quote names the line where the quoted field starts', () => {
    const e = errorOf('a,b\n1,2\n3,"abc\n4,5\n6,7\n');
    expect(e.code).toBe('unterminated_quote');
    expect(e.line).toBe(3);
    expect(e.message).toContain('starts on line 3');
  });

  it('reads a name given twice as pandas does (`a.1`), noting both positions and the refusal for a model that reads it', () => {
    const layout = layoutOf('a,b,a\n1,2,3\n');
    expect(layout.header).toEqual(['a', 'b', 'a.1']);
    expect(layout.duplicateColumns).toEqual([
      { columns: [0, 2], line: 1, message: 'the header (line 1) has two columns named "a" (columns 1 and 3); rename one of them' },
    ]);
    // A third one is `.2`; a name the header has already is skipped, as pandas skips it.
    expect(layoutOf('a,a.1,a,a\n1,2,3,4\n').header).toEqual(['a', 'a.1', 'a.2', 'a.3']);
    expect(layoutOf('a,b\n1,2\n').duplicateColumns).toBeUndefined();
  });

  it('compares names ignoring case, as the other formats do (typed results cannot hold both)', () => {
    const layout = layoutOf('sepal_length,sepal_width,Sepal_Length\n5.1,3.5,99\n');
    expect(layout.header).toEqual(['sepal_length', 'sepal_width', 'Sepal_Length.1']);
    expect(layout.duplicateColumns?.[0]?.message).toBe(
      'the header (line 1) has two columns named "sepal_length" and "Sepal_Length" (columns 1 and 3; names are compared ignoring case); rename one of them',
    );
    // The same with the dialect detected (how uploads are scanned), at line 2 after Excel's `sep=` line.
    const detected = layoutOf('sepal_length;Sepal_Length\n5,1;99\n', { chunkRows: 5, dialect: 'auto' });
    expect(detected.header).toEqual(['sepal_length', 'Sepal_Length.1']);
    expect(layoutOf('sep=;\na;A\n1;2\n', { chunkRows: 5 }).duplicateColumns?.[0]).toMatchObject({ columns: [0, 1], line: 2 });
  });

  it("takes Excel's `sep=` first line as the delimiter and reads the header on the next line, however the bytes are cut", () => {
    const file = Buffer.from('\ufeffsep=;\r\na;b\r\n1,5;2\r\n3;x\r\n');
    for (const opts of [{ chunkRows: 1, dialect: 'auto' as const }, { chunkRows: 1 }]) {
      const whole = layoutOf(file, opts);
      expect(whole).toMatchObject({ header: ['a', 'b'], bom: true, delimiter: ';', newline: '\r\n', rows: 2, dataStart: 3 + 7 + 5 });
      expect(describe(scanBytewise(file, opts))).toEqual(describe(scanWhole(file, opts)));
      for (let cut = 1; cut < 16; cut++) expect(describe(scanCuts(file, [cut], opts))).toEqual(describe(scanWhole(file, opts)));
    }
    expect(layoutOf('\ufeffsep=;\r\na;b\r\n1,5;2\r\n3;x\r\n', { chunkRows: 1, dialect: 'auto' }).decimal).toBe(',');
    expect(layoutOf('SEP=\t\na\tb\n1\t2\n', { chunkRows: 5, dialect: 'auto' })).toMatchObject({ header: ['a', 'b'], delimiter: '\t' });
    // A delimiter chosen wins; the line is skipped all the same.
    expect(layoutOf('sep=;\na,b\n1,2\n', { chunkRows: 5, dialect: { delimiter: ',', decimal: 'auto' } }).header).toEqual(['a', 'b']);
    // Not a `sep=` line: more after the character, or text where no person's file is (a workbook's canonical CSV).
    expect(layoutOf('sep=xy\n1\n', { chunkRows: 5 }).header).toEqual(['sep=xy']);
    expect(layoutOf('sep=x\n1\n', { chunkRows: 5, dialect: { delimiter: ',', decimal: '.' }, sepLine: false }).header).toEqual(['sep=x']);
    expect(errorOf('sep=x\n1\n', { chunkRows: 5 }).message).toMatch(
      /^the file's first line, "sep=x", says its columns are separated by 'x'/,
    );
    // A delimiter batchcast does not read is refused, saying so; a bad row is named by its physical line.
    expect(errorOf('sep=:\na:b\n1:2\n', { chunkRows: 5, dialect: 'auto' }).message).toBe(
      "the file's first line, \"sep=:\", says its columns are separated by ':'; batchcast reads files separated by ',' ';' tab or '|': save it with one of those",
    );
    expect(errorOf('sep=,\na,b\n"1,2\n', { chunkRows: 5, dialect: 'auto' }).line).toBe(3);
    expect(errorOf('sep=;\r\n\r\n', { chunkRows: 5, dialect: 'auto' }).message).toBe(
      'the file has no header: after its "sep=" line it holds only blank lines (the next line must hold the column names)',
    );
  });

  it('names a column without a name as pandas does: an index written by to_csv, a trailing comma, a blank name', () => {
    expect(layoutOf(',a,b\n0,1,2\n', { chunkRows: 5 }).header).toEqual(['Unnamed: 0', 'a', 'b']);
    expect(layoutOf('a,b,\r\n1,2,\r\n', { chunkRows: 5, dialect: 'auto' }).header).toEqual(['a', 'b', 'Unnamed: 2']);
    // pandas.read_csv(sep=';') reads this header as ['a', ' ', 'b', 'Unnamed: 3', 'Unnamed: 4'].
    expect(layoutOf('a; ;b;;\n1;2;3;;\n', { chunkRows: 5, dialect: 'auto' }).header).toEqual(['a', ' ', 'b', 'Unnamed: 3', 'Unnamed: 4']);
    // A header of blank names only is no header; a name taken already is a duplicate, as any.
    expect(errorOf(',,\n1,2,3\n').code).toBe('no_header');
    expect(layoutOf('Unnamed: 1,\n1,2\n').duplicateColumns?.[0]?.message).toBe(
      'the header (line 1) has two columns named "Unnamed: 1" (columns 1 and 2); rename one of them',
    );
  });

  it('too_many_columns beyond maxColumns, exactly maxColumns is fine', () => {
    const wide = errorOf('a,b,c,d\n1,2,3,4\n', { chunkRows: 5, maxColumns: 3 });
    expect(wide.code).toBe('too_many_columns');
    expect(wide.message).toMatch(
      /^the header \(line 1\) has more than 3 columns, the most batchcast reads: keep only the columns the model needs/,
    );
    expect(layoutOf('a,b,c\n1,2,3\n', { chunkRows: 5, maxColumns: 3 }).header).toEqual(['a', 'b', 'c']);
    expect(errorOf('"a,x",b,c,d\n1,2,3,4\n', { chunkRows: 5, maxColumns: 3 }).code).toBe('too_many_columns');
  });

  it('field_too_large for an unquoted or quoted field larger than maxFieldBytes, in any piece layout', () => {
    const opts = { chunkRows: 5, maxFieldBytes: 10 };
    expect(layoutOf('a,b\n1234567890,x\n', opts).rows).toBe(1);
    const texts = [
      'a,b\n12345678901,x\n',
      'a,b\nx,12345678901\n',
      'a,b\nx,12345678901',
      'a,b\n1,"abc\n\n\n\nxyz"\n',
      'a,b\n1,"ab""cdefghij"\n',
      'abcdefghijk,b\n1,2\n',
    ];
    for (const text of texts) {
      const data = Buffer.from(text);
      const e = scanWhole(data, opts);
      expect(describe(e)).toMatchObject({ code: 'field_too_large' });
      expect(describe(scanBytewise(data, opts))).toEqual(describe(e));
    }
    expect(errorOf('a,b\n1,"abc\n\n\n\nxyz"\n', opts).line).toBe(2);
  });

  it('field_too_large names the row, the column and the limit, and blames a missing quote only when the value runs over line breaks', () => {
    const opts = { chunkRows: 5, maxFieldBytes: 10 };
    const cases: [string, string][] = [
      // A closed quoted value, one line, in the third column (after a quoted field holding the delimiter).
      [
        'a,b,note\n1,2,x\n"x,y",2,"12345678901"\n',
        'row 2 (line 3), column 3 ("note"): its value is larger than 10 bytes, the most batchcast reads in one cell; ' +
          'it is quoted and has no line break within 10 bytes: a value that large is not read; shorten it, or leave that column out of the file if the model does not need it',
      ],
      [
        'a,b\nx,12345678901\n',
        'row 1 (line 2), column 2 ("b"): its value is larger than 10 bytes, the most batchcast reads in one cell; ' +
          'no delimiter or line break ends it within 10 bytes: a value that large is not read; shorten it, or leave that column out of the file if the model does not need it',
      ],
      [
        'a,b\n1,"abc\n2,3\n4,5\n"\n',
        'row 1 (line 2), column 2 ("b"): its value is larger than 10 bytes, the most batchcast reads in one cell; ' +
          'it opens with a quote on line 2 and runs on over line breaks: its closing quote is probably missing, so the lines after it were read as part of it; close the quote (a quote inside a value is written twice, "")',
      ],
    ];
    for (const [text, message] of cases) {
      const data = Buffer.from(text);
      expect(errorOf(text, opts).message).toBe(message);
      expect(describe(scanBytewise(data, opts))).toEqual(describe(scanWhole(data, opts)));
    }
    // A field far into a record that spans pieces: its column is still named.
    const wide = Buffer.from(`a,b\n${'x'.repeat(5000)},"${'y'.repeat(20000)}"\n`);
    const e = scanCuts(wide, [100, 3000, 6000], { chunkRows: 5, maxFieldBytes: 10000 });
    expect('error' in e && e.error.message).toMatch(/^row 1 \(line 2\), column 2 \("b"\): its value is larger than 9\.8 KiB/);
    expect(describe(e)).toEqual(describe(scanWhole(wide, { chunkRows: 5, maxFieldBytes: 10000 })));
  });

  it('field_too_large is checked per field (raw bytes, quotes included), not per record', () => {
    const opts = { chunkRows: 5, maxFieldBytes: 4 };
    expect(errorOf('a,b,c\n1,2,"1""2"\n', opts).code).toBe('field_too_large');
    const data = Buffer.from('a,b,c\n1234,1234,1234\n"12",1234,""\n');
    expect(layoutOf(data, opts).rows).toBe(2);
    for (let cut = 1; cut < data.length; cut++) expect(describe(scanCuts(data, [cut], opts))).toMatchObject({ rows: 2 });
  });

  it('wrong_delimiter for semicolon, tab and pipe files', () => {
    const e = errorOf('a;b;c\n1;2;3\n');
    expect(e.code).toBe('wrong_delimiter');
    // Not "batchcast reads comma-separated files": it reads ';' files, detected or chosen.
    expect(e.message).toBe(
      "the file seems to use ';' as delimiter, but it was read as comma-separated; leave out the delimiter option to let batchcast detect it, or set the delimiter to ';'",
    );
    expect(errorOf('a\tb\tc\n1\t2\t3\n').message).toContain('use tab as delimiter');
    expect(errorOf('a|b\n1|2\n').message).toContain("use '|' as delimiter");
    // A one-column file with a plain name is fine.
    expect(layoutOf('value\n1\n2\n').rows).toBe(2);
  });

  it('header_too_large beyond maxHeaderBytes, from push()', () => {
    const scanner = new CsvScanner({ chunkRows: 5, maxHeaderBytes: 16 });
    scanner.push(Buffer.from('abcdefgh,'));
    expect(() => scanner.push(Buffer.from('ijklmnopq,rs'))).toThrow(expect.objectContaining({ code: 'header_too_large' }));
  });

  it('unsupported_newline for old Mac files (CR only)', () => {
    const e = errorOf('a,b\r1,2\r3,4\r');
    expect(e.code).toBe('unsupported_newline');
    expect(describe(scanBytewise(Buffer.from('a,b\r1,2\r3,4\r')))).toEqual(describe(scanWhole('a,b\r1,2\r3,4\r')));
  });
});

group('CsvScanner piece independence', () => {
  const samples = [
    'a,b\n1,2\n3,4\n',
    'a,b\r\n1,2\r\n3,4',
    '\uFEFFa,b\r\n\r\n1,2\r\n\n3,4\r\n\r',
    '\n\na,"b\nc"\n"1\r\n2",3\n\n"x""y",""\n',
    'h,w\n5\'3",x\n"6"junk,y\n',
    'a,b\n1,"\n\n"\n',
    'a,b\n1,"x""\n2,3\n',
    'a;b\n1;2\n',
    'a,b\n1,\xff\n',
    'a,b\n1,2\n3,"4\n',
    'a,a\n1,2\n',
    '\x89PNG\r\n\x1a\nxxxxxxxx',
    'a,b\n',
    '',
    'a,b\r1,2\r',
    'ab\n"é€💡"\n"x",\n',
  ].map((s) => (s.includes('\xff') || s.includes('\x89') ? Buffer.from(s, 'latin1') : Buffer.from(s)));

  it('gives the same result whether pushed whole, byte by byte or in random pieces', () => {
    const random = rng(7);
    for (const data of samples) {
      for (const chunkRows of [1, 2, 1000]) {
        const opts = { chunkRows };
        const expected = describe(scanWhole(data, opts));
        expect(describe(scanBytewise(data, opts))).toEqual(expected);
        for (let k = 0; k < 30; k++) {
          const cuts = Array.from({ length: 1 + Math.floor(random() * 6) }, () => Math.floor(random() * data.length));
          expect(describe(scanCuts(data, cuts, opts))).toEqual(expected);
        }
      }
    }
  });
});

group('chunking', () => {
  const text =
    'id,note,v\n' +
    '1,plain,0.5\n' +
    '2,"two\nlines",1.5\n' +
    '\n' +
    '3,"with, comma",2.5\r\n' +
    '4,"multi\r\n\r\nline\n",3.5\n' +
    '\r\n' +
    '5,"quote ""x""",4.5\n' +
    '6,"\n",5.5\n' +
    '7,last,6.5';
  const expectedRecords = [
    ['1', 'plain', '0.5'],
    ['2', 'two\nlines', '1.5'],
    ['3', 'with, comma', '2.5'],
    ['4', 'multi\r\n\r\nline\n', '3.5'],
    ['5', 'quote "x"', '4.5'],
    ['6', '\n', '5.5'],
    ['7', 'last', '6.5'],
  ];

  for (const chunkRows of [1, 2, 3, 1000]) {
    it(`covers every record exactly once with chunkRows=${chunkRows}`, async () => {
      const path = tempFile(text);
      const l = layoutOf(text, { chunkRows });
      expect(l.rows).toBe(7);
      expect(l.chunks.length).toBe(Math.ceil(7 / chunkRows));
      expect(l.chunks[0]!.start).toBe(l.dataStart);
      expect(l.chunks.at(-1)!.end).toBe(Buffer.byteLength(text));
      let firstRow = 0;
      const all: string[][] = [];
      for (const [i, c] of l.chunks.entries()) {
        expect(c.index).toBe(i);
        if (i > 0) expect(c.start).toBe(l.chunks[i - 1]!.end);
        expect(c.firstRow).toBe(firstRow);
        expect(c.rows).toBeLessThanOrEqual(chunkRows);
        const records = await collectRecords(path, c.start, c.end, 4);
        expect(records.length).toBe(c.rows);
        all.push(...records.map(splitRecord));
        firstRow += c.rows;
      }
      expect(all).toEqual(expectedRecords);
    });
  }
});
