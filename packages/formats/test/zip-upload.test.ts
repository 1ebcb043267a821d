import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { detectFormat, sniffUpload } from '@batchcast/formats';
import yazl from 'yazl';
import { describe, expect, it } from 'vitest';
import { collect, failure, fixture } from './helpers.js';

/**
 * A ZIP archive of one data file is read as that file (zip-entry.ts), whichever tool wrote it: the archives in
 * fixtures/zip were written by Python's zipfile and the `zip` command (make_zips.py), each as its tool writes it.
 * Each is read 64 bytes at a time, as an upload arrives in pieces, so every header and size crosses a piece's end.
 */
const MiB = 1024 * 1024;

async function sniff(name: string, maxDecompressedBytes = 64 * MiB) {
  return sniffUpload(createReadStream(fixture(`zip/${name}`), { highWaterMark: 64 }), {
    hints: { filename: name },
    maxDecompressedBytes,
  });
}

async function readAll(name: string, maxDecompressedBytes = 64 * MiB): Promise<Buffer> {
  return collect((await sniff(name, maxDecompressedBytes)).stream);
}

async function yazlZip(entries: [string, Buffer][]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, bytes] of entries) zip.addBuffer(bytes, name);
  zip.end();
  return collect(zip.outputStream as unknown as Readable);
}

describe('a ZIP archive of one data file', () => {
  it.each([
    ['deflated.zip', 'iris.csv', 'zipfile, Deflate'],
    ['stored.zip', 'iris.csv', 'zipfile, stored uncompressed'],
    ['macos.zip', 'data/iris.csv', "macOS' Compress of a folder: the folder, __MACOSX/ and .DS_Store entries"],
    ['descriptor.zip', 'iris.csv', 'written as a stream: the sizes in a data descriptor after the data'],
    ['stdin.zip', '-', '`zip` of its standard input'],
  ])('%s is read as the CSV inside it, byte for byte (%s)', async (name, entry) => {
    const s = await sniff(name);
    expect(s.compression).toBe('zip');
    expect(s.detection).toMatchObject({ format: 'csv', supported: true, description: `a CSV text file, "${entry}" in a ZIP archive` });
    expect(await collect(s.stream)).toEqual(await readFile(fixture('iris.csv')));
  });

  it('the file inside decides its format, by its content and its own name: JSON Lines, Parquet, a workbook', async () => {
    for (const [inner, format] of [
      ['records.jsonl', 'jsonl'],
      ['typed.parquet', 'parquet'],
      ['types.xlsx', 'xlsx'],
    ] as const) {
      const bytes = await readFile(fixture(inner));
      const s = await sniffUpload(Readable.from([await yazlZip([[inner, bytes]])]), {
        hints: { filename: 'data.zip' },
        maxDecompressedBytes: 64 * MiB,
      });
      expect([s.compression, s.detection.format]).toEqual(['zip', format]);
      expect(await collect(s.stream)).toEqual(bytes);
    }
  });

  it('refuses an archive of several data files, naming them: from its first entries, or from its index at the end', async () => {
    const early = await sniff('two.zip');
    expect(early.detection.supported).toBe(false);
    expect(early.detection.message).toBe(
      'this ZIP archive holds several files ("a.csv", "b.csv"): batchcast scores one file per job; upload them one at a time (each file itself, or one zip per file)',
    );
    early.stream.destroy();
    // Sizes after the data: the second file is known only from the archive's index, once all of it has arrived.
    const late = await failure(readAll('two-descriptor.zip'));
    expect([late.code, late.message]).toEqual([
      'unsupported_format',
      'the ZIP archive holds 2 files, "a.csv" and "b.csv": batchcast scores one file per job; upload them one at a time (each file itself, or one zip per file)',
    ]);
  });

  it('refuses what it cannot read, saying what to do: a password, bzip2, a zip or gzip file inside', async () => {
    const encrypted = await failure(readAll('encrypted.zip'));
    expect([encrypted.code, encrypted.message]).toEqual([
      'unsupported_format',
      '"iris.csv" in the ZIP archive is encrypted (password-protected): zip it again without a password, or upload the file itself',
    ]);
    const bzip2 = await failure(readAll('bzip2.zip'));
    expect(bzip2.message).toMatch(/^"iris\.csv" in the ZIP archive is compressed with bzip2, which batchcast does not read/);
    const gz = await failure(
      sniffUpload(Readable.from([await yazlZip([['iris.csv.gz', await readFile(fixture('small.csv.gz'))]])]), {
        maxDecompressedBytes: MiB,
      }),
    );
    expect(gz.message).toBe('the file is compressed twice (zip, then gzip): compress the data once');
  });

  it('refuses a cut, damaged or oversized archive, and one that unzips to other bytes than its index records', async () => {
    const cut = await failure(readAll('cut.zip'));
    expect([cut.code, cut.message]).toEqual(['truncated', 'the ZIP archive is incomplete (cut short at byte 92): upload it again']);
    const crc = await failure(readAll('crc.zip'));
    expect(crc.code).toBe('corrupt');
    expect(crc.message).toMatch(/^the ZIP archive is damaged \("iris\.csv" unzips to other bytes than its index records/);
    const bomb = await failure(readAll('bomb.zip', MiB));
    expect([bomb.code, bomb.message]).toEqual([
      'too_large',
      '"big.csv" in the ZIP archive unzips to more than 1 MiB, the most this server accepts; split the data into smaller files',
    ]);
    const damaged = Buffer.from(await readFile(fixture('zip/deflated.zip')));
    damaged[50]! ^= 0xff;
    const broken = await failure(
      (async () => collect((await sniffUpload(Readable.from([damaged]), { maxDecompressedBytes: MiB })).stream))(),
    );
    expect(broken.code).toBe('corrupt');
  });

  it('detection: an archive of one data file is a compression to look inside; one of a workbook is a workbook', async () => {
    expect(detectFormat(await readFile(fixture('zip/deflated.zip')), { filename: 'iris.zip' })).toMatchObject({
      format: 'zip',
      supported: true,
    });
    expect(detectFormat(await readFile(fixture('types.xlsx')), { filename: 'types.xlsx' }).format).toBe('xlsx');
  });
});
