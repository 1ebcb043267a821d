import { endsWithStop } from './pickle/sniff.js';

/**
 * Which format a model file is in, decided from its bytes (the file name is only a hint for messages): an ONNX
 * protobuf, a Python pickle (plain, or joblib's with arrays written inline), a compressed joblib file, or an
 * XGBoost save_model document in JSON or UBJSON.
 */
export type DetectedFormat =
  | { kind: 'onnx' }
  | { kind: 'pickle' }
  | { kind: 'compressed'; compression: 'zlib' | 'gzip' | 'bz2' | 'xz' | 'lzma' | 'lz4' }
  | { kind: 'json' }
  | { kind: 'ubjson' }
  | { kind: 'unknown'; looksLike: string | null };

const starts = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

/** ModelProto tags a writer can put first: ir_version, producer_name/version, domain, model_version, doc_string, graph, opset_import, metadata_props. */
const ONNX_FIRST_TAGS = new Set([0x08, 0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72]);

const OTHER_FILES: { magic: number[]; what: string }[] = [
  { magic: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
  { magic: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { magic: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
  { magic: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive (a PyTorch .pt, a Keras .keras or an Excel file, perhaps)' },
  { magic: [0x89, 0x48, 0x44, 0x46], what: 'an HDF5 file (a Keras .h5 model, perhaps)' },
  { magic: [0x50, 0x41, 0x52, 0x31], what: 'a Parquet file' },
  // XGBoost before 2.0 writes this format when save_model's file name ends in neither .json nor .ubj.
  {
    magic: [0x62, 0x69, 0x6e, 0x66],
    what: "XGBoost's old binary format (save_model to a name ending in neither .json nor .ubj): load it in XGBoost and save it again with save_model('model.json')",
  },
];

function isZlibHeader(b0: number, b1: number): boolean {
  // Deflate with a 32 KiB window (what zlib, and so joblib, always writes); the header checksum makes
  // CMF * 256 + FLG a multiple of 31.
  return b0 === 0x78 && ((b0 << 8) | b1) % 31 === 0;
}

function firstNonSpace(bytes: Uint8Array): number {
  let i = 0;
  // A UTF-8 byte order mark or whitespace before a JSON document.
  if (starts(bytes, [0xef, 0xbb, 0xbf])) i = 3;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  return i;
}

export function detectFormat(bytes: Uint8Array): DetectedFormat {
  if (bytes.length === 0) return { kind: 'unknown', looksLike: 'an empty file' };
  const b0 = bytes[0]!;
  // Pickle protocols 2-5 start with PROTO; nothing else batchcast reads starts with 0x80.
  if (b0 === 0x80 && bytes.length >= 2 && bytes[1]! >= 2 && bytes[1]! <= 5) return { kind: 'pickle' };
  if (starts(bytes, [0x1f, 0x8b])) return { kind: 'compressed', compression: 'gzip' };
  if (starts(bytes, [0x42, 0x5a, 0x68])) return { kind: 'compressed', compression: 'bz2' };
  if (starts(bytes, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return { kind: 'compressed', compression: 'xz' };
  if (starts(bytes, [0x5d, 0x00, 0x00])) return { kind: 'compressed', compression: 'lzma' };
  if (starts(bytes, [0x04, 0x22, 0x4d, 0x18])) return { kind: 'compressed', compression: 'lz4' };
  if (bytes.length >= 2 && isZlibHeader(b0, bytes[1]!)) return { kind: 'compressed', compression: 'zlib' };
  // UBJSON objects start with '{' followed by a length/type marker; JSON with '{' then whitespace, '"' or '}'.
  if (b0 === 0x7b) {
    const next = bytes[1];
    if (next === undefined || next === 0x22 || next === 0x7d || next === 0x20 || next === 0x0a || next === 0x0d || next === 0x09)
      return { kind: 'json' };
    return { kind: 'ubjson' };
  }
  const text = firstNonSpace(bytes);
  if (bytes[text] === 0x7b) return { kind: 'json' };
  for (const other of OTHER_FILES) if (starts(bytes, other.magic)) return { kind: 'unknown', looksLike: other.what };
  // `(` (MARK) starts many protocol 0 and 1 pickles (`(dp0`, `(lp0`, `(i__main__`) and is also ONNX's tag of
  // model_version, which writers put after ir_version, never first; a graph does not end in '.' but where a string
  // ends the file.
  if (ONNX_FIRST_TAGS.has(b0) && !(b0 === 0x28 && endsWithStop(bytes))) return { kind: 'onnx' };
  if (b0 === 0x80 || b0 === 0x28 || b0 === 0x63 || b0 === 0x5d || b0 === 0x7d) {
    return { kind: 'unknown', looksLike: 'a pickle written with an old protocol (0 or 1)' };
  }
  return { kind: 'unknown', looksLike: null };
}
