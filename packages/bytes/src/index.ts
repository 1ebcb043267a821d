// Sizes in words, the same everywhere: the server's refusals and limits, the pages (on the server and in the
// browser, which loads this file as it is from /static/lib/bytes/), the CLI's progress and the free disk space.
// Pure, no imports: nothing here may need Node or a bundler.

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/**
 * 1 byte, 512 bytes, 1.5 KiB, 20 MiB, 97.7 KiB, 3.2 GiB: a size in the binary units the README and the limits
 * (MAX_UPLOAD_BYTES: 1 GiB) are given in. A whole number of its unit has no decimals (1 GiB, not 1.0 GiB);
 * otherwise one decimal, rounded, moving to the next unit rather than writing 1024.0 MiB.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return `${bytes} bytes`;
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  let value = bytes / 1024;
  let unit = 0;
  for (;;) {
    const rounded = Math.round(value * 10) / 10;
    if (rounded < 1024 || unit === UNITS.length - 1) {
      return `${Number.isInteger(rounded) ? rounded : rounded.toFixed(1)} ${UNITS[unit]}`;
    }
    value /= 1024;
    unit++;
  }
}

export { CHOOSABLE_ENCODINGS, ENCODING_WINDOW, encodingOfLabel, utf16ByteOrder, withoutCutCharacter } from './text-encoding.js';
