// The rules that tell UTF-8 text from Windows-1252 and UTF-16 text, shared by the server (TextToUtf8 in @batchcast/formats,
// which converts uploads) and the upload page (which reads the header before sending): both must read a file
// the same way.

/**
 * Bytes from a text's first non-ASCII byte that decide its encoding: valid UTF-8 (see withoutCutCharacter) means
 * UTF-8, anything else Windows-1252. A fixed window, so that the outcome never depends on how the bytes arrive.
 */
export const ENCODING_WINDOW = 4096;

/** The byte order a UTF-16 byte order mark at the start of `bytes` says, or null when there is none. */
export function utf16ByteOrder(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return null;
}

/**
 * `bytes` without a UTF-8 character that their end cuts short (a lead byte followed by fewer continuation bytes
 * than it announces), for judging a window that ends before the text does.
 */
export function withoutCutCharacter(bytes: Uint8Array): Uint8Array {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const b = bytes[bytes.length - back]!;
    if (b < 0x80) return bytes;
    if (b >= 0xc0) {
      const needs = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return needs > back ? bytes.subarray(0, bytes.length - back) : bytes;
    }
  }
  return bytes;
}
