import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CrLineEnds } from '../src/index.js';

/** What CrLineEnds makes of `text` handed to it in pieces cut at `cuts`, and whether it converted. */
async function through(text: string, cuts: number[]): Promise<{ out: string; converted: boolean }> {
  const bytes = Buffer.from(text, 'latin1');
  const pieces: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    pieces.push(bytes.subarray(from, cut));
    from = cut;
  }
  const stage = new CrLineEnds();
  const out: Buffer[] = [];
  for await (const b of Readable.from(pieces.filter((p) => p.length > 0)).pipe(stage)) out.push(b as Buffer);
  return { out: Buffer.concat(out).toString('latin1'), converted: stage.converted };
}

describe('CrLineEnds: old Mac line ends read as LF', () => {
  const cases: [string, string, boolean][] = [
    // Lines ended by a bare CR: each becomes LF, a quoted cell's line break too (the file's line break).
    ['a,b\r1,2\r"x\ry",3\r', 'a,b\n1,2\n"x\ny",3\n', true],
    ['a,b\r1,2', 'a,b\n1,2', true],
    ['a,b\r', 'a,b\n', true],
    // A CRLF later in a CR file stays a CRLF.
    ['a,b\r1,2\r\n3,4\r', 'a,b\n1,2\r\n3,4\n', true],
    // LF or CRLF first: untouched, a bare CR in a cell too.
    ['a,b\n"x\ry",2\r3,4\n', 'a,b\n"x\ry",2\r3,4\n', false],
    ['a,b\r\n"x\ry",2\r\n', 'a,b\r\n"x\ry",2\r\n', false],
    ['a,b', 'a,b', false],
    ['', '', false],
  ];
  it.each(cases)('%j, cut anywhere', async (text, expected, converted) => {
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j++) {
        const got = await through(text, [i, j]);
        expect(got, `cut at ${i}, ${j}`).toEqual({ out: expected, converted });
      }
    }
  });

  it('keeps the text’s length, so positions in it do not move', async () => {
    const text = Array.from({ length: 500 }, (_, i) => `${i},${i * 2},x`).join('\r');
    const { out } = await through(text, [7, 4096, 4097]);
    expect(out.length).toBe(text.length);
    expect(out).toBe(text.replaceAll('\r', '\n'));
  });
});
