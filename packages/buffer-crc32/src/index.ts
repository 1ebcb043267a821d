/**
 * buffer-crc32 1.0's API (the CRC-32 yazl checks every zip entry's bytes with, so the .xlsx results), installed
 * in its place: this workspace has buffer-crc32's name and version, so npm links it for yazl's
 * `buffer-crc32@^1.0.0` (a test checks yazl loads it). Same calls: `crc32(input, previous?)` (a 4-byte
 * big-endian Buffer), `crc32.signed` and `crc32.unsigned` (numbers); `input` a Buffer, a string (its UTF-8
 * bytes) or a number (that many zero bytes); `previous` a CRC to go on from, as a number or such a Buffer.
 *
 * Why our own: buffer-crc32 computes it a byte at a time in JavaScript, and yazl runs every byte of the .xlsx
 * sheet through it (about 1.1 GB of XML for the results of the bench's 1M-row job): 2.6 s of a CPU profile
 * of that download. node:zlib's `crc32` (Node.js 20.15 and later) is zlib's own, native: the same download took
 * 25.8 and 28.9 s (29.9 and 35.2 CPU-seconds) against 33.1 and 35.3 s (39.9 and 42.5) with buffer-crc32, in
 * alternating processes, the same CRCs. On an older Node.js 20 the table below is used, as buffer-crc32 does.
 */
import zlib from 'node:zlib';

type Input = Buffer | string | number;
type Previous = number | Buffer | undefined;

/** node:zlib's crc32 where the running Node.js has it (20.15 and later). */
const nativeCrc32 = (zlib as { crc32?: (data: Buffer, value?: number) => number }).crc32;

/** The CRC-32 (IEEE 802.3, reflected) of each byte value, for Node.js versions without zlib.crc32. */
const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

/** The CRC-32 of `buf` continued from `previous`, by the table: what buffer-crc32 computes. */
function tableCrc32(buf: Buffer, previous = 0): number {
  let crc = ~previous;
  for (let i = 0; i < buf.length; i++) crc = TABLE[(crc ^ buf[i]!) & 255]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

function bytesOf(input: Input): Buffer {
  if (Buffer.isBuffer(input)) return input;
  if (typeof input === 'number') return Buffer.alloc(input);
  if (typeof input === 'string') return Buffer.from(input);
  throw new Error(`input must be buffer, number, or string, received ${typeof input}`);
}

function unsignedCrc32(input: Input, previous?: Previous): number {
  const buf = bytesOf(input);
  // buffer-crc32 reads a Buffer as its first 4 bytes big-endian, and anything else through `~~` (0 for undefined).
  const from = Buffer.isBuffer(previous) ? previous.readUInt32BE(0) : ~~(previous as number) >>> 0;
  return nativeCrc32 ? nativeCrc32(buf, from) : tableCrc32(buf, from);
}

function crc32(input: Input, previous?: Previous): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(unsignedCrc32(input, previous), 0);
  return out;
}
crc32.unsigned = unsignedCrc32;
crc32.signed = (input: Input, previous?: Previous): number => unsignedCrc32(input, previous) | 0;
/** The table's computation alone, whatever the Node.js version (the tests hold it to zlib's). */
crc32.byTable = tableCrc32;

export = crc32;
