/**
 * Protobuf wire-format scanning and splicing, without a schema.
 *
 * Two jobs need the raw encoding rather than protobufjs' decoded objects:
 *  - telling "this is not an ONNX file" from "this ONNX file is cut short": a generated decoder fails on both
 *    with similar errors, while a field-by-field scan knows whether it ran out of bytes inside a field that
 *    was well-formed so far;
 *  - rewriting a graph without losing what the bundled ONNX 1.10 schema does not know: protobufjs drops
 *    unknown fields on decode, so decode + re-encode would silently strip newer ONNX fields. Splicing keeps
 *    every field we do not touch byte-for-byte.
 */

export const WireType = { VARINT: 0, FIXED64: 1, LEN: 2, START_GROUP: 3, END_GROUP: 4, FIXED32: 5 } as const;

export interface WireField {
  field: number;
  wireType: number;
  /** Offset of the field's tag. */
  start: number;
  /** Offset just past the field. */
  end: number;
  /** For LEN fields: where the payload starts (after the length prefix); for others equal to the value start. */
  dataStart: number;
}

/** Why a scan stopped: the bytes ran out inside a field, or they are not protobuf at all. */
export class WireError extends Error {
  constructor(
    readonly kind: 'truncated' | 'malformed',
    readonly offset: number,
    message: string,
    /** Fields read completely before the problem. */
    readonly fields: WireField[],
  ) {
    super(message);
    this.name = 'WireError';
  }
}

interface Varint {
  value: number;
  next: number;
}

/** Reads a varint as a JS number (exact up to 2^53, enough for tags and lengths). Null when bytes run out. */
function readVarint(bytes: Uint8Array, pos: number): Varint | null | 'overlong' {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= bytes.length) return null;
    const b = bytes[pos + i]!;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return { value, next: pos + i + 1 };
  }
  return 'overlong';
}

/**
 * Splits a message into its top-level fields. `expected` maps known field numbers to their wire type: a known
 * field with another wire type, a group, or a field number 0 is `malformed`; bytes ending inside a field are
 * `truncated`. Unknown field numbers with a valid wire type are accepted (newer schema versions add fields).
 */
export function scanFields(bytes: Uint8Array, expected: ReadonlyMap<number, number>): WireField[] {
  const fields: WireField[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    const tag = readVarint(bytes, pos);
    if (tag === null) throw new WireError('truncated', start, 'ends inside a field tag', fields);
    if (tag === 'overlong') throw new WireError('malformed', start, 'field tag is not a varint', fields);
    const field = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    if (field === 0) throw new WireError('malformed', start, 'field number 0', fields);
    const want = expected.get(field);
    if (want !== undefined && want !== wireType) {
      throw new WireError('malformed', start, `field ${field} has wire type ${wireType}, expected ${want}`, fields);
    }
    pos = tag.next;
    let dataStart = pos;
    switch (wireType) {
      case WireType.VARINT: {
        const v = readVarint(bytes, pos);
        if (v === null) throw new WireError('truncated', start, `ends inside field ${field}`, fields);
        if (v === 'overlong') throw new WireError('malformed', start, `field ${field} is not a varint`, fields);
        pos = v.next;
        break;
      }
      case WireType.FIXED64:
        pos += 8;
        break;
      case WireType.FIXED32:
        pos += 4;
        break;
      case WireType.LEN: {
        const len = readVarint(bytes, pos);
        if (len === null) throw new WireError('truncated', start, `ends inside the length of field ${field}`, fields);
        if (len === 'overlong') throw new WireError('malformed', start, `field ${field} has a bad length`, fields);
        dataStart = len.next;
        pos = len.next + len.value;
        break;
      }
      default:
        // Groups (3, 4) are long deprecated and never used by ONNX; 6 and 7 do not exist.
        throw new WireError('malformed', start, `field ${field} has wire type ${wireType}`, fields);
    }
    if (pos > bytes.length) {
      throw new WireError('truncated', start, `field ${field} needs ${pos - start} bytes but only ${bytes.length - start} remain`, fields);
    }
    fields.push({ field, wireType, start, end: pos, dataStart });
  }
  return fields;
}

/** The payload of a LEN field. */
export function payload(bytes: Uint8Array, f: WireField): Uint8Array {
  return bytes.subarray(f.dataStart, f.end);
}

function encodeVarint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** Encodes one LEN field (tag + length + payload), e.g. to put a re-encoded sub-message back. */
export function lenField(field: number, data: Uint8Array): Uint8Array {
  const head = [...encodeVarint(field * 8 + WireType.LEN), ...encodeVarint(data.length)];
  const out = new Uint8Array(head.length + data.length);
  out.set(head, 0);
  out.set(data, head.length);
  return out;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}
