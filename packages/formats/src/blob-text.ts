/**
 * A BLOB's bytes as text, the way DuckDB prints a BLOB (its CSV and JSON export, `blob::VARCHAR`): the printable
 * ASCII bytes (0x20-0x7E) as themselves, except `\`, `'` and `"`, and every other byte as `\xHH` (upper-case hex).
 * Lossless and the same for every value of a column: `'\x00\xFF'::BLOB` is `\x00\xFF`, `abc` is `abc`, the UTF-8
 * bytes of `é` are `\xC3\xA9`. DuckDB reads it back with `CAST(text AS BLOB)`; blobBytes does here.
 */
export function blobText(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    out += b >= 0x20 && b <= 0x7e && b !== 0x5c && b !== 0x27 && b !== 0x22 ? String.fromCharCode(b) : `\\x${HEX[b]}`;
  }
  return out;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).toUpperCase().padStart(2, '0'));

/** The bytes blobText wrote (`\xHH` escapes decoded, every other character its own byte); null if it is not such text. */
export function blobBytes(text: string): Uint8Array | null {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) {
      const hex = text.slice(i + 2, i + 4);
      if (text[i + 1] !== 'x' || !/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
      out.push(Number.parseInt(hex, 16));
      i += 3;
    } else if (c > 0x7f) return null;
    else out.push(c);
  }
  return Uint8Array.from(out);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes as UTF-8 text, or null when they are not valid UTF-8. */
export function utf8Text(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}
