// Streams a compressed file through a decompressor and counts the output; prints time and peak RSS.
//   node bench/decompress.mjs FILE MODE  (MODE: gunzip | fzstd | zstd-napi)
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { startMeasure } from './measure.mjs';
const [file, mode] = process.argv.slice(2);
const measure = startMeasure();
let out = 0;
if (mode === 'gunzip') {
  for await (const b of createReadStream(file).pipe(createGunzip())) out += b.length;
} else if (mode === 'fzstd') {
  const { Decompress } = await import('fzstd');
  const d = new Decompress((chunk) => {
    out += chunk.length;
  });
  for await (const b of createReadStream(file)) d.push(b);
  d.push(new Uint8Array(0), true);
} else {
  const { DecompressStream } = await import('zstd-napi');
  for await (const b of createReadStream(file).pipe(new DecompressStream())) out += b.length;
}
measure.stop();
console.log(`${mode}: ${out} bytes out, ${measure.summary()}`);
