import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { MAX_CSV_COLUMNS, MAX_CSV_HEADER_BYTES } from '@batchcast/csv';
import { describe, expect, it } from 'vitest';
import {
  checkColumns,
  duplicateModelColumn,
  detectDelimiter,
  headerOfText,
  MAX_COLUMNS,
  MAX_HEADER_BYTES,
  missingColumns,
  readHeader,
} from '../src/browser/csv-header.js';

/**
 * The upload page's header check, run before anything is sent: it must read the files the server reads
 * (CSV in any dialect, JSON Lines, JSON arrays) the way the server reads them, refuse what the server would
 * refuse (a header without rows), and leave binary formats to the server rather than give wrong advice.
 */
const iris = 'sepal_length,sepal_width,petal_length,petal_width,species\n5.1,3.5,1.4,0.2,setosa\n4.9,3.0,1.4,0.2,setosa\n';

describe('the delimiter, detected like the server does', () => {
  it.each([
    [',', iris],
    [';', iris.replaceAll(',', ';')],
    ['\t', iris.replaceAll(',', '\t')],
    ['|', iris.replaceAll(',', '|')],
    // Decimal commas inside a `;` file: the comma splits no row consistently.
    [';', 'a;b;c\n1,5;2,25;x\n3,5;4;y\n'],
    // A quoted field holding the other delimiters does not fool it.
    [',', 'id,note\n1,"a;b;c"\n2,"d;e"\n'],
  ])('%j', (delimiter, text) => {
    expect(detectDelimiter(text, true)).toBe(delimiter);
  });

  it('a one-column file is comma', () => {
    expect(detectDelimiter('name\nx\ny\n', true)).toBe(',');
  });
});

describe('headerOfText', () => {
  it("takes Excel's `sep=` first line as the server does: its delimiter, and the header on the next line", () => {
    expect(headerOfText(`\ufeffsep=;\r\n${iris.replaceAll(',', ';').replaceAll('\n', '\r\n')}`, true)).toEqual({
      kind: 'header',
      header: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'],
      format: 'semicolon-separated CSV',
    });
    expect(headerOfText('SEP=|\na|b\n1|2\n', true)).toMatchObject({ header: ['a', 'b'] });
    expect(headerOfText('sep=:\na:b\n1:2\n', true)).toEqual({
      kind: 'error',
      error: `The file's first line, "sep=:", says its columns are separated by ':': save it separated by commas, semicolons, tabs or '|'.`,
    });
  });

  it('reads the header of any dialect, and names the dialect', () => {
    expect(headerOfText(iris.replaceAll(',', ';'), true)).toEqual({
      kind: 'header',
      header: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'],
      format: 'semicolon-separated CSV',
    });
    expect(headerOfText(iris, true)).toMatchObject({ kind: 'header', format: 'CSV' });
    expect(headerOfText(`\ufeff"a ""x""",b\r\n1,2\r\n`, true)).toMatchObject({ header: ['a "x"', 'b'] });
  });

  it('takes the delimiter chosen on the form over detection', () => {
    expect(headerOfText('a;b,c\n1;2,5\n3;4,5\n', true, ',')).toMatchObject({ kind: 'header', header: ['a;b', 'c'] });
    expect(headerOfText('a;b,c\n1;2,5\n3;4,5\n', true, ';')).toMatchObject({ kind: 'header', header: ['a', 'b,c'] });
  });

  it('refuses a header without rows, as the server does', () => {
    expect(headerOfText('a,b,c\n', true)).toEqual({ kind: 'error', error: expect.stringMatching(/no data rows/) });
    expect(headerOfText('a,b,c\n\n\r\n', true)).toMatchObject({ kind: 'error' });
    // A slice of a larger file that ends after the header is not judged.
    expect(headerOfText('a,b,c\n1,', false)).toMatchObject({ kind: 'header', header: ['a', 'b', 'c'] });
    expect(headerOfText('', true)).toEqual({
      kind: 'error',
      error:
        'The file is empty (or blank lines only): choose the file that holds your data, a header row naming the columns, then a row per record.',
    });
  });

  it('names the lines of a JSON Lines key spelled two ways, as the server does (duplicate_column)', () => {
    const jsonl = '{"sepal_length": 5.1}\n\n{"sepal_length": 4.9}\n{"Sepal_Length": 4.7}\n';
    expect(headerOfText(jsonl, true)).toEqual({
      kind: 'error',
      error:
        'Line 4 has the key "Sepal_Length" and line 1 has "sepal_length": names are compared ignoring case, so they would be the same column; use one spelling.',
    });
    expect(headerOfText('{"a": 1, "A": 2}\n', true)).toMatchObject({ error: expect.stringMatching(/^Line 1 has the keys "a" and "A": /) });
    expect(headerOfText('[{"a": 1}, {"A": 2}]', true)).toMatchObject({
      error: expect.stringMatching(/^The records have the keys "a" and "A": /),
    });
  });

  it("reads the columns of pandas' to_json() layouts as the server reads them, the index kept as a column", async () => {
    const iris = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'];
    const fixture = (name: string) => readFile(path.join(import.meta.dirname, '../../../test/fixtures/formats', name), 'utf8');
    for (const [name, layout, header] of [
      ['iris-columns.json', 'columns', ['index', ...iris]],
      ['iris-columns-indent.json', 'columns', ['index', ...iris]],
      ['iris-index.json', 'index', ['index', ...iris]],
      ['iris-index-named.json', 'index', ['level_0', ...iris, 'index']],
      ['iris-split.json', 'split', ['index', ...iris]],
      ['iris-split-noindex.json', 'split', iris],
      ['iris-table.json', 'table', ['index', ...iris]],
    ] as const) {
      const text = await fixture(name);
      expect(headerOfText(text, true), name).toEqual({ kind: 'header', header, format: `pandas' to_json(orient='${layout}') JSON` });
      // Only part of a big file read: the server reads it.
      expect(headerOfText(text.slice(0, 100), false), name).toEqual({ kind: 'server', format: `pandas' to_json(orient='${layout}') JSON` });
    }
  });

  it("reads pandas' to_json(orient='values') (a list of lists) as JSON, its first list's values, never as a CSV header", async () => {
    const text = await readFile(path.join(import.meta.dirname, '../../../test/fixtures/formats/iris-values.json'), 'utf8');
    const format = "pandas' to_json(orient='values') JSON";
    // pandas writes it on one line: read as CSV, its one line was a header "without data rows", refused before upload.
    expect(headerOfText(text, true)).toEqual({ kind: 'lists', first: ['5.1', '3.5', '1.4', '0.2', 'setosa'], format });
    // Only part of a big file read: the first list is there all the same; cut inside it, the server counts it.
    expect(headerOfText(text.slice(0, 100), false)).toEqual({ kind: 'lists', first: ['5.1', '3.5', '1.4', '0.2', 'setosa'], format });
    expect(headerOfText('[[5.1, 3.5, 1.4', false)).toEqual({ kind: 'lists', first: null, format });
    // Indented, nulls and strings holding brackets and quotes: each value as text (null and Python's NaN missing).
    expect(headerOfText('[\n  [\n    null,\n    "a]\\"b",\n    [1, 2],\n    NaN\n  ]\n]\n', true)).toEqual({
      kind: 'lists',
      first: ['', 'a]"b', '[1,2]', ''],
      format,
    });
  });

  it('says a separator chosen that the file does not use, as the server does (wrong_delimiter), marking the option', () => {
    // Was "missing 4 columns… if the column names are on a later line, delete the lines above them".
    expect(headerOfText(iris, true, ';')).toEqual({
      kind: 'error',
      error:
        "The file seems to use a comma (',') between its columns, not a semicolon (';') as chosen: choose comma as the column separator, or let it be detected.",
      field: 'delimiter',
    });
    expect(headerOfText(iris.replaceAll(',', '\t'), true, '|')).toMatchObject({
      error:
        "The file seems to use a tab between its columns, not a pipe ('|') as chosen: choose tab as the column separator, or let it be detected.",
    });
    // A one-column file read as chosen is one column.
    expect(headerOfText('name\nx\ny\n', true, ';')).toMatchObject({ kind: 'header', header: ['name'] });
  });

  it('reads JSON Lines keys (the union of the lines read) and JSON arrays', () => {
    const jsonl = '{"sepal_length": 5.1, "species": "setosa"}\n{"sepal_width": 3.5}\n';
    expect(headerOfText(jsonl, true)).toEqual({ kind: 'header', header: ['sepal_length', 'species', 'sepal_width'], format: 'JSON Lines' });
    expect(headerOfText(`[\n  {"a": 1},\n  {"b": 2}\n]`, true)).toMatchObject({ kind: 'header', header: ['a', 'b'] });
    expect(headerOfText('[{"a": 1}, {"b": 2', false)).toEqual({ kind: 'server', format: 'a JSON array' });
    expect(headerOfText('[]', true)).toMatchObject({ kind: 'error' });
    expect(headerOfText('{\n  "a": 1\n}\n', true)).toMatchObject({
      kind: 'error',
      error: expect.stringMatching(/Line 1 is not valid JSON/),
    });
  });

  it('reads a header naming one column twice, ignoring case, as the server does: refused only for a model column (duplicate_column)', () => {
    const reading = headerOfText('sepal_length,sepal_width,sepal_length,petal_width\n1,2,3,4\n', true);
    expect(reading).toMatchObject({ kind: 'header', header: ['sepal_length', 'sepal_width', 'sepal_length.1', 'petal_width'] });
    const duplicates = reading.kind === 'header' ? reading.duplicates : undefined;
    expect(duplicateModelColumn(['sepal_length', 'petal_width'], (reading as { header: string[] }).header, duplicates)).toBe(
      'The header row (the first line) has two columns named "sepal_length" (columns 1 and 3): rename one of them.',
    );
    expect(duplicateModelColumn(['sepal_width', 'petal_width'], (reading as { header: string[] }).header, duplicates)).toBeNull();
    const upper = headerOfText('SEPAL_LENGTH;sepal_width;sepal_length\n1;2;3\n', true);
    expect(upper).toMatchObject({ kind: 'header', header: ['SEPAL_LENGTH', 'sepal_width', 'sepal_length.1'] });
    expect(
      duplicateModelColumn(['sepal_length'], (upper as { header: string[] }).header, upper.kind === 'header' ? upper.duplicates : []),
    ).toContain('two columns named "SEPAL_LENGTH" and "sepal_length" (columns 1 and 3; names are compared ignoring case)');
    // Two `note` columns the model does not read: read as pandas reads them (`note.1`, `note.2`), nothing refused.
    const notes = headerOfText('sepal_length,note,note,Note\n1,a,b,c\n', true);
    expect(notes).toMatchObject({ kind: 'header', header: ['sepal_length', 'note', 'note.1', 'Note.2'] });
    expect(
      duplicateModelColumn(['sepal_length'], (notes as { header: string[] }).header, notes.kind === 'header' ? notes.duplicates : []),
    ).toBeNull();
    // A blank cell is named as the server names it, so it clashes with the same name written out.
    expect(headerOfText(',Unnamed: 0,b\n1,2,3\n', true)).toMatchObject({ kind: 'header', header: ['Unnamed: 0', 'Unnamed: 0.1', 'b'] });
    expect(headerOfText('{"Age": 1}\n{"age": 2}\n', true)).toMatchObject({
      kind: 'error',
      error: expect.stringContaining('Line 2 has the key "age" and line 1 has "Age"'),
    });
    expect(headerOfText('[{"a": 1, "A": 2}]', true)).toMatchObject({ kind: 'error', error: expect.stringContaining('"a" and "A"') });
    // Names that only look alike to the model's loose matching (spaces) are distinct columns to the server.
    expect(headerOfText('a,a ,b\n1,2,3\n', true)).toMatchObject({ kind: 'header', header: ['a', 'a ', 'b'] });
  });

  it('finds missing columns ignoring case', () => {
    expect(missingColumns(['Sepal_Length', 'petal_width'], ['sepal_length', 'x'])).toEqual(['petal_width']);
    // A header whose accents are combining characters (NFD) has the model's (NFC) columns, as the server finds.
    expect(missingColumns(['café'.normalize('NFC'), 'thé'], ['café'.normalize('NFD'), 'x'])).toEqual(['thé']);
  });

  it('leaves the header names no model column matched free for hints, and names matching several as ambiguous, as planColumns does', () => {
    expect(checkColumns(['sepal_length', 'petal_width', 'x'], ['Sepal_Length', 'sepal length', 'X', ' x', '\u200bpetal_width'])).toEqual({
      missing: ['petal_width', 'x'],
      ambiguous: new Set(['x']),
      free: ['sepal length', 'X', ' x', '\u200bpetal_width'],
    });
    // An exact name is claimed even when another matches it ignoring case.
    expect(checkColumns(['a'], ['A', 'a'])).toEqual({ missing: [], ambiguous: new Set(), free: ['A'] });
    // A model column a spreadsheet would run (`=x`), as batchcast's own CSVs write it: behind a `'`.
    expect(checkColumns(['=x', 'b'], ["'=x", 'b'])).toEqual({ missing: [], ambiguous: new Set(), free: [] });
  });
});

describe('readHeader on files', () => {
  it('leaves binary formats to the server, naming them', async () => {
    const files: [Uint8Array, string][] = [
      [gzipSync(iris), 'a gzip-compressed file'],
      [Buffer.from('PAR1\0\0\0\0'), 'a Parquet file'],
      [Buffer.from('PK\x03\x04xl/workbook.xml'), 'an Excel workbook'],
      [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]), 'a zstd-compressed file'],
    ];
    for (const [bytes, format] of files) {
      expect(await readHeader(new File([bytes as Uint8Array<ArrayBuffer>], 'f'))).toEqual({ kind: 'server', format });
    }
    // A zip named .zip: an archive of a data file, which the server unzips.
    const zip = new File([Buffer.from('PK\x03\x04iris.csv') as Uint8Array<ArrayBuffer>], 'iris.zip');
    expect(await readHeader(zip)).toEqual({ kind: 'server', format: 'a ZIP archive' });
  });

  it('reads the header in the encoding chosen on the form, and leaves to the server what that encoding cannot read', async () => {
    // "Größe" in Mac Roman: ö is 9A and ß A7 (Windows-1252 reads them as š and §).
    const macRoman = Buffer.concat([Buffer.from('Gr'), Buffer.from([0x9a, 0xa7]), Buffer.from('e,x\n1,2\n')]);
    expect(await readHeader(new File([macRoman], 'm.csv'))).toMatchObject({ header: ['Grš§e', 'x'] });
    expect(await readHeader(new File([macRoman], 'm.csv'), undefined, 'macintosh')).toEqual({
      kind: 'header',
      header: ['Größe', 'x'],
      format: 'CSV, macintosh text',
    });
    const le = Buffer.from('a\tb\n1\t2\n', 'utf16le');
    expect(await readHeader(new File([le], 'u.txt'), undefined, 'utf-16le')).toEqual({
      kind: 'header',
      header: ['a', 'b'],
      format: 'tab-separated CSV, utf-16le text',
    });
    // Bytes Shift_JIS does not have, a byte order mark of another encoding, JSON: the server's refusals say what to do.
    expect(await readHeader(new File([Buffer.from([0x61, 0x82, 0x20, 0x0a])], 's.csv'), undefined, 'shift_jis')).toEqual({
      kind: 'server',
      format: 'shift_jis text',
    });
    expect((await readHeader(new File([Buffer.from([0xff, 0xfe, 0x61, 0])], 's.csv'), undefined, 'macintosh')).kind).toBe('server');
    expect((await readHeader(new File([Buffer.from('{"a": 1}\n')], 's.jsonl'), undefined, 'shift_jis')).kind).toBe('server');
  });

  it('reads UTF-16 and Windows-1252 text as the server does, and leaves binary data to the server, whose message says more', async () => {
    const tsv = iris.replaceAll(',', '\t').replace('species', 'espèce');
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(tsv, 'utf16le')]);
    const be = Buffer.from(le).swap16();
    for (const utf16 of [le, be]) {
      expect(await readHeader(new File([utf16], 'u.txt'))).toEqual({
        kind: 'header',
        header: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'espèce'],
        format: 'tab-separated CSV, UTF-16 text',
      });
    }
    expect(await readHeader(new File([Buffer.from('a,b\n1,\0\n')], 'b.csv'))).toEqual({ kind: 'server', format: 'not plain text' });
    // "é" as the one byte E9, and "€" as Windows-1252's 80 (a control character in Latin-1).
    const windows1252 = Buffer.concat([
      Buffer.from('caf'),
      Buffer.from([0xe9]),
      Buffer.from(',prix '),
      Buffer.from([0x80]),
      Buffer.from('\n1,2\n'),
    ]);
    expect(await readHeader(new File([windows1252], 'l.csv'))).toEqual({
      kind: 'header',
      header: ['café', 'prix €'],
      format: 'CSV, Windows-1252 text',
    });
    // UTF-8 whose header is ASCII and whose first letter beyond it comes later, as the server decides it.
    expect(await readHeader(new File([Buffer.from('a,b\n1,été\n')], 'u8.csv'))).toEqual({
      kind: 'header',
      header: ['a', 'b'],
      format: 'CSV',
    });
    expect(await readHeader(new File([iris.replaceAll(',', '\t')], 'iris.tsv'))).toMatchObject({
      kind: 'header',
      format: 'tab-separated CSV',
    });
  });

  it("refuses, in the server's words and with what to do, what the server refuses of a header: too many columns, too long; bare CR line ends are read", async () => {
    // Old Mac line ends (a bare CR) are read as the server reads them (CrLineEnds): was refused (unsupported_newline).
    const header = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'];
    expect(headerOfText(iris.replaceAll('\n', '\r'), true)).toEqual({ kind: 'header', header, format: 'CSV' });
    expect(headerOfText(`sep=;\n${iris.replaceAll(',', ';').replaceAll('\n', '\r')}`, true)).toMatchObject({ kind: 'header', header });
    expect(headerOfText(iris.replaceAll('\n', '\r\n'), true)).toMatchObject({ kind: 'header', header });

    // The server's limits, and its numbers.
    expect([MAX_COLUMNS, MAX_HEADER_BYTES]).toEqual([MAX_CSV_COLUMNS, MAX_CSV_HEADER_BYTES]);
    const columns = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`).join(',');
    const tooMany =
      'The header row (the first line) has more than 20,000 columns, the most batchcast reads. If the rows of the file are all on one line (its line breaks lost), save it again with one row per line; otherwise keep only the columns the model needs.';
    expect(headerOfText(`${columns(20_001)}\n${columns(20_001)}\n`, true)).toEqual({ kind: 'error', error: tooMany });
    expect(headerOfText(`${columns(20_000)}\n${columns(20_000)}\n`, true)).toMatchObject({ kind: 'header' });
    // A first line of 2 million columns, longer than the part of the file read first (it was "too long to be a
    // header row", with no limit and nothing to do).
    expect(await readHeader(new File([`a,${'x,'.repeat(2_000_000)}\n1\n`], 'one-line.csv'))).toEqual({ kind: 'error', error: tooMany });
    // 1.5 MiB of header in 10,000 long names: more than read at first, less than the server's limits. Read further, and checked.
    const long = Array.from({ length: 10_000 }, (_, i) => `${'n'.repeat(150)}${i}`);
    expect(await readHeader(new File([`${long.join(';')}\n${long.map(() => '1').join(';')}\n`], 'wide.csv'))).toEqual({
      kind: 'header',
      header: long,
      format: 'semicolon-separated CSV',
    });
    // Over the server's 4 MiB, in few columns.
    expect(await readHeader(new File([`a,${'b'.repeat(5 * 1024 * 1024)}\n1,2\n`], 'long.csv'))).toEqual({
      kind: 'error',
      error:
        'The first line of the file is longer than 4 MiB, the most batchcast reads as a header row: it must hold only the column names. If the rows of the file are all on one line (its line breaks lost), save it again with one row per line.',
    });
  });
});
