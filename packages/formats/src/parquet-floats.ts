import { type FileMetaData, parquetSchema, type SchemaTree, snappyUncompress } from 'hyparquet';
import { parquetCompressors as compressors } from './zstd-frames.js';
import { readHybrid } from './parquet-hybrid.js';
import { columnChunkPlace, parquetDamage } from './parquet-layout.js';

/**
 * Decodes flat number columns (DOUBLE, FLOAT or INT32 without annotation, REQUIRED or OPTIONAL) of a row group
 * straight into the float array a model input reads, null as NaN: the common case of a Parquet upload (what
 * DuckDB, pandas and Spark write for numbers). hyparquet decodes the same values through a JS array of
 * definition levels, a JS array of dictionary indices and a JS array the values are pushed into, and
 * writers such as DuckDB put a whole row group in one page per column: for a 124,462-row group that is
 * several MB of short-lived arrays per column, ~200 MB per chunk of 30 inputs, which the scoring threads' and
 * the web process's RSS carried (+143 MB and +87 MB over the plain CSV in the bench). Here the only new array
 * per column is the output: the column's bytes, its pages decompressed (snappy), its dictionary and levels
 * go into buffers this reader owns and reuses, so one reader serves one sequence of reads (a chunk's), never
 * two at once. Pages of PLAIN or dictionary (PLAIN_DICTIONARY / RLE_DICTIONARY) encoding, v1 or v2; anything
 * else (other encodings, types, nesting, an unknown codec) makes read() answer false, and the caller reads
 * the column with hyparquet instead (discarding whatever was written to `out`). Damaged data throws.
 */
export class FloatColumnReader {
  /** This reader's buffers: the thread's spare ones if no other reader holds them (see release()). */
  private buffers: ReaderBuffers = takeSpareBuffers();
  /** The file's top-level columns by name: the schema tree is built once per reader, not per column read. */
  private readonly topColumns: Map<string, SchemaTree>;

  constructor(
    private readonly metadata: FileMetaData,
    /** Fills `into` with the file's bytes from `position` on. */
    private readonly readAt: (into: Uint8Array, position: number) => Promise<void>,
  ) {
    this.topColumns = new Map(parquetSchema(metadata).children.map((c) => [c.element.name, c]));
  }

  /**
   * The array the `slot`-th column of a read is decoded into, for `length` rows: one per column, kept from
   * segment to segment and, with the reader's other buffers, for the thread's next chunk (a DuckDB row group
   * of 30 inputs is 15 MB of them; allocated afresh per chunk, the last chunk's were freed late, beside the
   * next one's). Its values are whatever read() writes: every row of the slice.
   */
  output(slot: number, type: 'float32' | 'float64', length: number): FloatArray {
    let a = this.buffers.outputs[slot];
    if (!a || a.length < length || (type === 'float32') !== a instanceof Float32Array) {
      a = type === 'float32' ? new Float32Array(length) : new Float64Array(length);
      this.buffers.outputs[slot] = a;
    }
    return a.subarray(0, length);
  }

  /** Done reading: its buffers serve the next reader of this thread (a chunk's reader, one after another). */
  release(): void {
    // Outputs of an unusually wide or long read are let go rather than held by an idle thread.
    const outputBytes = this.buffers.outputs.reduce((n, a) => n + a.byteLength, 0);
    if (outputBytes > MAX_SPARE_OUTPUT_BYTES) this.buffers.outputs = [];
    spareBuffers = this.buffers;
    this.buffers = emptyBuffers();
  }

  /** Rows [rowStart, rowEnd) of row group `group` (0-based within it) of `column` into `out`; false if not handled here. */
  async read(group: number, column: string, rowStart: number, rowEnd: number, out: Float32Array | Float64Array): Promise<boolean> {
    const shape = floatShape(this.metadata, this.topColumns.get(column), group, column);
    if (!shape) return false;
    const groupRows = Number(this.metadata.row_groups[group]?.num_rows ?? 0);
    // Sizes come from the file: a damaged or hostile one must not make us allocate what it claims.
    if (shape.length > mostBytesFor(groupRows)) {
      throw new Error(
        `column "${column}", row group ${group}: its footer says ${shape.length} bytes for ${groupRows} numbers; the file is damaged`,
      );
    }
    if (this.buffers.bytes.length < shape.length) this.buffers.bytes = new Uint8Array(shape.length);
    const bytes = this.buffers.bytes.subarray(0, shape.length);
    await this.readAt(bytes, shape.start);
    try {
      this.decode(bytes, shape, groupRows, rowStart, rowEnd, out);
      return true;
    } catch (err) {
      if (err instanceof Unsupported) return false;
      throw new Error(`column "${column}", row group ${group}: ${parquetDamage(err)}`);
    }
  }

  private decode(
    bytes: Uint8Array,
    shape: Shape,
    groupRows: number,
    rowStart: number,
    rowEnd: number,
    out: Float32Array | Float64Array,
  ): void {
    const r: Reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
    let dictionary: Float64Array | null = null;
    let row = 0;
    while (row < rowEnd && r.offset < bytes.length) {
      const header = readPageHeader(r);
      const claimed = header.dictionary?.numValues ?? header.data?.numValues ?? header.v2?.numRows ?? 0;
      if (claimed > groupRows || header.uncompressed > mostBytesFor(groupRows)) {
        throw new Error(
          `a page claims ${claimed} values in ${header.uncompressed} bytes, more than its row group of ${groupRows} rows holds`,
        );
      }
      const body = bytes.subarray(r.offset, r.offset + header.compressed);
      r.offset += header.compressed;
      if (header.type === PageType.dictionary) {
        const n = header.dictionary!.numValues;
        if (this.buffers.dictionary.length < n) this.buffers.dictionary = new Float64Array(n);
        dictionary = this.buffers.dictionary.subarray(0, n);
        plainValues(this.decompress(body, header.uncompressed, shape.codec), n, shape.type, dictionary);
        continue;
      }
      if (header.type !== PageType.data && header.type !== PageType.dataV2) continue; // index pages
      const rows = header.type === PageType.data ? header.data!.numValues : header.v2!.numRows;
      if (row + rows <= rowStart) {
        row += rows; // before the slice: not even decompressed
        continue;
      }
      this.decodeDataPage(header, body, shape, dictionary, row - rowStart, rowEnd - rowStart, out);
      row += rows;
    }
    if (row < rowEnd) throw new Error(`${row} rows, fewer than its metadata says`);
  }

  /** A page's bytes decompressed: snappy into this reader's buffer, other codecs by hyparquet-compressors. */
  private decompress(body: Uint8Array, size: number, codec: string): Uint8Array {
    if (codec === 'UNCOMPRESSED') return body;
    if (codec === 'SNAPPY') {
      if (this.buffers.page.length < size) this.buffers.page = new Uint8Array(size);
      const page = this.buffers.page.subarray(0, size);
      snappyUncompress(body, page);
      return page;
    }
    const page = compressors[codec as keyof typeof compressors]!(body, size);
    if (page.length !== size) throw new Error(`a ${codec} page decompressed to ${page.length} bytes, not the ${size} its header says`);
    return page;
  }

  /** Decodes one data page into out[at + i] for each of its rows i with 0 <= at + i < end (NaN for null). */
  private decodeDataPage(
    header: PageHeader,
    body: Uint8Array,
    shape: Shape,
    dictionary: Float64Array | null,
    at: number,
    end: number,
    out: Float32Array | Float64Array,
  ): void {
    let page: Uint8Array;
    let rows: number;
    let encoding: number;
    let defs: Uint8Array | null = null;
    let offset = 0;
    if (header.type === PageType.data) {
      const d = header.data!;
      page = this.decompress(body, header.uncompressed, shape.codec);
      rows = d.numValues;
      encoding = d.encoding;
      if (shape.optional) {
        if (d.definitionEncoding !== Encoding.rle) throw new Unsupported();
        const length = new DataView(page.buffer, page.byteOffset, page.byteLength).getUint32(0, true);
        defs = this.levels(rows);
        readHybrid(page, 4, 4 + length, 1, defs, rows);
        offset = 4 + length;
      }
    } else {
      const v = header.v2!;
      rows = v.numRows;
      encoding = v.encoding;
      if (v.numValues !== rows || v.repetitionBytes !== 0) throw new Unsupported();
      const levels = v.definitionBytes;
      if (shape.optional) {
        defs = this.levels(rows);
        readHybrid(body, 0, levels, 1, defs, rows);
      }
      const values = body.subarray(levels);
      page = v.compressed ? this.decompress(values, header.uncompressed - levels, shape.codec) : values;
    }
    let present = rows;
    if (defs) for (let i = 0; i < rows; i++) present -= defs[i] === 1 ? 0 : 1;
    const first = Math.max(0, -at);
    const last = Math.min(rows, end - at);
    let k = 0;
    if (encoding === Encoding.plain) {
      const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
      const width = shape.type === 'DOUBLE' ? 8 : 4;
      if (offset + present * width > page.length) throw new Error('a PLAIN page is shorter than its values');
      for (let i = 0; i < last; i++) {
        if (defs && defs[i] !== 1) {
          if (i >= first) out[at + i] = Number.NaN;
        } else {
          if (i >= first) out[at + i] = plainAt(view, offset + width * k, shape.type);
          k++;
        }
      }
    } else if (encoding === Encoding.plainDictionary || encoding === Encoding.rleDictionary) {
      if (!dictionary) throw new Error('a dictionary-encoded page comes before its dictionary');
      const width = page[offset]!;
      if (this.buffers.indices.length < present) this.buffers.indices = new Uint32Array(present);
      const indices = this.buffers.indices;
      if (width === 0) indices.fill(0, 0, present);
      else readHybrid(page, offset + 1, page.length, width, indices, present);
      for (let i = 0; i < last; i++) {
        if (defs && defs[i] !== 1) {
          if (i >= first) out[at + i] = Number.NaN;
        } else {
          if (i >= first) {
            const value = dictionary[indices[k]!];
            if (value === undefined) throw new Error('a dictionary index is past the end of the dictionary');
            out[at + i] = value;
          }
          k++;
        }
      }
    } else throw new Unsupported();
  }

  private levels(n: number): Uint8Array {
    if (this.buffers.defs.length < n) this.buffers.defs = new Uint8Array(n);
    return this.buffers.defs;
  }
}

type NumberType = 'DOUBLE' | 'FLOAT' | 'INT32';

interface Shape {
  type: NumberType;
  optional: boolean;
  codec: string;
  start: number;
  length: number;
}

/** The buffers a reader decodes through, grown as columns need and kept from one chunk's reader to the next. */
type FloatArray = Float32Array | Float64Array;

interface ReaderBuffers {
  /** The columns' decoded values (see output()), by place in the read. */
  outputs: FloatArray[];
  bytes: Uint8Array;
  page: Uint8Array;
  dictionary: Float64Array;
  defs: Uint8Array;
  indices: Uint32Array;
}

const emptyBuffers = (): ReaderBuffers => ({
  outputs: [],
  bytes: new Uint8Array(0),
  page: new Uint8Array(0),
  dictionary: new Float64Array(0),
  defs: new Uint8Array(0),
  indices: new Uint32Array(0),
});

/**
 * The buffers the last reader released in this thread (a few MB for a DuckDB row group: its column chunk and
 * page). Allocated afresh per chunk, they were garbage V8 freed late, beside the next chunk's.
 */
let spareBuffers: ReaderBuffers | null = null;
/** The most decoded-value memory an idle thread keeps for its next chunk. */
const MAX_SPARE_OUTPUT_BYTES = 64 * 1024 * 1024;

function takeSpareBuffers(): ReaderBuffers {
  const spare = spareBuffers ?? emptyBuffers();
  spareBuffers = null;
  return spare;
}

/**
 * The most bytes a column chunk or page of `rows` numbers can take, compressed or not: 8 bytes a value,
 * levels and dictionary indices (at most 4 bytes a value, with their run headers), page headers; generous,
 * since it is only there to refuse sizes no writer produces.
 */
function mostBytesFor(rows: number): number {
  return rows * 16 + 1024 * 1024;
}

/** The column chunk's place and decoding, or null when it is not a column this reader handles. */
function floatShape(metadata: FileMetaData, node: SchemaTree | undefined, group: number, column: string): Shape | null {
  const e = node?.element;
  if (!node || !e || node.children.length > 0) return null;
  if (e.type !== 'DOUBLE' && e.type !== 'FLOAT' && e.type !== 'INT32') return null;
  if (e.converted_type !== undefined || e.logical_type !== undefined) return null;
  if (e.repetition_type !== 'REQUIRED' && e.repetition_type !== 'OPTIONAL') return null;
  const place = columnChunkPlace(metadata, group, column);
  return place && { type: e.type, optional: e.repetition_type === 'OPTIONAL', ...place };
}

function plainAt(view: DataView, at: number, type: NumberType): number {
  if (type === 'DOUBLE') return view.getFloat64(at, true);
  return type === 'FLOAT' ? view.getFloat32(at, true) : view.getInt32(at, true);
}

function plainValues(page: Uint8Array, n: number, type: NumberType, out: Float64Array): void {
  const width = type === 'DOUBLE' ? 8 : 4;
  if (n * width > page.length) throw new Error('a dictionary page is shorter than its values');
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  for (let i = 0; i < n; i++) out[i] = plainAt(view, width * i, type);
}

/** Thrown for a page this reader does not decode: read() answers false. */
class Unsupported extends Error {
  constructor() {
    super('page layout not handled by FloatColumnReader');
  }
}

// ---- Parquet page headers: Thrift's compact protocol, the fields this reader needs ----

/** Parquet's PageType and Encoding values (parquet.thrift) this reader knows. */
const PageType = { data: 0, dictionary: 2, dataV2: 3 } as const;
const Encoding = { plain: 0, plainDictionary: 2, rle: 3, rleDictionary: 8 } as const;

interface Reader {
  view: DataView;
  offset: number;
}

interface PageHeader {
  type: number;
  uncompressed: number;
  compressed: number;
  data?: { numValues: number; encoding: number; definitionEncoding: number };
  dictionary?: { numValues: number };
  v2?: {
    numValues: number;
    numRows: number;
    encoding: number;
    definitionBytes: number;
    repetitionBytes: number;
    compressed: boolean;
  };
}

function readVarint(r: Reader): number {
  let result = 0;
  let scale = 1;
  for (;;) {
    const byte = r.view.getUint8(r.offset++);
    result += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return result;
    scale *= 128;
  }
}

const zigzag = (n: number): number => (n % 2 === 0 ? n / 2 : -(n + 1) / 2);

/** Reads a struct's fields, handing each field id and type to `field`, which reads or skips its value. */
function readStruct(r: Reader, field: (id: number, type: number) => void): void {
  let id = 0;
  for (;;) {
    const byte = r.view.getUint8(r.offset++);
    const type = byte & 0x0f;
    if (type === 0) return;
    const delta = byte >> 4;
    id = delta === 0 ? zigzag(readVarint(r)) : id + delta;
    field(id, type);
  }
}

function skip(r: Reader, type: number, inList = false): void {
  switch (type) {
    case 1: // true
    case 2: // false: in a field header, but a byte of its own in a list
      if (inList) r.offset++;
      return;
    case 3:
      r.offset++;
      return;
    case 4:
    case 5:
    case 6:
      readVarint(r);
      return;
    case 7:
      r.offset += 8;
      return;
    case 8: {
      // The length first: `r.offset += readVarint(r)` takes r.offset before the varint moves it, and lands short
      // by the varint's own bytes (pyarrow's page headers, whose statistics hold binary min/max, were misread so).
      const length = readVarint(r);
      r.offset += length;
      return;
    }
    case 9:
    case 10: {
      const head = r.view.getUint8(r.offset++);
      const n = head >> 4 === 15 ? readVarint(r) : head >> 4;
      for (let i = 0; i < n; i++) skip(r, head & 0x0f, true);
      return;
    }
    case 11: {
      const n = readVarint(r);
      if (n === 0) return;
      const types = r.view.getUint8(r.offset++);
      for (let i = 0; i < n; i++) {
        skip(r, types >> 4, true);
        skip(r, types & 0x0f, true);
      }
      return;
    }
    case 12:
      readStruct(r, (_id, t) => skip(r, t));
      return;
    default:
      throw new Error(`unknown Thrift type ${type} in a page header`);
  }
}

function readI32(r: Reader, type: number): number {
  if (type !== 5 && type !== 4 && type !== 3) throw new Error(`a page header field has type ${type}, not an integer`);
  return type === 3 ? r.view.getInt8(r.offset++) : zigzag(readVarint(r));
}

function readPageHeader(r: Reader): PageHeader {
  const h: PageHeader = { type: -1, uncompressed: 0, compressed: 0 };
  readStruct(r, (id, type) => {
    if (id === 1) h.type = readI32(r, type);
    else if (id === 2) h.uncompressed = readI32(r, type);
    else if (id === 3) h.compressed = readI32(r, type);
    else if (id === 5 && type === 12) {
      const d = { numValues: 0, encoding: -1, definitionEncoding: Encoding.rle as number };
      readStruct(r, (i, t) => {
        if (i === 1) d.numValues = readI32(r, t);
        else if (i === 2) d.encoding = readI32(r, t);
        else if (i === 3) d.definitionEncoding = readI32(r, t);
        else skip(r, t);
      });
      h.data = d;
    } else if (id === 7 && type === 12) {
      const d = { numValues: 0 };
      readStruct(r, (i, t) => {
        if (i === 1) d.numValues = readI32(r, t);
        else skip(r, t);
      });
      h.dictionary = d;
    } else if (id === 8 && type === 12) {
      const v = { numValues: 0, numRows: 0, encoding: -1, definitionBytes: 0, repetitionBytes: 0, compressed: true };
      readStruct(r, (i, t) => {
        if (i === 1) v.numValues = readI32(r, t);
        else if (i === 3) v.numRows = readI32(r, t);
        else if (i === 4) v.encoding = readI32(r, t);
        else if (i === 5) v.definitionBytes = readI32(r, t);
        else if (i === 6) v.repetitionBytes = readI32(r, t);
        else if (i === 7 && (t === 1 || t === 2)) v.compressed = t === 1;
        else skip(r, t);
      });
      h.v2 = v;
    } else skip(r, type);
  });
  if (h.type === PageType.data && !h.data) throw new Error('a data page has no data page header');
  if (h.type === PageType.dataV2 && !h.v2) throw new Error('a v2 data page has no header');
  if (h.type === PageType.dictionary && !h.dictionary) throw new Error('a dictionary page has no header');
  if (h.compressed < 0 || h.uncompressed < 0) throw new Error('a page header has a negative size');
  return h;
}
