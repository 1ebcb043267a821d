import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { createDecompressor, gatherPieces, sniffUpload, UPLOAD_GATHER } from '@batchcast/formats';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { collect, failure, fixture, sink } from './helpers.js';

const MiB = 1024 * 1024;

/** A ZIP archive of a PDF (as yazl writes it), for what is said of a refused file inside an archive. */
async function zipOfPdf(): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from('%PDF-1.4 ...'), 'doc.pdf');
  zip.end();
  return collect(zip.outputStream as unknown as Readable);
}

async function sniff(name: string, maxDecompressedBytes = 64 * MiB) {
  return sniffUpload(createReadStream(fixture(name), { highWaterMark: 64 }), { hints: { filename: name }, maxDecompressedBytes });
}

/** Sniffs and reads an upload whole: a FormatError may come from either step (the first bytes or later). */
async function readAll(name: string, maxDecompressedBytes = 64 * MiB): Promise<Buffer> {
  return collect((await sniff(name, maxDecompressedBytes)).stream);
}

describe('sniffUpload', () => {
  it('passes an uncompressed upload through, every byte replayed', async () => {
    const s = await sniff('records.jsonl');
    expect(s.compression).toBeNull();
    expect(s.detection.format).toBe('jsonl');
    expect(await collect(s.stream)).toEqual(await readFile(fixture('records.jsonl')));
  });

  it.each([
    ['small.csv.gz', 'gzip', 'csv', 'small.csv'],
    ['small.csv.zst', 'zstd', 'csv', 'small.csv'],
    ['records.jsonl.gz', 'gzip', 'jsonl', 'records.jsonl'],
    ['records.jsonl.zst', 'zstd', 'jsonl', 'records.jsonl'],
    ['records.json.gz', 'gzip', 'json', 'records.json'],
    ['types.xlsx.gz', 'gzip', 'xlsx', 'types.xlsx'],
    ['typed.parquet.gz', 'gzip', 'parquet', 'typed.parquet'],
  ])('decompresses %s (%s) and detects the %s inside', async (name, compression, format, original) => {
    const s = await sniff(name);
    expect(s.compression).toBe(compression);
    expect(s.detection.format).toBe(format);
    expect(s.detection.description).toMatch(new RegExp(`${compression}-compressed`));
    expect(await collect(s.stream)).toEqual(await readFile(fixture(original)));
  });

  it('says a gzip file cut short is incomplete, with the byte where it stops', async () => {
    const size = (await readFile(fixture('cut.jsonl.gz'))).length;
    const err = await failure(readAll('cut.jsonl.gz'));
    expect(err.code).toBe('truncated');
    expect(err.message).toBe(`the gzip file is incomplete (cut short at byte ${size}): upload it again`);
  });

  it('says a zstd file cut short is incomplete', async () => {
    const err = await failure(readAll('cut.jsonl.zst'));
    expect(err.code).toBe('truncated');
    expect(err.message).toMatch(/^the zstd file is incomplete \(cut short at byte \d+\): upload it again$/);
  });

  it.each(['bomb.csv.gz', 'bomb.csv.zst'])('stops %s once it passes the cap (a decompression bomb)', async (name) => {
    const compressed = (await readFile(fixture(name))).length;
    expect(compressed).toBeLessThan(32 * 1024);
    let seen = 0;
    const err = await failure(
      (async () => {
        const s = await sniff(name, MiB);
        for await (const piece of s.stream) seen += (piece as Buffer).length;
      })(),
    );
    expect(err.code).toBe('too_large');
    expect(err.message).toMatch(/decompresses to more than 1 MiB/);
    expect(seen).toBeLessThanOrEqual(MiB);
  });

  it('decompresses a gzip upload of several MiB arriving in 64 KiB pieces, two members, every byte', async () => {
    // Incompressible bytes, so the input is larger than the 1 MiB an upload is gathered into (as storeUpload
    // feeds the decompressor): several whole writes, a member boundary inside one, and a remainder at the end.
    const first = randomBytes(2.5 * MiB);
    const second = Buffer.concat([randomBytes(MiB), Buffer.alloc(MiB, 'a')]);
    const gz = Buffer.concat([gzipSync(first), gzipSync(second)]);
    expect(gz.length).toBeGreaterThan(3 * MiB);
    const pieces = Array.from({ length: Math.ceil(gz.length / (64 * 1024)) }, (_, i) => gz.subarray(i * 64 * 1024, (i + 1) * 64 * 1024));
    const out = await collect(
      Readable.from(pieces)
        .pipe(gatherPieces(UPLOAD_GATHER))
        .pipe(createDecompressor('gzip', { maxBytes: 64 * MiB })),
    );
    expect(out.equals(Buffer.concat([first, second]))).toBe(true);
  });

  it('decompresses what of a slow gzip upload has come, without waiting for a MiB of it', async () => {
    const original = Buffer.from('a,b\n1,2\n'.repeat(20_000));
    const gz = gzipSync(original);
    const half = Math.floor(gz.length / 2);
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* upload(): AsyncGenerator<Buffer> {
      yield gz.subarray(0, half);
      await released; // the rest is held back until the first output has come
      yield gz.subarray(half);
    }
    // Gathered as storeUpload gathers an upload: the half that came is handed on once nothing more comes.
    const out = Readable.from(upload())
      .pipe(gatherPieces(UPLOAD_GATHER))
      .pipe(createDecompressor('gzip', { maxBytes: 64 * MiB }));
    const it = out[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const first = await it.next();
    expect(first.done).toBe(false);
    expect(first.value.length).toBeGreaterThan(0);
    release();
    const rest: Buffer[] = [first.value];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
    expect(Buffer.concat(rest).equals(original)).toBe(true);
  });

  it('says a large gzip file cut short is incomplete, with the byte where it stops', async () => {
    const gz = gzipSync(randomBytes(3 * MiB));
    const cut = gz.subarray(0, gz.length - 1000);
    const pieces = Array.from({ length: Math.ceil(cut.length / (64 * 1024)) }, (_, i) => cut.subarray(i * 64 * 1024, (i + 1) * 64 * 1024));
    const err = await failure(collect(Readable.from(pieces).pipe(createDecompressor('gzip', { maxBytes: 64 * MiB }))));
    expect(err.code).toBe('truncated');
    expect(err.message).toBe(`the gzip file is incomplete (cut short at byte ${cut.length}): upload it again`);
  });

  it('says a damaged gzip file is damaged', async () => {
    const bytes = Buffer.from(await readFile(fixture('records.jsonl.gz')));
    for (let i = 20; i < 60; i++) bytes[i] = 0xff;
    const d = createDecompressor('gzip', { maxBytes: MiB });
    const err = await failure(pipeline(Readable.from([bytes]), d, sink().stream));
    expect(err.code).toBe('corrupt');
    expect(err.message).toMatch(/the gzip file is damaged/);
  });

  it('refuses a file compressed twice', async () => {
    const err = await failure(sniff('twice.csv.gz.gz'));
    expect(err.code).toBe('unsupported_format');
    expect(err.message).toMatch(/compressed twice \(gzip, then gzip\)/);
  });

  it('says what is inside a compressed upload that is refused', async () => {
    const s = await sniffUpload(Readable.from([await zipOfPdf()]), { hints: { filename: 'a.zip' }, maxDecompressedBytes: MiB });
    expect(s.compression).toBe('zip');
    expect(s.detection.message).toMatch(/PDF document.*\(inside the ZIP archive\)/);
    s.stream.destroy();
    const gz = await sniffUpload(Readable.from([(await import('node:zlib')).gzipSync(Buffer.from('%PDF-1.4 ...'))]), {
      hints: { filename: 'doc.pdf.gz' },
      maxDecompressedBytes: MiB,
    });
    expect(gz.compression).toBe('gzip');
    expect(gz.detection.message).toMatch(/PDF document.*\(inside the gzip file\)/);
    gz.stream.destroy();
  });
});
