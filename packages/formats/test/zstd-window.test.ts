import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createDecompressor, sniffUpload } from '@batchcast/formats';
import { describe, expect, it } from 'vitest';
import { decompressZstdPage, ZSTD_MAX_WINDOW_BYTES, ZstdFrameWalker } from '../src/zstd-frames.js';
import { collect, failure, fixture } from './helpers.js';

// Fixtures made by the real zstd CLI: fixtures/make_zstd.sh.

const MiB = 1024 * 1024;
const WIN30 =
  'the zstd file was compressed with a 1 GiB window (zstd --long=30); this server decodes windows up to 128 MiB: compress it again without --long or with --long=27 or lower';

/** `bytes` decompressed as an upload is, fed in pieces of `piece` bytes (headers split across them). */
function unzstd(bytes: Uint8Array, piece = 64 * 1024, maxBytes = 64 * MiB): Promise<Buffer> {
  const pieces = Array.from({ length: Math.ceil(bytes.length / piece) }, (_, i) => Buffer.from(bytes.subarray(i * piece, (i + 1) * piece)));
  return collect(Readable.from(pieces).pipe(createDecompressor('zstd', { maxBytes })));
}

/** A frame header by hand: magic, descriptor, then the given bytes (window descriptor, content size...). */
function frameHeader(descriptor: number, ...rest: number[]): Buffer {
  return Buffer.from([0x28, 0xb5, 0x2f, 0xfd, descriptor, ...rest]);
}

/** A last raw block of `content`. */
function lastRawBlock(content: Buffer): Buffer {
  const h = (content.length << 3) | 1;
  return Buffer.concat([Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), content]);
}

describe('zstd windows', () => {
  it('the cap is libzstd’s default windowLogMax, 128 MiB', () => {
    expect(ZSTD_MAX_WINDOW_BYTES).toBe(128 * MiB);
  });

  it.each([1, 3, 64 * 1024])('refuses a --long=30 file (1 GiB window) with what to do, in pieces of %i bytes', async (piece) => {
    const bytes = await readFile(fixture('win30.csv.zst'));
    expect(bytes.length).toBeLessThan(100);
    const err = await failure(unzstd(bytes, piece));
    expect(err.code).toBe('window_too_large');
    expect(err.message).toBe(WIN30);
  });

  it('refuses a --long=31 file (2 GiB window: fzstd computed a negative size) with the same message', async () => {
    const err = await failure(unzstd(await readFile(fixture('win31.csv.zst'))));
    expect(err.code).toBe('window_too_large');
    expect(err.message).toBe(WIN30.replace('1 GiB', '2 GiB').replace('--long=30', '--long=31'));
  });

  it('refuses it from the upload sniffer too (its first bytes are read there)', async () => {
    const err = await failure(
      sniffUpload(Readable.from([await readFile(fixture('win30.csv.zst'))]), {
        hints: { filename: 'win30.csv.zst' },
        maxDecompressedBytes: 64 * MiB,
      }),
    );
    expect(err.message).toBe(WIN30);
  });

  it.each([1, 7, 64 * 1024])('refuses a file whose SECOND frame has the 1 GiB window (pieces of %i bytes)', async (piece) => {
    const err = await failure(unzstd(await readFile(fixture('second-frame-win30.csv.zst')), piece));
    expect(err.code).toBe('window_too_large');
    expect(err.message).toBe(WIN30.replace('(zstd --long=30)', '(zstd --long=30) in its frame 2'));
  });

  it.each(['frames.csv.zst', 'skippable.csv.zst'])('decodes %s (several frames, --long=27 among them) byte for byte', async (name) => {
    const bytes = await readFile(fixture(name));
    const original = await readFile(fixture('iris.csv'));
    for (const piece of [1, 13, 64 * 1024]) expect((await unzstd(bytes, piece)).equals(original)).toBe(true);
  });

  it('sniffs a file that starts with a skippable frame as zstd, and the CSV inside it', async () => {
    const s = await sniffUpload(Readable.from([await readFile(fixture('skippable.csv.zst'))]), {
      hints: { filename: 'skippable.csv.zst' },
      maxDecompressedBytes: 64 * MiB,
    });
    expect([s.compression, s.detection.format]).toEqual(['zstd', 'csv']);
    expect((await collect(s.stream)).equals(await readFile(fixture('iris.csv')))).toBe(true);
  });

  it('refuses a single-segment frame that declares more content than the cap (fzstd allocates it whole)', async () => {
    // Single_Segment_flag, 8-byte Frame_Content_Size of 4 GiB.
    const bytes = Buffer.concat([frameHeader(0xe0, 0, 0, 0, 0, 1, 0, 0, 0), lastRawBlock(Buffer.from('a,b\n1,2\n'))]);
    const err = await failure(unzstd(bytes));
    expect(err.code).toBe('window_too_large');
    expect(err.message).toBe(
      'the zstd file declares 4 GiB of content to be decoded in one piece; this server decodes windows up to 128 MiB: compress it again without --long or with --long=27 or lower',
    );
  });

  it('takes a window of exactly 128 MiB and refuses the next size up (128 MiB + 1/8)', async () => {
    const content = Buffer.from('a,b\n1,2\n');
    // Window_Descriptor: exponent 17 (2^27), mantissa 0, then 1.
    expect(await unzstd(Buffer.concat([frameHeader(0x00, 17 << 3), lastRawBlock(content)]))).toEqual(content);
    const err = await failure(unzstd(Buffer.concat([frameHeader(0x00, (17 << 3) | 1), lastRawBlock(content)])));
    expect(err.message).toMatch(/^the zstd file was compressed with a 144 MiB window; this server decodes windows up to 128 MiB/);
  });

  it('says a frame of the reserved block type, a reserved header bit or a foreign frame is damaged, not a 500', async () => {
    const block = lastRawBlock(Buffer.from('x'));
    const reservedBlock = Buffer.from(block);
    reservedBlock[0]! |= 6;
    for (const bytes of [
      Buffer.concat([frameHeader(0x00, 0x20), reservedBlock]),
      Buffer.concat([frameHeader(0x08, 0x20), block]),
      Buffer.concat([frameHeader(0x00, 0x20), block, Buffer.from('PK\x03\x04 not zstd')]),
    ]) {
      const err = await failure(unzstd(bytes));
      expect(err.code).toBe('corrupt');
      expect(err.message).toMatch(/^the zstd file is damaged or uses an unsupported feature \(.*\): compress the original file again/);
    }
  });

  it('maps anything fzstd throws (random bytes after a valid header) to corrupt or truncated', async () => {
    for (let i = 0; i < 50; i++) {
      const bytes = Buffer.concat([frameHeader(0x00, 0x20), randomBytes(200)]);
      const err = await failure(unzstd(bytes, 1 + (i % 9)));
      expect(['corrupt', 'truncated']).toContain(err.code);
    }
  });

  it('says a file cut inside a frame header or a checksum is incomplete', async () => {
    const bytes = await readFile(fixture('frames.csv.zst'));
    for (const cut of [3, 6, bytes.length - 2]) {
      const err = await failure(unzstd(bytes.subarray(0, cut), 1));
      expect(err.code).toBe('truncated');
    }
  });

  it('walks a large multi-frame stream by block sizes and decodes it whole', async () => {
    // Frames of raw blocks (128 KiB at most each), written by hand: 5 MiB in 40 blocks, two frames.
    const frame = (content: Buffer): Buffer => {
      const blocks: Buffer[] = [frameHeader(0x00, 7 << 3)]; // a 128 KiB window
      for (let at = 0; at < content.length; at += 128 * 1024) {
        const part = content.subarray(at, at + 128 * 1024);
        const h = (part.length << 3) | (at + part.length >= content.length ? 1 : 0);
        blocks.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), part);
      }
      return Buffer.concat(blocks);
    };
    const original = [randomBytes(3 * MiB), Buffer.alloc(2 * MiB, 'a')];
    const big = Buffer.concat(original.map(frame));
    const walker = new ZstdFrameWalker();
    for (let i = 0; i < big.length; i += 100_000) {
      walker.update(big.subarray(i, i + 100_000));
      expect(walker.atFrameBoundary()).toBe(i + 100_000 >= big.length);
    }
    expect((await unzstd(big)).equals(Buffer.concat(original))).toBe(true);
  });
});

describe('zstd pages of Parquet files', () => {
  it('decodes a page as hyparquet-compressors did', async () => {
    const bytes = await readFile(fixture('frames.csv.zst'));
    const original = await readFile(fixture('iris.csv'));
    expect(Buffer.from(decompressZstdPage(bytes, original.length)).equals(original)).toBe(true);
  });

  it('refuses a page whose frame has a 1 GiB window, or declares more than the page holds, before allocating', async () => {
    expect(() => decompressZstdPage(readFileSync(fixture('win30.csv.zst')), 4096)).toThrow(
      'a zstd-compressed page declares 1 GiB to decode at once, more than the 128 MiB this server decodes',
    );
    // A 16 KiB window but a content size of 100 MiB: the one-shot decoder allocates the content size.
    const big = Buffer.concat([frameHeader(0x80, 4 << 3, 0, 0, 0x40, 0x06), lastRawBlock(Buffer.from('x'))]);
    expect(() => decompressZstdPage(big, 4096)).toThrow(/declares 104857600 bytes of content, more than the 4096 its page header gives/);
    const huge = Buffer.concat([frameHeader(0xc0, 4 << 3, 0, 0, 0, 0, 1, 0, 0, 0), lastRawBlock(Buffer.from('x'))]);
    expect(() => decompressZstdPage(huge, 4096)).toThrow(/declares 4 GiB to decode at once/);
  });
});
