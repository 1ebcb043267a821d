import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { createDecompressor, FormatError } from '@batchcast/formats';
import { describe, expect, it } from 'vitest';
import { decompressZstdPage } from '../src/zstd-frames.js';
import { collect, fixture } from './helpers.js';

// fzstd's window upkeep, as patches/fzstd+0.1.1.patch makes it: blocks are appended to a window with slack
// (a quarter of the window, at least 1 MiB) and the window is moved to the start of its buffer only when a
// block does not fit. Fixtures: fixtures/make_zstd.sh (the real zstd CLI) from fixtures/make_longrange.mjs.

const MiB = 1024 * 1024;

/** `bytes` decompressed as an upload is, fed in pieces of `piece` bytes. */
function unzstd(bytes: Uint8Array, piece: number, maxBytes = 64 * MiB): Promise<Buffer> {
  const pieces = Array.from({ length: Math.ceil(bytes.length / piece) }, (_, i) => Buffer.from(bytes.subarray(i * piece, (i + 1) * piece)));
  return collect(Readable.from(pieces).pipe(createDecompressor('zstd', { maxBytes })));
}

/** The CSV a longrange fixture was compressed from, made again by its generator. */
function longrange(mb: number, poolKb: number): Buffer {
  const r = spawnSync(process.execPath, [fixture('make_longrange.mjs'), String(mb), String(poolKb)], { maxBuffer: 64 * MiB });
  expect(r.status).toBe(0);
  expect(r.stdout.length).toBe(mb * 1e6);
  return r.stdout;
}

/** A frame with a 128 MiB window (zstd --long=27), no content size, of `count` one-byte RLE blocks of 'A'. */
function tinyBlocks(count: number): Buffer {
  const out = Buffer.alloc(6 + 4 * count);
  out.set([0x28, 0xb5, 0x2f, 0xfd, 0x00, 17 << 3]);
  for (let i = 0; i < count; i++) {
    const h = (1 << 3) | (1 << 1) | (i === count - 1 ? 1 : 0);
    out.set([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, 0x41], 6 + 4 * i);
  }
  return out;
}

describe('zstd window upkeep (patched fzstd)', () => {
  it('the installed fzstd is the patched one (the root postinstall ran patch-package)', () => {
    const require = createRequire(import.meta.url);
    const lib = require.resolve('fzstd');
    for (const file of [lib, lib.replace(/lib[\\/]index\.js$/, 'esm/index.mjs')]) {
      expect(readFileSync(file, 'utf8')).toContain('batchcast patch');
    }
  });

  it('decodes long-range repeats in a 2 MiB window (moved every 1 MiB) byte for byte, in several piece sizes', async () => {
    const bytes = await readFile(fixture('longrange-w21.csv.zst'));
    const original = longrange(6, 128);
    for (const piece of [1000, 64 * 1024, bytes.length]) expect((await unzstd(bytes, piece)).equals(original)).toBe(true);
    // The one-shot decoder (Parquet pages) keeps the same window when a frame has no content size.
    expect(Buffer.from(decompressZstdPage(bytes, original.length)).equals(original)).toBe(true);
  });

  it('decodes 48 MB of zstd --long=27 -19 (moved after 32 MiB, references back across it) byte for byte', async () => {
    const bytes = await readFile(fixture('longrange-w27.csv.zst'));
    const original = longrange(48, 64);
    for (const piece of [7 * 1024, bytes.length]) expect((await unzstd(bytes, piece)).equals(original)).toBe(true);
    expect(Buffer.from(decompressZstdPage(bytes, original.length)).equals(original)).toBe(true);
  });

  it.each([1, 5, 806])('decodes 200 one-byte blocks in a 128 MiB window (pieces of %i bytes)', async (piece) => {
    const bytes = tinyBlocks(200);
    expect(bytes.length).toBe(806);
    expect((await unzstd(bytes, piece)).equals(Buffer.alloc(200, 'A'))).toBe(true);
  });

  it('decodes 250,000 one-byte blocks in a 128 MiB window, streamed and as a page (the window was moved per block)', async () => {
    // Unpatched, each block moved the whole 128 MiB window: about 40 minutes of CPU for this 1 MB file.
    const bytes = tinyBlocks(250_000);
    expect((await unzstd(bytes, 64 * 1024)).equals(Buffer.alloc(250_000, 'A'))).toBe(true);
    expect(Buffer.from(decompressZstdPage(bytes, 250_000)).equals(Buffer.alloc(250_000, 'A'))).toBe(true);
  });

  it('says a block larger than its window is damaged', async () => {
    // A 1 KiB window (Window_Descriptor 0), then a last raw block of 2 KiB.
    const content = Buffer.alloc(2048, 'x');
    const h = (content.length << 3) | 1;
    const bytes = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00, h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), content]);
    const err = await unzstd(bytes, 64 * 1024).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).code).toBe('corrupt');
  });
});
