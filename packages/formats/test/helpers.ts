import { spawnSync } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { ByteSource, RangeReader } from '@batchcast/csv';
import { expect } from 'vitest';
import { FormatError } from '@batchcast/formats';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export function fixture(name: string): string {
  return `${FIXTURES}${name}`;
}

/** Collects a stream's bytes. */
export async function collect(stream: AsyncIterable<Buffer | Uint8Array | string>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of stream) parts.push(typeof p === 'string' ? Buffer.from(p) : Buffer.from(p));
  return Buffer.concat(parts);
}

/** A Writable that keeps what it is given. */
export function sink(): { stream: Writable; bytes: () => Buffer } {
  const parts: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      parts.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, bytes: () => Buffer.concat(parts) };
}

/**
 * A source read through a RangeReader opener, as the PostgreSQL blob store gives it (not a path), that
 * also counts the bytes read and hands out short reads (at most 1000 bytes) to exercise the loops.
 */
export function rangeSource(path: string): { source: () => Promise<RangeReader>; bytesRead: () => number; opened: () => number } {
  let total = 0;
  let opens = 0;
  return {
    source: async () => {
      opens++;
      const fh = await open(path, 'r');
      return {
        async read(buffer: Buffer, offset: number, length: number, position: number) {
          const r = await fh.read(buffer, offset, Math.min(length, 1000), position);
          total += r.bytesRead;
          return { bytesRead: r.bytesRead };
        },
        close: () => fh.close(),
      };
    },
    bytesRead: () => total,
    opened: () => opens,
  };
}

export async function fileStream(name: string, pieceSize = 7): Promise<Readable> {
  const data = await readFile(fixture(name));
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += pieceSize) pieces.push(data.subarray(i, i + pieceSize));
  return Readable.from(pieces);
}

/** Runs /usr/bin/python3 with a script; returns stdout (throws with stderr on failure). */
export function python(script: string, ...args: string[]): string {
  const r = spawnSync('/usr/bin/python3', ['-c', script, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout;
}

/** The FormatError `p` rejects with (the test fails if it resolves, or rejects with anything else). */
export async function failure(p: Promise<unknown>): Promise<FormatError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FormatError);
  return err as FormatError;
}

/** A source over bytes in memory (each read its own copy of the file's bytes as they are now). */
export function memorySource(bytes: Buffer): ByteSource {
  return async (): Promise<RangeReader> => ({
    async read(buffer, offset, length, position) {
      const n = Math.max(0, Math.min(length, bytes.length - position));
      bytes.copy(buffer, offset, position, position + n);
      return { bytesRead: n };
    },
    close: async () => undefined,
  });
}
