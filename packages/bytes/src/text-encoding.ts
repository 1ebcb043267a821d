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

/**
 * The encodings the upload form offers when detection cannot know a file's (it tells UTF-8, UTF-16 with a byte order
 * mark and Windows-1252 only): the WHATWG name, then what it is and what writes it. The API takes any label a
 * TextDecoder reads (encodingOfLabel); these are the ones people's files come in.
 */
export const CHOOSABLE_ENCODINGS: readonly (readonly [name: string, what: string])[] = [
  ['utf-8', 'UTF-8'],
  ['windows-1252', 'Windows-1252 / Latin-1 (Western Europe; Excel on Windows)'],
  ['macintosh', 'Mac Roman (Excel for Mac before 2016)'],
  ['iso-8859-15', 'ISO-8859-15 (Latin-9, Western Europe with €)'],
  ['windows-1250', 'Windows-1250 (Central Europe)'],
  ['iso-8859-2', 'ISO-8859-2 (Latin-2, Central Europe)'],
  ['windows-1251', 'Windows-1251 (Cyrillic)'],
  ['koi8-r', 'KOI8-R (Russian)'],
  ['windows-1253', 'Windows-1253 (Greek)'],
  ['windows-1254', 'Windows-1254 (Turkish)'],
  ['windows-1257', 'Windows-1257 (Baltic)'],
  ['shift_jis', 'Shift_JIS (Japanese; Excel on Japanese Windows)'],
  ['euc-jp', 'EUC-JP (Japanese)'],
  ['gb18030', 'GB18030 / GBK (Chinese, simplified)'],
  ['big5', 'Big5 (Chinese, traditional)'],
  ['euc-kr', 'EUC-KR (Korean)'],
  ['utf-16le', 'UTF-16 little-endian (without a byte order mark)'],
  ['utf-16be', 'UTF-16 big-endian (without a byte order mark)'],
];

// Node and browsers both have TextDecoder; this package is built without their type libraries.
declare const TextDecoder: new (label: string) => { readonly encoding: string };

/**
 * The WHATWG name of the encoding a label names (`latin1` → windows-1252, `sjis` → shift_jis, `UTF8` → utf-8), or null
 * when no TextDecoder reads it. `replacement` (the label of encodings that must not be decoded, such as ISO-2022-KR) is
 * none.
 */
export function encodingOfLabel(label: string): string | null {
  try {
    const name = new TextDecoder(label.trim()).encoding;
    return name === 'replacement' ? null : name;
  } catch {
    return null;
  }
}
