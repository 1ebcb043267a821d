import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gatherPieces, UPLOAD_GATHER } from '@batchcast/formats';
import { describe, expect, it } from 'vitest';

/** The pieces a stream hands on, in order. */
async function pieces(stream: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const p of stream) out.push(p);
  return out;
}

/** `data` cut into uneven pieces of 1..maxPiece bytes. */
function cut(data: Buffer, maxPiece: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0, k = 1; i < data.length; k++) {
    const n = Math.min(data.length - i, 1 + ((k * 7919) % maxPiece));
    out.push(data.subarray(i, i + n));
    i += n;
  }
  return out;
}

describe('gatherPieces', () => {
  it('joins small pieces into pieces of at least the size asked, the last one the rest, every byte in order', async () => {
    const data = randomBytes(300_000);
    const out = await pieces(Readable.from(cut(data, 4_000)).pipe(gatherPieces({ bytes: 50_000, waitMs: 10_000 })));
    expect(Buffer.concat(out).equals(data)).toBe(true);
    // A piece is handed on as soon as it reaches 50,000 bytes: never more than one source piece past that.
    for (const p of out.slice(0, -1)) {
      expect(p.length).toBeGreaterThanOrEqual(50_000);
      expect(p.length).toBeLessThan(54_000);
    }
    expect(out.length).toBeGreaterThanOrEqual(5);
    expect(out.length).toBeLessThanOrEqual(6);
  });

  it('hands on what has come once the source goes quiet, and keeps gathering after', async () => {
    let resume!: () => void;
    const quiet = new Promise<void>((resolve) => {
      resume = resolve;
    });
    async function* slow(): AsyncGenerator<Buffer> {
      yield Buffer.from('first,');
      yield Buffer.from('second\n');
      await quiet; // nothing more until the gathered bytes have been handed on
      yield Buffer.from('third,');
      yield Buffer.from('fourth\n');
    }
    const it = Readable.from(slow())
      .pipe(gatherPieces({ bytes: 1024 * 1024, waitMs: 20 }))
      [Symbol.asyncIterator]();
    // Everything before the pause is handed on while the source is still open (in one piece unless the two
    // came more than 20 ms apart); without the wait this would never come.
    let before = '';
    while (before.length < 'first,second\n'.length) before += String((await it.next()).value);
    expect(before).toBe('first,second\n');
    resume();
    const rest: string[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(String(r.value));
    expect(rest.join('')).toBe('third,fourth\n');
  });

  it('gives a source that is all one small piece at its end, and an empty one nothing', async () => {
    expect((await pieces(Readable.from([Buffer.from('a,b\n1,2\n')]).pipe(gatherPieces(UPLOAD_GATHER)))).map(String)).toEqual([
      'a,b\n1,2\n',
    ]);
    expect(await pieces(Readable.from([]).pipe(gatherPieces(UPLOAD_GATHER)))).toEqual([]);
  });

  it('passes on a failure of the source', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('some bytes');
      throw new Error('client went away');
    }
    const seen: Buffer[] = [];
    await expect(
      pipeline(Readable.from(failing()), gatherPieces(UPLOAD_GATHER), async (source: AsyncIterable<Buffer>) => {
        for await (const p of source) seen.push(p);
      }),
    ).rejects.toThrow('client went away');
  });

  it('refuses a nonsensical size or wait', () => {
    expect(() => gatherPieces({ bytes: 0, waitMs: 10 })).toThrow(RangeError);
    expect(() => gatherPieces({ bytes: 10, waitMs: -1 })).toThrow(RangeError);
  });
});
