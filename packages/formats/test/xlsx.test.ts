import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvScanner, NO_ROWS_ADVICE, splitRecord } from '@batchcast/csv';
import { FormatError, theOtherSheets, xlsxToCsv, type XlsxToCsvOptions } from '@batchcast/formats';
import { describe, expect, it } from 'vitest';
import { collect, fixture, python, rangeSource } from './helpers.js';

async function transcode(name: string, opts: XlsxToCsvOptions = {}) {
  const t = xlsxToCsv(fixture(name), opts);
  const csv = (await collect(t.stream)).toString('utf8');
  return { csv, summary: await t.summary };
}

async function refusal(name: string, opts: XlsxToCsvOptions = {}): Promise<FormatError> {
  const t = xlsxToCsv(fixture(name), opts);
  const [streamErr, summaryErr] = await Promise.all([
    collect(t.stream).then(
      () => null,
      (e: unknown) => e,
    ),
    t.summary.then(
      () => null,
      (e: unknown) => e,
    ),
  ]);
  expect(streamErr).toBeInstanceOf(FormatError);
  expect(summaryErr).toBe(streamErr);
  return streamErr as FormatError;
}

describe('xlsxToCsv', () => {
  it('writes the first sheet as canonical CSV: numbers, dates, booleans, formulas, shared and rich strings', async () => {
    const { csv, summary } = await transcode('types.xlsx');
    expect(csv).toBe(
      'id,amount,ratio,day,stamp,flag,total,label,status,clock\n' +
        'A1,42,0.1,2024-01-31,2024-02-29T13:45:30,true,84,plain,ok,08:30:00\n' +
        'A2,-7.25,1e-7,1999-12-31,1900-03-01T00:00:00,false,-14.5,Rich text,#DIV/0!,23:59:59\n' +
        'A3,123456789.123,0.6666666666666666,1900-01-01,2000-01-01T00:00:01,true,246913578.246,"say ""hi"", ok",ok,\n' +
        'A4,1e+21,0.3,,,,,"line1\r\nline2",#N/A,\n',
    );
    expect(summary).toMatchObject({
      sheet: 'Data',
      sheets: ['Data', 'Second', 'Empty', 'HeaderOnly', 'DupHeader', 'GapHeader'],
      worksheets: ['Data', 'Second', 'Empty', 'HeaderOnly', 'DupHeader', 'GapHeader'],
      headerRow: 1,
      rows: 4,
      bytes: Buffer.byteLength(csv),
      columnKinds: ['string', 'number', 'number', 'date', 'date', 'bool', 'number', 'string', 'string', 'string'],
      columnTypes: ['string', 'double', 'double', 'date', 'timestamp', 'bool', 'double', 'string', 'string', 'string'],
    });
    expect(summary.notes).toEqual([
      '2 cells of sheet "Data" hold an error value such as #DIV/0! (first: I3); they were read as that text',
      '1 cell of sheet "Data" holds a formula with no saved value (first: G5); it was read as empty: open the workbook in Excel and save it again to store the values',
    ]);
  });

  it('keeps the milliseconds of a date-time or time cell whose format shows only seconds', async () => {
    // They were rounded to the second: 10:11:12.123 came back 10:11:12 (pandas.read_excel reads .123).
    const dir = await mkdtemp(join(tmpdir(), 'formats-xlsx-'));
    const path = join(dir, 'ms.xlsx');
    python(
      `import sys, datetime, openpyxl
wb = openpyxl.Workbook(); ws = wb.active
ws.append(['id', 'stamp', 'clock'])
ws.append(['a', datetime.datetime(2024, 1, 5, 10, 11, 12, 123456), datetime.time(8, 30, 0, 5000)])
ws.append(['b', datetime.datetime(2024, 1, 5, 23, 59, 59, 999900), datetime.time(8, 30, 1)])
wb.save(sys.argv[1])`,
      path,
    );
    const t = xlsxToCsv(path);
    const csv = (await collect(t.stream)).toString('utf8');
    expect(csv).toBe('id,stamp,clock\na,2024-01-05T10:11:12.123,08:30:00.005\nb,2024-01-06T00:00:00,08:30:01\n');
    await rm(dir, { recursive: true, force: true });
  });

  it("types a column of numbers and pandas' missing-value markers (NA, NULL, the error #N/A) as numbers, as pandas.read_excel does", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'formats-xlsx-'));
    const path = join(dir, 'markers.xlsx');
    python(
      `import sys, openpyxl
wb = openpyxl.Workbook(); ws = wb.active
ws.append(['x', 'y', 'label'])
ws.append([1.5, 'NA', 'NA'])
ws.append(['NULL', 2, 'red'])
ws.append([None, 'na', None])
ws.append([3, '#N/A', 'blue'])
ws.cell(row=5, column=2).data_type = 'e'
wb.save(sys.argv[1])`,
      path,
    );
    const t = xlsxToCsv(path);
    expect((await collect(t.stream)).toString('utf8')).toBe('x,y,label\n1.5,NA,NA\nNULL,2,red\n,na,\n3,#N/A,blue\n');
    // `na` is no marker for pandas: that column holds text and a number, each kept as what it is (`mixed`).
    expect(await t.summary).toMatchObject({ columnKinds: ['number', 'mixed', 'string'], columnTypes: ['double', 'mixed', 'string'] });
    await rm(dir, { recursive: true, force: true });
  });

  it('quotes a text cell that reads as a number or boolean, so its kind survives the canonical CSV (the value is the same)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'formats-xlsx-'));
    const path = join(dir, 'text-numbers.xlsx');
    python(
      `import sys, openpyxl
wb = openpyxl.Workbook(); ws = wb.active
ws.append(['x', 'flag', 'name'])
ws.append(['5.1', 'true', '12'])
ws.append([6.3, True, 'a,b'])
wb.save(sys.argv[1])`,
      path,
    );
    const t = xlsxToCsv(path);
    const csv = (await collect(t.stream)).toString('utf8');
    expect(csv).toBe('x,flag,name\n"5.1","true","12"\n6.3,true,"a,b"\n');
    // Every CSV reader reads the same values (quotes are CSV's), so the model reads 5.1 as before; splitRecord says
    // which fields were quoted (readInputRows keeps those cells of a `mixed` column text).
    const quoted: boolean[] = [];
    expect(splitRecord(Buffer.from('"5.1","true","12"'), null, quoted)).toEqual(['5.1', 'true', '12']);
    expect(quoted).toEqual([true, true, true]);
    expect(await t.summary).toMatchObject({ columnKinds: ['mixed', 'mixed', 'string'], columnTypes: ['mixed', 'mixed', 'string'] });
    await rm(dir, { recursive: true, force: true });
  });

  it('prints numbers so they read back as the same double', async () => {
    const { csv } = await transcode('types.xlsx');
    const ratios = csv
      .split('\n')
      .slice(1, 4)
      .map((l) => l.split(',')[2]!);
    expect(ratios.map(Number)).toEqual([0.1, 1e-7, 2 / 3]);
  });

  it('reads a sheet chosen by name (case-insensitive when no exact match)', async () => {
    expect((await transcode('types.xlsx', { sheet: 'Second' })).csv).toBe('name,score\nx,1.5\ny,2.5\n');
    expect((await transcode('types.xlsx', { sheet: 'second' })).summary.sheet).toBe('Second');
  });

  it('refuses an unknown sheet name, listing the sheets', async () => {
    const err = await refusal('types.xlsx', { sheet: 'Sales' });
    expect(err.code).toBe('sheet_not_found');
    expect(err.message).toBe(
      'the workbook has no sheet named "Sales"; its sheets are: "Data", "Second", "Empty", "HeaderOnly", "DupHeader", "GapHeader"',
    );
  });

  it('refuses an empty sheet, and a sheet with only a header with the same "no rows" error as CSV', async () => {
    const empty = await refusal('types.xlsx', { sheet: 'Empty' });
    expect(empty.code).toBe('empty_sheet');
    expect(empty.message).toMatch(/^sheet "Empty" is empty/);
    const headerOnly = await refusal('types.xlsx', { sheet: 'HeaderOnly' });
    expect(headerOnly.code).toBe('no_rows');
    // Before: no word of what to do.
    expect(headerOnly.message).toBe(`sheet "HeaderOnly" has a header (row 1) but no data rows${NO_ROWS_ADVICE}`);
  });

  it('points to the other sheets when the first one, read by default, holds no data', async () => {
    const err = await refusal('notes-first.xlsx', {});
    expect(err.code).toBe('no_rows');
    expect(err.message).toBe(
      'sheet "Notes" has a header (row 1) but no data rows; the workbook\'s other sheet is "Data": choose the one with the data (under "How to read the file → Sheet" on the upload page, the "sheet" field of POST /api/jobs, or --sheet)',
    );
    expect((await transcode('notes-first.xlsx', { sheet: 'Data' })).csv).toBe('a,b\n1,2\n');
  });

  it('names the other sheets in the singular for one, ten at most', () => {
    expect(theOtherSheets(['Data'])).toBe('the workbook\'s other sheet is "Data"');
    expect(theOtherSheets(['A', 'B'])).toBe('the workbook\'s other sheets are "A", "B"');
    expect(theOtherSheets(Array.from({ length: 12 }, (_, i) => `S${i}`))).toMatch(/"S9" and 2 more$/);
  });

  it('applies the CSV header rules: a name given twice (ignoring case) is renamed as pandas does, its refusal naming the cells; an empty name is named as pandas does', async () => {
    const dup = await transcode('types.xlsx', { sheet: 'DupHeader' });
    expect(dup.csv.split('\n')[0]).toMatch(/^Age,[^,]*,age\.1(,|$)/);
    expect(dup.summary.duplicateColumns).toEqual([
      {
        columns: [0, 2],
        line: 1,
        message: expect.stringMatching(/"Age" and "age".*cell A1 and cell C1; rename one of them$/),
      },
    ]);
    expect(dup.summary.notes).toContain('cell C1 repeats the name of cell A1: its column is named "age.1", as pandas names it');
    const gap = await transcode('types.xlsx', { sheet: 'GapHeader' });
    expect(gap.csv.split('\n')[0]).toMatch(/^[^,]+,Unnamed: 1,/);
    expect(gap.summary.notes).toContain('header cell B1 is empty: its column is named "Unnamed: 1", as pandas names it');
  });

  it('handles sparse rows, a header below empty rows, merged header cells and cells outside the header', async () => {
    const { csv, summary } = await transcode('sparse.xlsx');
    expect(csv).toBe('size,size_2,size_3,kind\n1,2,3,a\n,,30,\n10,,,c\n');
    expect(summary.headerRow).toBe(3);
    expect(summary.notes).toEqual([
      'header cells B3:D3 are merged: their columns are named "size", "size_2", "size_3"',
      'the header is row 3 of sheet "Sparse" (the rows above it are empty)',
      `1 cell of sheet "Sparse" outside the header's columns was ignored (first: G7); give the column a header to read it`,
    ]);
  });

  it('reads the columns left of the first header name that hold values, named as pandas.read_excel names them', async () => {
    // The layouts pandas and openpyxl write, and pandas.read_excel's own columns for each (no index_col):
    // pandas counts columns from A, even empty ones, so its leading columns without a value anywhere (all NaN)
    // are the only ones batchcast leaves out.
    const dir = await mkdtemp(join(tmpdir(), 'formats-xlsx-'));
    const pandas = JSON.parse(
      python(
        `import sys, json, os, openpyxl, pandas as pd
d = sys.argv[1]
def path(name): return os.path.join(d, name + '.xlsx')
# DataFrame.to_excel's default index=True: A1 empty, the index in column A.
pd.DataFrame({'a': [1.5, 2.5, 3.5], 'b': ['x', 'y', 'z']}, index=[10, 11, 12]).to_excel(path('index'))
# A MultiIndex of rows without names: A1 and B1 empty, the levels in A and B.
rows = pd.MultiIndex.from_tuples([('x', 1), ('x', 2), ('y', 1)])
pd.DataFrame({'v': [1, 2, 3]}, index=rows).to_excel(path('multiindex_rows'))
# A1 an empty text cell (<c t="inlineStr"/>), ids below it.
wb = openpyxl.Workbook(); ws = wb.active
for r in [['', 'a', 'b'], ['id1', 1, 2], ['id2', 3, 4]]: ws.append(r)
wb.save(path('empty_text_a1'))
# A table from column C; A empty everywhere, B holds a value under an empty header cell; E1 empty between names.
wb = openpyxl.Workbook(); ws = wb.active
for ref, v in {'C1': 'a', 'D1': 'b', 'F1': 'c', 'B2': 7, 'C2': 1, 'D2': 2, 'E2': 5, 'F2': 3, 'C3': 4, 'D3': 5, 'F3': 6}.items(): ws[ref] = v
wb.save(path('from_column_c'))
# A table from column C, A and B empty everywhere.
wb = openpyxl.Workbook(); ws = wb.active
for ref, v in {'C1': 'a', 'D1': 'b', 'C2': 1, 'D2': 2}.items(): ws[ref] = v
wb.save(path('empty_columns_a_b'))
# Whole numbers in every row, one row without one, and a fraction among whole numbers.
wb = openpyxl.Workbook(); ws = wb.active
for r in [['id', 'gap', 'mixed', 'big'], [100001, 1, 1, 123456789012345], [100002, None, 2.5, -7], [100003, 3, 3, 0]]: ws.append(r)
wb.save(path('whole_numbers'))
out = {'dtypes': {name: [str(t) for t in pd.read_excel(path(name)).dtypes] for name in ['index', 'whole_numbers']}}
for name in ['index', 'multiindex_rows', 'empty_text_a1', 'from_column_c', 'empty_columns_a_b']:
    df = pd.read_excel(path(name))
    out[name] = [[c, bool(df[c].isna().all())] for c in df.columns]
print(json.dumps(out))`,
        dir,
      ),
    ) as Record<string, [string, boolean][]>;
    const read = async (name: string) => {
      const t = xlsxToCsv(join(dir, `${name}.xlsx`));
      const csv = (await collect(t.stream)).toString('utf8');
      return { csv, summary: await t.summary };
    };
    try {
      const { dtypes, ...layouts } = pandas as unknown as Record<string, [string, boolean][]> & { dtypes: Record<string, string[]> };
      for (const [name, columns] of Object.entries(layouts)) {
        const firstWithValues = columns.findIndex(([, allMissing]) => !allMissing);
        expect((await read(name)).summary.header, name).toEqual(columns.slice(firstWithValues).map(([c]) => c));
      }
      const index = await read('index');
      expect(index.csv).toBe('Unnamed: 0,a,b\n10,1.5,x\n11,2.5,y\n12,3.5,z\n');
      expect(index.summary.notes).toEqual([
        'header cell A1 is empty and the cells below it hold values (DataFrame.to_excel leaves the cell above its index empty): its column is named "Unnamed: 0", as pandas names it',
      ]);
      // Typed as pandas.read_excel types them: a column of whole numbers in every row is int64 (an id column came back
      // as 100001.0, a double), one with a gap or a fraction float64.
      const pandasType: Record<string, string> = { int64: 'int64', float64: 'double', object: 'string' };
      expect(index.summary.columnTypes).toEqual(dtypes.index!.map((t) => pandasType[t]));
      expect(index.summary.columnTypes).toEqual(['int64', 'double', 'string']);
      const whole = await read('whole_numbers');
      expect(whole.summary.columnTypes).toEqual(dtypes.whole_numbers!.map((t) => pandasType[t]));
      expect(whole.summary.columnTypes).toEqual(['int64', 'double', 'double', 'int64']);
      expect((await read('multiindex_rows')).csv).toBe('Unnamed: 0,Unnamed: 1,v\nx,1,1\n,2,2\ny,1,3\n');
      expect((await read('empty_text_a1')).csv).toBe('Unnamed: 0,a,b\nid1,1,2\nid2,3,4\n');
      const fromC = await read('from_column_c');
      expect(fromC.csv).toBe('Unnamed: 1,a,b,Unnamed: 4,c\n7,1,2,5,3\n,4,5,,6\n');
      expect(fromC.summary.notes.filter((n) => /outside/.test(n))).toEqual([]);
      expect((await read('empty_columns_a_b')).csv).toBe('a,b\n1,2\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the columns of MultiIndex headers as DataFrame.to_excel merges them, the index column included', async () => {
    // pandas.read_excel without header=[0, 1] reads the second header row as data, as batchcast does; the merged
    // group name names its columns group, group_2 (batchcast's rule for merged header cells).
    const dir = await mkdtemp(join(tmpdir(), 'formats-xlsx-'));
    const path = join(dir, 'multiindex_columns.xlsx');
    python(
      `import sys, pandas as pd
columns = pd.MultiIndex.from_tuples([('g', 'a'), ('g', 'b')])
pd.DataFrame([[0, 1], [2, 3]], columns=columns).to_excel(sys.argv[1])`,
      path,
    );
    try {
      const t = xlsxToCsv(path);
      expect((await collect(t.stream)).toString('utf8')).toBe('Unnamed: 0,g,g_2\n,a,b\n0,0,1\n1,2,3\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads inline strings and the 1904 date system', async () => {
    expect((await transcode('inline.xlsx')).csv).toBe('name,value\nalpha,1\nbeta,2\n');
    // 43860 is 2024-01-31 in the 1904 system (2020-01-30 in the 1900 one); B2 has built-in format 14.
    expect((await transcode('date1904.xlsx')).csv).toBe('day,builtin,n\n2024-01-31,1904-01-02,1\n');
  });

  it('stops a sheet that unpacks to more than the cap (a zip bomb)', async () => {
    const err = await refusal('types.xlsx', { maxSheetBytes: 1000 });
    expect(err.code).toBe('too_large');
    expect(err.message).toMatch(/unpacks to more than 1000 bytes/);
  });

  // A workbook written part by part (python's zipfile, deflate level 9): `shared` and `cells` repeat a piece of
  // XML so many times, inside the shared strings and the sheet's first data row.
  async function craftedWorkbook(opts: {
    sharedRepeat?: number;
    cellsRepeat?: number;
    rows?: number;
    /** Characters of a third shared string, and of an inline string in cell C2. */
    longShared?: number;
    longInline?: number;
  }): Promise<{ path: string; dir: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'formats-xlsx-'));
    const path = join(dir, 'crafted.xlsx');
    python(
      `import sys, zipfile
shared_n, cells_n, rows_n, long_shared, long_inline = (int(a) for a in sys.argv[2:7])
main = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'
rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'
pkg = 'http://schemas.openxmlformats.org/package/2006/relationships'
z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED, compresslevel=9)
z.writestr('[Content_Types].xml', '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>')
z.writestr('_rels/.rels', f'<?xml version="1.0"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
z.writestr('xl/workbook.xml', f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
z.writestr('xl/_rels/workbook.xml.rels', f'<?xml version="1.0"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
with z.open('xl/sharedStrings.xml', 'w') as f:
    f.write(f'<?xml version="1.0"?><sst xmlns="{main}"><si><t>a</t></si><si><t>b</t></si>'.encode())
    f.write(b'<si><t>x</t></si>' * shared_n)
    if long_shared: f.write(b'<si><t>' + b'y' * long_shared + b'</t></si>')
    f.write(b'</sst>')
with z.open('xl/worksheets/sheet1.xml', 'w') as f:
    f.write(f'<?xml version="1.0"?><worksheet xmlns="{main}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>2</v></c>'.encode())
    if long_inline: f.write(b'<c r="C2" t="inlineStr"><is><t>' + b'z' * long_inline + b'</t></is></c>')
    f.write(b'<c r="Z2"><v>1</v></c>' * cells_n)
    f.write(b'</row>')
    for r in range(3, 3 + rows_n):
        f.write(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><v>0</v></c>'.encode())
        f.write(''.join(f'<c r="{c}{r}"><v>0</v></c>' for c in 'CDEFGHIJKLMNOPQRSTUVWXY').encode())
        f.write(b'</row>')
    f.write(b'</sheetData></worksheet>')
z.close()`,
      path,
      String(opts.sharedRepeat ?? 0),
      String(opts.cellsRepeat ?? 0),
      String(opts.rows ?? 0),
      String(opts.longShared ?? 0),
      String(opts.longInline ?? 0),
    );
    return { path, dir };
  }

  /** What transcoding the workbook at `path` threw (a FormatError), its directory removed after. */
  async function refusalAt(path: string, dir: string): Promise<FormatError> {
    const t = xlsxToCsv(path);
    const err = await collect(t.stream).then(
      () => null,
      (e: unknown) => e,
    );
    await t.summary.catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    expect(err).toBeInstanceOf(FormatError);
    return err as FormatError;
  }

  it.each([
    ['shared strings', { sharedRepeat: 800_000 }, 'xl/sharedStrings.xml'],
    ['sheet', { cellsRepeat: 600_000 }, 'xl/worksheets/sheet1.xml'],
  ])('refuses %s that unpack to more than 100 times their size before inflating them (a zip bomb)', async (_what, opts, part) => {
    // 2.4 MB of shared strings that unpacked to 1 GB were read whole, for 2 minutes of CPU and 1.7 GB of the
    // web process's memory, under the 1 GiB cap; these unpack to 13 MB from about 30 KB.
    const { path, dir } = await craftedWorkbook(opts);
    const err = await refusalAt(path, dir);
    expect(err.code).toBe('too_large');
    expect(err.message).toMatch(new RegExp(`the part "${part}" unpacks to 13,[0-9,]+ bytes from [0-9,]+ bytes, [0-9,]+ times its size`));
    expect(err.message).toMatch(/refused as a zip bomb/);
  });

  it("reads a large sheet that compresses as spreadsheets do (past the ratio check's grace size)", async () => {
    // 14,000 rows of 25 cells: 12 MB of XML that deflates about 14 times.
    const { path, dir } = await craftedWorkbook({ rows: 14_000 });
    const t = xlsxToCsv(path);
    const csv = (await collect(t.stream)).toString('utf8');
    await rm(dir, { recursive: true, force: true });
    expect((await t.summary).rows).toBe(14_001);
    expect(csv.startsWith('a,b\n1,2\n3,0\n')).toBe(true);
  });

  it('refuses a row of more than 16,384 cells (Excel has no more columns) instead of holding them all', async () => {
    // 30,000 cells in row 2, outside the header's columns: deflated under the ratio check's grace size.
    const { path, dir } = await craftedWorkbook({ cellsRepeat: 30_000 });
    const err = await refusalAt(path, dir);
    expect(err.code).toBe('too_many_columns');
    expect(err.message).toMatch(/^row 2 of the sheet has more than 16,384 cells, the most an Excel row has/);
  });

  it.each([
    ['a shared string', { longShared: 1_100_000 }, /^shared string 3 of the workbook holds more than 1,048,576 characters/, undefined],
    ['an inline string', { longInline: 1_100_000 }, /^cell C2 of the sheet holds more than 1,048,576 characters/, 2],
  ])('refuses %s longer than a CSV field may be while reading it, instead of holding it whole', async (_what, opts, message, line) => {
    // 1.1 MB of one letter deflates to about a kB: a cell of hundreds of MB came from a few MB of upload.
    const { path, dir } = await craftedWorkbook(opts);
    const err = await refusalAt(path, dir);
    expect(err.code).toBe('field_too_large');
    expect(err.message).toMatch(message);
    expect(err.message).toContain('shorten or remove that text');
    expect(err.line).toBe(line);
  });

  it('reads a cell of as many characters as a CSV field may hold', async () => {
    const { path, dir } = await craftedWorkbook({ longInline: 1_048_576 });
    const t = xlsxToCsv(path);
    const csv = (await collect(t.stream)).toString('utf8');
    await rm(dir, { recursive: true, force: true });
    expect(csv.startsWith('a,b\n1,2\n')).toBe(true);
  });

  it('refuses a zip of more than 10,000 parts before reading them (300,000 took 112 s)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'formats-xlsx-'));
    const path = join(dir, 'many.xlsx');
    python(
      `import sys, zipfile
z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_STORED)
z.writestr('[Content_Types].xml', '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
for i in range(10000): z.writestr(f'{i:x}', '')
z.close()`,
      path,
    );
    const err = await refusalAt(path, dir);
    expect(err.code).toBe('too_large');
    expect(err.message).toMatch(/^the workbook has 10,001 parts; a workbook has a few dozen, and at most 10,000 are read/);
  });

  it('refuses a zip that is not a workbook', async () => {
    const err = await refusal('archive.zip');
    expect(err.code).toBe('unsupported_format');
    expect(err.message).toMatch(/not an Excel workbook/);
  });

  it('reads the workbook through a RangeReader (the PostgreSQL blob store) by random access', async () => {
    const path = fixture('types.xlsx');
    const src = rangeSource(path);
    const t = xlsxToCsv(src.source, { size: (await stat(path)).size });
    const csv = (await collect(t.stream)).toString();
    expect(csv).toBe((await transcode('types.xlsx')).csv);
    expect(src.bytesRead()).toBeGreaterThan(0);
  });

  it('produces CSV the platform scanner accepts as it is', async () => {
    const { csv, summary } = await transcode('types.xlsx');
    const scanner = new CsvScanner({ chunkRows: 2 });
    scanner.push(Buffer.from(csv));
    const layout = scanner.finish();
    expect(layout.header).toEqual(summary.header);
    expect(layout.rows).toBe(summary.rows);
    expect(layout.chunks.map((c) => c.rows)).toEqual([2, 2]);
  });
});
