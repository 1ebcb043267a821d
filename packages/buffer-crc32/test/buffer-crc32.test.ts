import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import crc32 from '../src/index.js';

describe('buffer-crc32 in place of the registry’s', () => {
  it('gives the CRC-32 check value and buffer-crc32’s forms of it', () => {
    // The check value of CRC-32 (IEEE): "123456789" is 0xCBF43926.
    expect(crc32.unsigned('123456789')).toBe(0xcbf43926);
    expect(crc32.signed('123456789')).toBe(0xcbf43926 | 0);
    expect(crc32('123456789')).toEqual(Buffer.from([0xcb, 0xf4, 0x39, 0x26]));
    expect(crc32.unsigned(Buffer.alloc(0))).toBe(0);
    // A number is that many zero bytes; a string its UTF-8 bytes.
    expect(crc32.unsigned(3)).toBe(crc32.unsigned(Buffer.alloc(3)));
    expect(crc32.unsigned('é€')).toBe(crc32.unsigned(Buffer.from('é€', 'utf8')));
    expect(() => crc32.unsigned({} as never)).toThrow(/input must be buffer, number, or string/);
  });

  it('agrees with the table computation for any bytes, whole or continued from a previous CRC given either way', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat({ max: 2000 }), (bytes, at) => {
        const buf = Buffer.from(bytes);
        const cut = Math.min(at, buf.length);
        const whole = crc32.byTable(buf);
        expect(crc32.unsigned(buf)).toBe(whole);
        const first = crc32.unsigned(buf.subarray(0, cut));
        expect(crc32.unsigned(buf.subarray(cut), first)).toBe(whole);
        expect(crc32.unsigned(buf.subarray(cut), crc32(buf.subarray(0, cut)))).toBe(whole);
        expect(crc32.byTable(buf.subarray(cut), crc32.byTable(buf.subarray(0, cut)))).toBe(whole);
      }),
    );
  });

  it('is the buffer-crc32 yazl (and so the .xlsx results) loads', () => {
    // This package is CommonJS (yazl require()s it), so its tests are too: require and __dirname.
    const fromYazl = require.resolve('buffer-crc32', { paths: [dirname(require.resolve('yazl'))] });
    expect(fromYazl).toBe(join(__dirname, '..', 'dist', 'index.js'));
  });

  it('lets yazl write a zip whose entries’ CRCs are zlib’s', async () => {
    const zip = new yazl.ZipFile();
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251));
    const stream = new PassThrough();
    zip.addReadStream(stream, 'streamed.bin');
    zip.addBuffer(Buffer.from('a buffer entry'), 'buffer.txt');
    zip.end();
    stream.end(bytes);
    const parts: Buffer[] = [];
    for await (const part of zip.outputStream) parts.push(part as Buffer);
    const file = Buffer.concat(parts);
    // The central directory's records (signature 0x02014b50) carry each entry's CRC-32 at offset 16.
    const crcs: number[] = [];
    for (
      let at = file.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
      at >= 0;
      at = file.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 4)
    ) {
      crcs.push(file.readUInt32LE(at + 16));
    }
    expect(crcs).toEqual([zlib.crc32(bytes), zlib.crc32(Buffer.from('a buffer entry'))]);
  });
});
