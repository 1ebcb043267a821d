import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { ENCODING_WINDOW } from '@batchcast/bytes';
import { FormatError, TextToUtf8 } from '@batchcast/formats';
import { describe, expect, it } from 'vitest';
import { collect } from './helpers.js';

/** `text` in `codec`, by Python's codecs (another encoder than the decoder under test). */
function encoded(text: string, codec: string): Buffer {
  const run = spawnSync(
    '/usr/bin/python3',
    ['-c', `import sys; sys.stdout.buffer.write(sys.stdin.buffer.read().decode('utf-8').encode('${codec}'))`],
    {
      input: Buffer.from(text, 'utf8'),
    },
  );
  if (run.status !== 0) throw new Error(`python3 could not encode: ${run.stderr}`);
  return run.stdout;
}

const cp1252 = (text: string) => encoded(text, 'cp1252');

const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
const utf16be = (text: string) => utf16le(text).swap16();

/** Converts `bytes` given in pieces cut at `cuts`; resolves with the output and the encoding told. */
async function convert(
  bytes: Buffer,
  cuts: number[] = [],
  chosen: string | null = null,
): Promise<{ out: Buffer; encoding: string | null }> {
  const pieces: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    pieces.push(bytes.subarray(at, cut));
    at = cut;
  }
  const toUtf8 = new TextToUtf8(chosen);
  const out = await collect(Readable.from(pieces).pipe(toUtf8));
  return { out, encoding: toUtf8.encoding };
}

async function failure(bytes: Buffer, cuts: number[] = [], chosen: string | null = null): Promise<FormatError> {
  const err = await convert(bytes, cuts, chosen).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(FormatError);
  return err as FormatError;
}

/** Cuts around `at`, one by one, plus every piece size from 1 to 7 over the whole file. */
function cutsToTry(bytes: Buffer, at: number[]): number[][] {
  const tries: number[][] = [[]];
  for (const a of at) for (let c = Math.max(1, a - 4); c <= Math.min(bytes.length - 1, a + 4); c++) tries.push([c]);
  for (let size = 1; size <= 7; size++) {
    const cuts: number[] = [];
    for (let c = size; c < bytes.length; c += size) cuts.push(c);
    tries.push(cuts);
  }
  return tries;
}

const european = 'Größe;Preis;Notiz\r\n1,5;€ 12,50;Café – très bien\r\n2,0;€ 3,00;Œuvre «spéciale» — naïve\r\n';

describe('TextToUtf8', () => {
  it('passes ASCII and UTF-8 (with or without BOM) through untouched, however the bytes are cut', async () => {
    for (const bytes of [Buffer.from('a,b\n1,2\n'), Buffer.from(european), Buffer.from(`\ufeff${european}`), Buffer.from('x\n😀,𝄞\n')]) {
      for (const cuts of cutsToTry(bytes, [bytes.findIndex((b) => b >= 0x80)])) {
        const { out, encoding } = await convert(bytes, cuts);
        expect(out.equals(bytes), `cuts ${cuts}`).toBe(true);
        expect(encoding).toBe('utf-8');
      }
    }
  });

  it('reads Windows-1252 (Excel’s CSV on Windows) as the text it is, however the bytes are cut', async () => {
    const bytes = cp1252(european);
    expect(bytes.includes(0x80)).toBe(true); // € is one byte, 0x80, not Latin-1's
    for (const cuts of cutsToTry(bytes, [2, bytes.indexOf(0x80)])) {
      const { out, encoding } = await convert(bytes, cuts);
      expect(out.toString('utf8'), `cuts ${cuts}`).toBe(european);
      expect(encoding).toBe('windows-1252');
    }
  });

  it('decides at the first byte beyond ASCII, however far into the file', async () => {
    const ascii = 'id;x\r\n'.concat('1;2\r\n'.repeat(50_000));
    const text = `${ascii}3;Zürich\r\n4;5\r\n`;
    const bytes = cp1252(text);
    for (const cuts of [[], [ascii.length], [ascii.length + 2], [65_536, 131_072, ascii.length + 1, ascii.length + 3]]) {
      const { out, encoding } = await convert(bytes, cuts);
      expect(out.toString('utf8')).toBe(text);
      expect(encoding).toBe('windows-1252');
    }
    // A one-byte file, and one whose last byte is its only letter beyond ASCII.
    expect((await convert(Buffer.from([0xe9]))).out.toString()).toBe('é');
    expect((await convert(Buffer.from([0x61, 0x0a, 0xe9]), [2])).out.toString()).toBe('a\né');
  });

  it('judges the same window whatever the pieces: UTF-8 then a stray byte within it is Windows-1252, beyond it UTF-8', async () => {
    // "é" in UTF-8 is C3 A9, which Windows-1252 reads as "Ã©": a byte further on that UTF-8 cannot be tells them apart.
    const within = Buffer.concat([Buffer.from('a\né\n'), Buffer.from('x'.repeat(100)), Buffer.from([0xe9, 0x0a])]);
    for (const cuts of cutsToTry(within, [3, 4, 105])) {
      const { out, encoding } = await convert(within, cuts);
      expect([out.toString('utf8'), encoding]).toEqual([`a\nÃ©\n${'x'.repeat(100)}é\n`, 'windows-1252']);
    }
    const beyond = Buffer.concat([Buffer.from('a\né\n'), Buffer.from('x'.repeat(ENCODING_WINDOW)), Buffer.from([0xe9, 0x0a])]);
    for (const cuts of [[], [3], [4], [ENCODING_WINDOW], [ENCODING_WINDOW + 3]]) {
      const { out, encoding } = await convert(beyond, cuts);
      expect(out.equals(beyond)).toBe(true); // passed on as it is: the CSV scanner refuses the stray byte, naming its line
      expect(encoding).toBe('utf-8');
    }
  });

  it('does not take a UTF-8 character cut by the end of the window for a Windows-1252 letter', async () => {
    // The window's last bytes are the first two of "€" (E2 82 AC): UTF-8 all the same.
    const bytes = Buffer.from(`é${'x'.repeat(ENCODING_WINDOW - 4)}€€\n`);
    expect(bytes[2 + ENCODING_WINDOW - 4]).toBe(0xe2);
    for (const cuts of [[], [1], [ENCODING_WINDOW - 1], [ENCODING_WINDOW], [ENCODING_WINDOW + 1]]) {
      const { out, encoding } = await convert(bytes, cuts);
      expect([out.equals(bytes), encoding]).toEqual([true, 'utf-8']);
    }
    // At the end of the file, a cut character is not UTF-8: Windows-1252.
    expect(await convert(Buffer.from([0x61, 0x0a, 0xe2, 0x82]))).toMatchObject({ encoding: 'windows-1252' });
  });

  it('converts UTF-16 (Excel’s Unicode Text) of either byte order to UTF-8 with a BOM, however the bytes are cut', async () => {
    const text = 'name\tvalue\r\nGröße\t€ 1,5\r\n𝄞 clef\t😀\r\n';
    for (const [encoding, bytes] of [
      ['utf-16le', utf16le(text)],
      ['utf-16be', utf16be(text)],
    ] as const) {
      for (const cuts of cutsToTry(bytes, [1, 2, bytes.length - 9])) {
        const got = await convert(bytes, cuts);
        expect(got.out.toString('utf8'), `${encoding} cuts ${cuts}`).toBe(`\ufeff${text}`);
        expect(got.encoding).toBe(encoding);
      }
    }
  });

  it('refuses UTF-16 that is cut in the middle of a character, or holds half a surrogate pair', async () => {
    const cut = await failure(utf16le('a,b\n1,2\n').subarray(0, 11));
    expect(cut.code).toBe('invalid_text');
    expect(cut.message).toMatch(/UTF-16 \(little-endian\) text but ends in the middle of a character: it is truncated/);
    const lone = Buffer.concat([utf16le('a,b\n1,'), Buffer.from([0x3d, 0xd8]), Buffer.from('2\n', 'utf16le')]);
    for (const cuts of [[], [13], [14]]) {
      const e = await failure(lone, cuts);
      expect([e.code, e.message]).toEqual(['invalid_text', expect.stringMatching(/holds bytes that are not UTF-16/)]);
    }
    expect((await failure(utf16be('a,b\n1,2\n').subarray(0, 5))).message).toMatch(/big-endian/);
  });

  it('says UTF-8 for an empty file', async () => {
    expect(await convert(Buffer.alloc(0))).toEqual({ out: Buffer.alloc(0), encoding: 'utf-8' });
  });
});

describe('TextToUtf8 with the encoding chosen', () => {
  const text = 'id,ville,note\n1,Zürich,été\n2,Kraków,Œuvre\n3,東京,データ\n';
  const western = 'id,ville,note\n1,Zürich,été\n2,Genève,Œuvre 5€\n';
  const every = (bytes: Buffer) => Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);

  it('reads what detection cannot tell: Mac Roman, ISO-8859-15 and Shift_JIS, a character cut between pieces included', async () => {
    for (const [codec, name, sample] of [
      ['mac_roman', 'macintosh', western],
      ['iso8859_15', 'iso-8859-15', western],
      ['shift_jis', 'shift_jis', 'id,都市\n1,東京\n2,大阪\n'],
      ['cp1250', 'windows-1250', 'id,miasto\n1,Kraków\n2,Łódź\n'],
    ] as const) {
      const bytes = encoded(sample, codec);
      // Detection reads these as Windows-1252 (or UTF-8): other letters than the file's.
      expect((await convert(bytes)).out.toString('utf8'), codec).not.toBe(sample);
      for (const cuts of [[], every(bytes)]) {
        const { out, encoding } = await convert(bytes, cuts, name);
        expect(out.toString('utf8'), `${codec} in ${cuts.length + 1} pieces`).toBe(sample);
        expect(encoding).toBe(name);
      }
    }
  });

  it('reads UTF-16 without a byte order mark, and with the one of the encoding chosen', async () => {
    const le = Buffer.from(text, 'utf16le');
    expect((await convert(le, every(le), 'utf-16le')).out.toString('utf8')).toBe(`\ufeff${text}`);
    expect((await convert(Buffer.from(le).swap16(), [3, 7], 'utf-16be')).out.toString('utf8')).toBe(`\ufeff${text}`);
    expect((await convert(utf16le(text), [], 'utf-16le')).out.toString('utf8')).toBe(`\ufeff${text}`);
  });

  it('refuses bytes the encoding chosen does not have, and a byte order mark that says another', async () => {
    const sjis = encoded('id,都市\n1,東京\n', 'shift_jis');
    const damaged = Buffer.concat([sjis, Buffer.from([0x82, 0x20, 0x0a])]);
    expect((await failure(damaged, [], 'shift_jis')).message).toMatch(
      /^the file holds bytes that are not shift_jis text before byte \d+: it was saved in another encoding/,
    );
    expect((await failure(Buffer.concat([sjis, Buffer.from([0x82])]), [], 'shift_jis')).message).toMatch(
      /ends in the middle of a shift_jis character/,
    );
    expect((await failure(utf16le(text), [], 'macintosh')).message).toBe(
      'the file starts with the byte order mark of UTF-16LE text, not macintosh: leave the encoding to be detected, or choose utf-16le',
    );
    // UTF-16 chosen for a file of an odd number of bytes: the message is about the choice.
    expect((await failure(Buffer.from('a,b\n1,23\n'), [], 'utf-16le')).message).toBe(
      'the file ends in the middle of a utf-16le character: it is truncated, or in another encoding; upload the whole file, or choose the encoding it was saved in',
    );
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    expect((await failure(bom, [], 'windows-1252')).message).toMatch(/byte order mark of UTF-8 text, not windows-1252/);
  });

  it('UTF-8 chosen is UTF-8 as it came: Windows-1252 is not guessed', async () => {
    const bytes = cp1252(western);
    const { out, encoding } = await convert(bytes, [], 'utf-8');
    expect(out.equals(bytes)).toBe(true);
    expect(encoding).toBe('utf-8');
  });
});
