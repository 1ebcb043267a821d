/**
 * Recognises files that are clearly not CSV text from their first bytes, so the user hears "this looks
 * like a PNG image" instead of a confusing encoding or column error. Only signatures that cannot
 * plausibly start a CSV header are listed (most begin with bytes that are not printable text).
 */

/** How many leading bytes `describeBinarySignature` wants to see (fewer is fine at end of file). */
export const SIGNATURE_BYTES = 8;

interface Signature {
  bytes: number[];
  what: string;
}

const SIGNATURES: Signature[] = [
  { bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], what: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { bytes: [0x47, 0x49, 0x46, 0x38, 0x37, 0x61], what: 'a GIF image' },
  { bytes: [0x47, 0x49, 0x46, 0x38, 0x39, 0x61], what: 'a GIF image' },
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], what: 'a PDF document' },
  // .xlsx, .ods and .docx are ZIP archives too: say so, it is the most common mistake.
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive (an Excel .xlsx workbook is one — export the sheet as CSV)' },
  { bytes: [0x50, 0x4b, 0x05, 0x06], what: 'a ZIP archive' },
  { bytes: [0x50, 0x4b, 0x07, 0x08], what: 'a ZIP archive' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], what: 'an old Excel .xls workbook (export the sheet as CSV)' },
  { bytes: [0x1f, 0x8b], what: 'a gzip-compressed file (decompress it first)' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: 'a 7-Zip archive' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], what: 'an executable program' },
];

/** A description such as "a PNG image" when `head` starts with a known binary signature, else null. */
export function describeBinarySignature(head: Uint8Array): string | null {
  for (const sig of SIGNATURES) {
    if (head.length < sig.bytes.length) continue;
    let match = true;
    for (let i = 0; i < sig.bytes.length; i++) {
      if (head[i] !== sig.bytes[i]) {
        match = false;
        break;
      }
    }
    if (match) return sig.what;
  }
  return null;
}
