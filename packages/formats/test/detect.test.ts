import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DETECT_BYTES, detectFormat, innerHints } from '@batchcast/formats';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { collect, fixture } from './helpers.js';

async function head(name: string): Promise<Buffer> {
  return (await readFile(fixture(name))).subarray(0, DETECT_BYTES);
}

async function zipOf(entries: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, text] of Object.entries(entries)) zip.addBuffer(Buffer.from(text), name, { compress: name !== 'mimetype' });
  zip.end();
  return collect(zip.outputStream as unknown as AsyncIterable<Buffer>);
}

describe('detectFormat', () => {
  it.each([
    ['small.csv', 'csv'],
    ['records.jsonl', 'jsonl'],
    ['records.json', 'json'],
    ['pretty-object.json', 'jsonl'],
    ['types.xlsx', 'xlsx'],
    ['typed.parquet', 'parquet'],
    ['small.csv.gz', 'gzip'],
    ['records.jsonl.zst', 'zstd'],
    ['skippable.csv.zst', 'zstd'],
  ])('recognises %s from its bytes as %s', async (name, format) => {
    const d = detectFormat(await head(name));
    expect(d.format).toBe(format);
    expect(d.supported).toBe(true);
    expect(d.message).toBeNull();
  });

  it('trusts the content over the extension: a CSV named .xlsx is CSV', async () => {
    expect(detectFormat(await head('small.csv'), { filename: 'report.xlsx' }).format).toBe('csv');
  });

  it('refuses an old .xls (OLE2) workbook and says to save it as .xlsx or CSV', () => {
    const d = detectFormat(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0]), { filename: 'old.xls' });
    expect(d).toMatchObject({ format: 'xls', supported: false });
    expect(d.message).toMatch(/save it as \.xlsx or CSV/);
  });

  it('refuses an OpenDocument spreadsheet (.ods)', async () => {
    const ods = await zipOf({ mimetype: 'application/vnd.oasis.opendocument.spreadsheet', 'content.xml': '<x/>' });
    const d = detectFormat(ods, { filename: 'book.ods' });
    expect(d.supported).toBe(false);
    expect(d.message).toMatch(/OpenDocument spreadsheets \(\.ods\) are not supported: save it as \.xlsx or CSV/);
  });

  it('takes a zip that is not a workbook for a compression to look inside (zip-upload.test.ts), and refuses a Word document', async () => {
    const archive = detectFormat(await head('archive.zip'), { filename: 'data.zip' });
    expect(archive).toMatchObject({ format: 'zip', supported: true });
    const word = detectFormat(await zipOf({ '[Content_Types].xml': '<Types/>', 'word/document.xml': '<w/>' }), { filename: 'a.docx' });
    expect(word.message).toMatch(/Word document/);
  });

  it('refuses a tar archive (made by the tar command) saying to upload the file inside it; was "a binary file"', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tar-'));
    writeFileSync(path.join(dir, 'data.csv'), 'a,b\n1,2\n');
    for (const format of ['ustar', 'gnu', 'pax']) {
      execFileSync('tar', [`--format=${format}`, '-cf', 'data.tar', 'data.csv'], { cwd: dir });
      const tar = readFileSync(path.join(dir, 'data.tar'));
      expect(detectFormat(tar.subarray(0, 4096), { filename: 'data.tar' }), format).toMatchObject({
        supported: false,
        description: 'a tar archive',
        message: 'this is a tar archive: upload the data file inside it (CSV, .xlsx, Parquet or JSON Lines)',
      });
    }
    rmSync(dir, { recursive: true });
  });

  it('refuses PDFs, images and executables with what they are', () => {
    expect(detectFormat(Buffer.from('%PDF-1.7\n...')).message).toMatch(/PDF document/);
    expect(detectFormat(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])).description).toBe('a PNG image');
    expect(detectFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe0])).description).toBe('a JPEG image');
    expect(detectFormat(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1])).supported).toBe(false);
  });

  it('reads UTF-16 text with its byte order mark as delimited text, and refuses JSON and HTML in it', () => {
    const le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = (text: string) => le(text).swap16();
    for (const utf16 of [le, be]) {
      expect(detectFormat(utf16('a\tb\n1\t2\n'))).toMatchObject({ format: 'csv', supported: true, description: 'UTF-16 text' });
      // Cut in the middle of a code unit by the detection's window: still told.
      expect(detectFormat(utf16('a,b\n1,2\n').subarray(0, 7)).format).toBe('csv');
      expect(detectFormat(utf16('{"a": 1}\n'))).toMatchObject({ supported: false, message: expect.stringMatching(/JSON must be UTF-8/) });
      expect(detectFormat(utf16('[{"a": 1}]'))).toMatchObject({ supported: false, description: 'UTF-16 text holding JSON' });
      expect(detectFormat(utf16('<!DOCTYPE html><html></html>'))).toMatchObject({
        supported: false,
        message: expect.stringMatching(/HTML/),
      });
    }
  });

  it('refuses markup without a prolog (SVG, an HTML fragment, a comment first), not a CSV whose header starts with <', () => {
    for (const text of [
      '<svg xmlns="http://www.w3.org/2000/svg">\n<script>alert(1)</script>\n</svg>\n',
      '<svg><script>alert(1)</script></svg>',
      '<body>\n<p>hi</p>\n</body>',
      '<!-- exported -->\n<table></table>',
    ]) {
      expect(detectFormat(Buffer.from(text)), text).toMatchObject({
        supported: false,
        message: expect.stringMatching(/HTML or XML document/),
      });
    }
    for (const text of ['<id>,value\n1,2\n', '<id>;value\n1;2\n', '<id>\tvalue\n1\t2\n']) {
      expect(detectFormat(Buffer.from(text)), text).toMatchObject({ supported: true, format: 'csv' });
    }
  });

  it('says UTF-16 without a byte order mark, naming the encoding to choose, and binary data as binary', () => {
    const csv = 'sepal_length,sepal_width\n5.1,3.5\n4.9,3.0\n';
    expect(detectFormat(Buffer.from(csv, 'utf16le')).message).toMatch(/UTF-16 LE text without a byte order mark.*encoding=utf-16le/);
    expect(detectFormat(Buffer.from(csv, 'utf16le').swap16()).message).toMatch(
      /UTF-16 BE text without a byte order mark.*encoding=utf-16be/,
    );
    expect(detectFormat(Buffer.from([0x61, 0x00, 0x62])).message).toMatch(/binary file/);
    expect(detectFormat(Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37) % 256))).message).toMatch(/binary file/);
  });

  it('text with a stray NUL byte: refused naming its line and what to do; binary data stays binary', () => {
    // The tester's nul.csv: a NUL inside a number on line 3.
    const early = detectFormat(Buffer.from('sepal_length,sepal_width\n5.1,3.5\n5.\u00001,3.5\n'));
    expect(early).toMatchObject({ supported: false, description: 'text with a NUL byte' });
    expect(early.message).toMatch(/^line 3 holds a NUL byte .*remove it .*or export the file again/);
    // Cut mid-character after the last line ending: still text.
    const cut = Buffer.concat([Buffer.from('a,b\n\u0000x,é\n1,'), Buffer.from('é').subarray(0, 1)]);
    expect(detectFormat(cut).message).toMatch(/^line 2 holds a NUL byte/);
    // No line ending, many NULs, other control bytes, or not UTF-8: binary.
    expect(detectFormat(Buffer.from([0x61, 0x00, 0x62])).message).toMatch(/binary file/);
    expect(detectFormat(Buffer.from(`a,b\n${'1,\u0000\n'.repeat(20)}`)).message).toMatch(/binary file/);
    expect(detectFormat(Buffer.from('a,b\n1,\u0000\u0001\n')).message).toMatch(/binary file/);
    expect(detectFormat(Buffer.from([0x61, 0x0a, 0x00, 0xff, 0xfe, 0x0a])).message).toMatch(/binary file/);
  });

  it('refuses HTML saved as .xls, binary data and an empty file', () => {
    const html = detectFormat(Buffer.from('<html><table><tr><td>1</td></tr></table></html>'), { filename: 'export.xls' });
    expect(html.message).toMatch(/HTML or XML saved under an Excel name/);
    expect(detectFormat(Buffer.from([0x61, 0x00, 0x62])).message).toMatch(/binary file/);
    expect(detectFormat(Buffer.alloc(0))).toMatchObject({
      supported: false,
      message: 'the file is empty: choose the file that holds your data (a header row naming the columns, then a row per record)',
    });
  });

  it('tells a JSON array from a CSV header that starts with a bracket', () => {
    expect(detectFormat(Buffer.from('\ufeff  [\n  {"a": 1}]')).format).toBe('json');
    expect(detectFormat(Buffer.from('[id],value\n1,2\n')).format).toBe('csv');
  });

  it('reads JSON Lines whose first line is broken as JSON Lines (by its later lines, its name or content type), a CSV named .jsonl as CSV', () => {
    const good = '{"a": 1}\n{"a": 2}\n';
    // Not opening an object: by the later lines alone, whatever the name.
    expect(detectFormat(Buffer.from(`"a": 1}\n${good}`)).format).toBe('jsonl');
    expect(detectFormat(Buffer.from(`[1, 2]\n${good}`), { filename: 'data.csv' }).format).toBe('jsonl');
    // A later line broken too: the name or the content type decides, when some later line is an object.
    const mixed = Buffer.from('"a": 1}\n{"a": 2,}\n{"a": 3}\n');
    expect(detectFormat(mixed).format).toBe('csv');
    expect(detectFormat(mixed, { filename: 'data.jsonl' }).format).toBe('jsonl');
    expect(detectFormat(mixed, { contentType: 'application/x-ndjson' }).format).toBe('jsonl');
    expect(detectFormat(Buffer.from('"a": 1}\n'), { filename: 'one.ndjson' }).format).toBe('jsonl');
    // A CSV named .jsonl: no later line is an object, the bytes win over the name.
    expect(detectFormat(Buffer.from('a,b\n1,2\n3,4\n'), { filename: 'data.jsonl' }).format).toBe('csv');
    expect(detectFormat(Buffer.from('payload,x\n"{""a"": 1}",2\n'), { contentType: 'application/jsonl' }).format).toBe('csv');
  });

  it('gives the inner file name of a compressed upload', () => {
    expect(innerHints({ filename: 'data.jsonl.gz', contentType: 'application/gzip' })).toEqual({ filename: 'data.jsonl' });
    expect(innerHints({ filename: 'x.csv.zst' })).toEqual({ filename: 'x.csv' });
    expect(innerHints({ filename: 'x.csv.gz', encoding: 'utf-16le' })).toEqual({ filename: 'x.csv', encoding: 'utf-16le' });
  });

  it('reads UTF-16 without a byte order mark as text when it is the encoding chosen; JSON in another encoding than UTF-8 is refused', () => {
    const le = Buffer.from('id\tx\n1\t2\n', 'utf16le');
    expect(detectFormat(le).format).toBe('unknown');
    expect(detectFormat(le, { encoding: 'utf-16le' })).toMatchObject({ format: 'csv', supported: true });
    expect(detectFormat(Buffer.from(le).swap16(), { encoding: 'utf-16be' })).toMatchObject({ format: 'csv', supported: true });
    expect(detectFormat(Buffer.from('id,x\n1,2\n'), { encoding: 'shift_jis' })).toMatchObject({ format: 'csv', supported: true });
    const json = detectFormat(Buffer.from('{"a": 1}\n'), { encoding: 'shift_jis' });
    expect(json).toMatchObject({ supported: false, description: 'JSON in shift_jis text' });
    expect(json.message).toMatch(/^JSON must be UTF-8/);
    expect(detectFormat(Buffer.from('{"a": 1}\n'), { encoding: 'utf-8' }).format).toBe('jsonl');
  });
});
