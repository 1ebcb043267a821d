import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import StreamSearch from '../src/index.js';

type Event = [isMatch: boolean, data: string | null];

/** What a StreamSearch tells its callback while `chunks` are pushed, then destroyed; data as latin1 text. */
function search(needle: string, chunks: Buffer[]): Event[] {
  const events: Event[] = [];
  const ss = new StreamSearch(Buffer.from(needle, 'latin1'), (isMatch, data, start, end) => {
    events.push([isMatch, data ? data.toString('latin1', start, end) : null]);
  });
  for (const chunk of chunks) ss.push(chunk);
  ss.destroy();
  return events;
}

/** The text between the needles, in order, as the events say it: split on every match. */
function pieces(events: Event[]): string[] {
  const out = [''];
  for (const [isMatch, data] of events) {
    out[out.length - 1] += data ?? '';
    if (isMatch) out.push('');
  }
  return out;
}

/** Cuts `text` into chunks at the given points (sorted, deduplicated, within the text). */
function chunked(text: string, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of [...points, text.length]) {
    chunks.push(Buffer.from(text.slice(from, p), 'latin1'));
    from = p;
  }
  return chunks;
}

describe('StreamSearch (streamsearch 1.1 API, Buffer.indexOf search)', () => {
  it('tells the events of streamsearch 1.1 own test vectors', () => {
    const crlf = ['foo', ' bar', '\r', '\n', 'baz, hello\r', '\n world.', '\r\n Node.JS rules!!\r\n\r\n'];
    expect(
      search(
        '\r\n',
        crlf.map((c) => Buffer.from(c)),
      ),
    ).toEqual([
      [false, 'foo'],
      [false, ' bar'],
      [true, null],
      [false, 'baz, hello'],
      [true, null],
      [false, ' world.'],
      [true, null],
      [true, ' Node.JS rules!!'],
      [true, ''],
    ]);
    const dashes = ['---foobarbaz', 'asdf', '\r\n', '---foobarba', '---foobar', 'ba', '\r\n---foobarbaz--\r\n'];
    expect(
      search(
        '---foobarbaz',
        dashes.map((c) => Buffer.from(c)),
      ),
    ).toEqual([
      [true, null],
      [false, 'asdf'],
      [false, '\r\n'],
      [false, '---foobarba'],
      [false, '---foobarba'],
      [true, '\r\n'],
      [false, '--\r\n'],
    ]);
  });

  it('splits any stream, cut anywhere, exactly as the whole text splits on the needle', () => {
    // A small alphabet so that needles, their beginnings and needles overlapping themselves ("aab" in "aaab",
    // "abab") occur often, across chunk ends and inside a lookbehind.
    const text = (max: number) => fc.string({ unit: fc.constantFrom('a', 'b', '\r', '\n', '-'), maxLength: max });
    fc.assert(
      fc.property(
        text(6).filter((n) => n.length > 0),
        text(120),
        fc.array(fc.nat(), { maxLength: 30 }),
        (needle, haystack, cuts) => {
          const events = search(needle, chunked(haystack, cuts));
          expect(pieces(events)).toEqual(haystack.split(needle));
          // One match told per needle in the text, none more.
          expect(events.filter(([m]) => m).length).toBe(haystack.split(needle).length - 1);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('keeps a needle that begins in one chunk and ends several chunks later, a byte at a time', () => {
    const needle = '\r\n--boundary';
    const chunks = [...`x\r\n--bou\r\n--boundary!`].map((c) => Buffer.from(c, 'latin1'));
    expect(pieces(search(needle, chunks))).toEqual(['x\r\n--bou', '!']);
  });

  it('keeps the bytes before a needle that overlaps itself and begins inside the lookbehind', () => {
    // "xa" + "a" + "ab": the lookbehind holds "aa", the needle begins at its second byte. streamsearch 1.1
    // tells [false, "x"], [true, null] here: the first "a" is lost. (busboy's needles never overlap themselves.)
    const chunks = ['xa', 'a', 'ab'].map((c) => Buffer.from(c));
    expect(search('aab', chunks)).toEqual([
      [false, 'x'],
      [true, 'a'],
    ]);
  });

  it('hands over, on destroy, a needle beginning the stream never finished', () => {
    expect(search('\r\n--b', [Buffer.from('abc\r\n-')])).toEqual([
      [false, 'abc'],
      [false, '\r\n-'],
    ]);
  });

  it('stops at maxMatches and says where', () => {
    const seen: boolean[] = [];
    const ss = new StreamSearch('--', (isMatch) => seen.push(isMatch));
    ss.maxMatches = 2;
    expect(ss.push(Buffer.from('a--b--c--d'))).toBe(6);
    expect(ss.matches).toBe(2);
  });

  it('refuses an empty needle or a missing callback', () => {
    expect(() => new StreamSearch('', () => {})).toThrow(/empty/);
    expect(() => new StreamSearch('x', undefined as never)).toThrow(/callback/);
  });

  it('is the streamsearch busboy (and so multer) loads', () => {
    // This package is CommonJS (busboy require()s it), so its tests are too: require and __dirname.
    const fromBusboy = require.resolve('streamsearch', { paths: [dirname(require.resolve('busboy'))] });
    expect(fromBusboy).toBe(join(__dirname, '..', 'dist', 'index.js'));
  });

  it('lets busboy read back every file and field of a multipart body, cut anywhere', async () => {
    const boundary = '------------------------d74496d66958873e';
    // File bytes full of the boundary's beginnings: CRLF, dashes, hex digits, a boundary one byte short.
    const fileText = fc.string({ unit: fc.constantFrom('\r', '\n', '-', '0', 'd', '7', '4', 'x', ','), maxLength: 300 });
    await fc.assert(
      fc.asyncProperty(fileText, fileText, fc.array(fc.nat(), { maxLength: 40 }), async (a, b, cuts) => {
        const near = `\r\n--${boundary.slice(0, -1)}`;
        const files = [a + near + b, b];
        const body = [
          `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nbreast-cancer-rf\r\n`,
          ...files.map((f, i) => `--${boundary}\r\nContent-Disposition: form-data; name="f${i}"; filename="${i}.csv"\r\n\r\n${f}\r\n`),
          `--${boundary}--\r\n`,
        ].join('');
        const got = await parseMultipart(boundary, chunked(body, cuts));
        expect(got).toEqual({ model: 'breast-cancer-rf', f0: files[0], f1: files[1] });
      }),
      { numRuns: 300 },
    );
  });
});

/** Fields and files (as latin1 text) busboy reads from `chunks`. */
function parseMultipart(boundary: string, chunks: Buffer[]): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const bb = busboy({ headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    const out: Record<string, string> = {};
    bb.on('field', (name: string, value: string) => {
      out[name] = value;
    });
    bb.on('file', (name: string, stream: Readable) => {
      const parts: Buffer[] = [];
      stream.on('data', (d: Buffer) => parts.push(d));
      stream.on('end', () => {
        out[name] = Buffer.concat(parts).toString('latin1');
      });
    });
    bb.on('close', () => resolve(out));
    bb.on('error', reject);
    for (const c of chunks) bb.write(c);
    bb.end();
  });
}
