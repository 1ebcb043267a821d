import { describe as group, expect, it } from 'vitest';
import { headerlessNames } from '../src/index.js';
import { describe, layoutOf, rng, scanBytewise, scanCuts, scanWhole } from './helpers.js';

/**
 * A file without a header row (the upload's `header=none`): its first line is a record like the others, counted
 * as row 1 and line 1, and its columns are named by position. The same file with a header line added above must
 * give the same records, shifted by that line's bytes.
 */
const headerless = (chunkRows = 1000) => ({ chunkRows, headerless: true });

group('CsvScanner without a header row', () => {
  it('reads the first line as the first record, its columns named by position', () => {
    expect(layoutOf('5.1,3.5\n4.9,3.0\n', headerless())).toEqual({
      header: ['column_1', 'column_2'],
      bom: false,
      newline: '\n',
      dataStart: 0,
      bytes: 16,
      rows: 2,
      headerless: true,
      chunks: [{ index: 0, start: 0, end: 16, firstRow: 0, rows: 2 }],
    });
    expect(headerlessNames(3)).toEqual(['column_1', 'column_2', 'column_3']);
  });

  it('cuts the same chunks as the file with a header line above, whatever the pieces', () => {
    const random = rng(7);
    const body = Array.from(
      { length: 57 },
      (_, i) => `${i},${(random() * 100).toFixed(3)},"a ""quoted"" value, ${i}",${i % 3 === 0 ? '' : 'x'}\r\n`,
    ).join('');
    const head = 'id,value,text,flag\r\n';
    const withHeader = layoutOf(head + body, { chunkRows: 10 });
    const without = scanWhole(body, headerless(10));
    expect('layout' in without).toBe(true);
    if (!('layout' in without)) return;
    expect(without.layout.rows).toBe(57);
    expect(without.layout.newline).toBe('\r\n');
    expect(without.layout.header).toEqual(headerlessNames(4));
    expect(without.layout.chunks).toEqual(
      withHeader.chunks.map((c) => ({
        ...c,
        start: c.start - head.length,
        end: c.end - head.length,
        ...(c.line ? { line: c.line - 1 } : {}),
      })),
    );
    const bytes = Buffer.from(body);
    expect(describe(scanBytewise(bytes, headerless(10)))).toEqual(describe(without));
    for (let k = 0; k < 20; k++) {
      const cuts = Array.from({ length: 5 }, () => Math.floor(random() * bytes.length));
      expect(describe(scanCuts(bytes, cuts, headerless(10)))).toEqual(describe(without));
    }
  });

  it('skips blank lines and a sep= line before the first record, and counts them as lines', () => {
    const layout = layoutOf('sep=;\n\n1;2\n3;4\n', { ...headerless(1), dialect: 'auto' });
    expect(layout.header).toEqual(['column_1', 'column_2']);
    expect(layout.delimiter).toBe(';');
    expect(layout.dataStart).toBe(7);
    // The second chunk starts on line 4 (line 1 the sep= line, line 2 blank, line 3 the first record).
    expect(layout.chunks.map((c) => [c.start, c.rows, c.line])).toEqual([
      [7, 1, undefined],
      [11, 1, 4],
    ]);
  });

  it('takes a one-line file without a line ending as one record', () => {
    const layout = layoutOf('1,2,3', headerless());
    expect(layout.rows).toBe(1);
    expect(layout.chunks).toEqual([{ index: 0, start: 0, end: 5, firstRow: 0, rows: 1 }]);
  });

  it('refuses a file of blank lines as one without rows, not one without a header', () => {
    const r = scanWhole('\n\r\n\n', headerless());
    expect(describe(r)).toMatchObject({ code: 'no_rows', line: 1 });
    expect('error' in r && r.error.message).toContain('the file holds only blank lines, no data rows');
  });

  it('names a first line too large as row 1, not as the header', () => {
    const r = scanWhole(`${'1,'.repeat(40)}1\n2\n`, { ...headerless(), maxHeaderBytes: 32 });
    expect(describe(r)).toMatchObject({ code: 'header_too_large' });
    expect('error' in r && r.error.message).toMatch(/^row 1 \(line 1\) is longer than 32 bytes; a first line that long is not read/);
    const field = scanWhole(`${'9'.repeat(40)},1\n`, { ...headerless(), maxFieldBytes: 16 });
    expect('error' in field && field.error.message).toMatch(/^row 1 \(line 1\), column 1: its value is larger than 16 bytes/);
  });

  it('a first line of numbers is a header like any other without the option (the job refuses it then)', () => {
    expect(layoutOf('5.1,3.5\n4.9,3.0\n', { chunkRows: 10 }).header).toEqual(['5.1', '3.5']);
  });
});
