import { type FileMetaData, parquetSchema, type SchemaTree } from 'hyparquet';
import { parquetCompressors as compressors } from './zstd-frames.js';
// hyparquet's own page header parser and decompression (its package exports its modules), so that a page
// walked here is parsed and decompressed by the same code that reads it for the results.
import { parquetHeader } from 'hyparquet/src/column.js';
import { decompressPage } from 'hyparquet/src/datapage.js';
import type { CompressionCodec, DataReader, PageHeader } from 'hyparquet/src/types.js';
import { readHybrid } from './parquet-hybrid.js';
import { columnChunkPlace, parquetDamage } from './parquet-layout.js';

/**
 * Checks that the pages of a column the model does not use can be read, without making its values. The
 * results carry every column of the upload, so a page the download cannot read (damaged bytes, a header that
 * lies) must fail the job while it is scored, not every download after it succeeded; hyparquet would check
 * it by decoding the column, and for a text column that is a string per row (0.3-0.5 s for the bench file's
 * 1M ids, a fifth of the job's CPU). Here each page of the chunk's rows is parsed, decompressed and walked:
 * its levels, its values' lengths (text: each length within the page), dictionary indices within the
 * dictionary, and the row count the footer gives. Flat columns of any physical type, PLAIN or dictionary
 * encoded, v1 or v2 pages, with an annotation whose conversion cannot fail; anything else makes check()
 * answer false and the caller decodes the column with hyparquet instead. The same walk comes before every
 * column hyparquet decodes (segments in parquet-read.ts): stricter than hyparquet where only damage differs,
 * it keeps from hyparquet the pages that make it grow an array until Node aborts.
 */
export class ColumnPageCheck {
  /** Reused for each column chunk's bytes and dictionary indices. */
  private readonly buffers = { bytes: new Uint8Array(0), indices: new Uint32Array(0) };
  private readonly topColumns: Map<string, SchemaTree>;

  constructor(
    private readonly metadata: FileMetaData,
    /** Fills `into` with the file's bytes from `position` on. */
    private readonly readAt: (into: Uint8Array, position: number) => Promise<void>,
    /** The file's size: a column chunk the footer places beyond it is damage, not something to allocate. */
    private readonly fileBytes: number,
  ) {
    this.topColumns = new Map(parquetSchema(metadata).children.map((c) => [c.element.name, c]));
  }

  /** Checks rows [rowStart, rowEnd) of row group `group` of `column`; false if its layout is not one walked here. */
  async check(group: number, column: string, rowStart: number, rowEnd: number): Promise<boolean> {
    const shape = checkedShape(this.metadata, this.topColumns.get(column), group, column);
    if (!shape) return false;
    const groupRows = Number(this.metadata.row_groups[group]?.num_rows ?? 0);
    if (!(shape.start >= 0 && shape.length >= 0 && shape.start + shape.length <= this.fileBytes)) {
      throw new Error(
        `row group ${group}: its footer places the column at bytes ${shape.start}-${shape.start + shape.length}, beyond the file's ${this.fileBytes}`,
      );
    }
    if (this.buffers.bytes.length < shape.length) this.buffers.bytes = new Uint8Array(shape.length);
    const bytes = this.buffers.bytes.subarray(0, shape.length);
    await this.readAt(bytes, shape.start);
    try {
      this.walk(bytes, shape, groupRows, rowStart, rowEnd);
      return true;
    } catch (err) {
      if (err instanceof NotWalked) return false;
      throw new Error(`row group ${group}: ${parquetDamage(err)}`);
    }
  }

  private walk(bytes: Uint8Array, shape: Shape, groupRows: number, rowStart: number, rowEnd: number): void {
    const r: DataReader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
    let dictionary = -1;
    let row = 0;
    while (row < rowEnd && r.offset < bytes.length - 1) {
      const header = parquetHeader(r);
      const compressed = header.compressed_page_size;
      if (!(compressed >= 0 && r.offset + compressed <= bytes.length)) throw new Error('a page runs past the end of its column chunk');
      const claimed =
        header.type === 'DICTIONARY_PAGE'
          ? header.dictionary_page_header?.num_values
          : header.type === 'DATA_PAGE'
            ? header.data_page_header?.num_values
            : header.type === 'DATA_PAGE_V2'
              ? header.data_page_header_v2?.num_rows
              : 0;
      // A header cut short by damage leaves fields out: a count that is not one is damage too.
      if (!(Number.isInteger(claimed) && claimed! >= 0 && claimed! <= groupRows)) {
        throw new Error(`a ${header.type ?? 'page'} header gives ${claimed ?? 'no'} values, not 0 to its row group's ${groupRows} rows`);
      }
      if (!(header.uncompressed_page_size >= 0 && header.uncompressed_page_size <= mostUncompressed(compressed, shape.codec))) {
        throw new Error(
          `a page claims ${header.uncompressed_page_size} bytes once decompressed, more than its ${compressed} bytes can hold`,
        );
      }
      const body = bytes.subarray(r.offset, r.offset + compressed);
      r.offset += compressed;
      if (header.type === 'DICTIONARY_PAGE') {
        const n = claimed!;
        checkPlain(decompressPage(body, header.uncompressed_page_size, shape.codec, compressors), n, shape);
        dictionary = n;
      } else if (header.type === 'DATA_PAGE' || header.type === 'DATA_PAGE_V2') {
        const rows = claimed!;
        // Pages before the slice are skipped as hyparquet skips them (another chunk reads them): it still
        // decodes the page that ends where the slice starts.
        if (row + rows >= rowStart) this.checkDataPage(header, body, shape, dictionary);
        row += rows;
      } else if (header.type !== 'INDEX_PAGE') throw new Error(`a page of unknown type (${String(header.type)})`);
    }
    if (row < rowEnd) throw new Error(`${row} rows, fewer than its metadata says`);
  }

  private checkDataPage(header: PageHeader, body: Uint8Array, shape: Shape, dictionary: number): void {
    let page: Uint8Array;
    let rows: number;
    let encoding: string;
    let present: number;
    let offset = 0;
    if (header.type === 'DATA_PAGE') {
      const d = header.data_page_header!;
      page = decompressPage(body, header.uncompressed_page_size, shape.codec, compressors);
      rows = d.num_values;
      encoding = d.encoding;
      present = rows;
      if (shape.optional) {
        // Length-prefixed levels, as hyparquet reads them (readDefinitionLevels).
        const end = 4 + lengthPrefix(page, 0);
        present = this.present(page, 4, end, rows);
        offset = end;
      }
    } else {
      const v = header.data_page_header_v2!;
      rows = v.num_rows;
      encoding = v.encoding;
      if (v.num_values !== rows || v.repetition_levels_byte_length !== 0) throw new NotWalked();
      const levels = v.definition_levels_byte_length;
      if (!(Number.isInteger(levels) && levels >= 0 && levels <= body.length))
        throw new Error('its definition levels run past the end of the page');
      present = shape.optional ? this.present(body, 0, levels, rows) : rows;
      const values = body.subarray(levels);
      page = v.is_compressed === false ? values : decompressPage(values, header.uncompressed_page_size - levels, shape.codec, compressors);
    }
    if (encoding === 'PLAIN') checkPlain(page.subarray(offset), present, shape);
    else if (encoding === 'RLE' && shape.type === 'BOOLEAN') {
      // Booleans as RLE (pages v2 write them so), length-prefixed as hyparquet reads them.
      readHybrid(page, offset + 4, offset + 4 + lengthPrefix(page, offset), 1, this.indexBuffer(present), present);
    } else if (encoding === 'PLAIN_DICTIONARY' || encoding === 'RLE_DICTIONARY') {
      if (dictionary < 0) throw new Error('a dictionary-encoded page comes before its dictionary');
      if (present === 0) return;
      if (offset >= page.length) throw new Error('a dictionary-encoded page has no index width');
      const width = page[offset]!;
      if (width > 32) throw new Error(`a dictionary-encoded page's index width ${width} is not 0-32`);
      if (width === 0) return; // every index 0
      const indices = this.indexBuffer(present);
      readHybrid(page, offset + 1, page.length, width, indices, present);
      for (let i = 0; i < present; i++)
        if (indices[i]! >= dictionary) throw new Error('a dictionary index is past the end of the dictionary');
    } else throw new NotWalked();
  }

  /** How many of a page's `rows` definition levels (bit width 1, in bytes [from, to)) say a value is present. */
  private present(bytes: Uint8Array, from: number, to: number, rows: number): number {
    const levels = this.indexBuffer(rows);
    readHybrid(bytes, from, to, 1, levels, rows);
    let present = 0;
    for (let i = 0; i < rows; i++) present += levels[i]!;
    return present;
  }

  private indexBuffer(n: number): Uint32Array {
    if (this.buffers.indices.length < n) this.buffers.indices = new Uint32Array(n);
    return this.buffers.indices.subarray(0, n);
  }
}

/** The little-endian uint32 length at `at` of the bytes after it, which must be within the page. */
function lengthPrefix(page: Uint8Array, at: number): number {
  if (at + 4 > page.length) throw new Error('a page ends inside the length of its levels');
  const length = new DataView(page.buffer, page.byteOffset, page.byteLength).getUint32(at, true);
  if (at + 4 + length > page.length) throw new Error('its levels run past the end of the page');
  return length;
}

/** Thrown for a page this check does not walk: check() answers false. */
class NotWalked extends Error {
  constructor() {
    super('page layout not walked by ColumnPageCheck');
  }
}

interface Shape {
  type: string;
  /** FIXED_LEN_BYTE_ARRAY's width. */
  width: number;
  optional: boolean;
  codec: CompressionCodec;
  start: number;
  length: number;
}

/**
 * Annotations whose values hyparquet and the results' conversions (parquet-read.ts) make without a check that
 * can fail: a page walked here reads in the download. JSON (parsed), BSON, geometry, variant and the like are
 * left to hyparquet.
 */
const WALKED_ANNOTATIONS = new Set([
  'UTF8',
  'STRING',
  'ENUM',
  'UUID',
  'INTEGER',
  'INT_8',
  'INT_16',
  'INT_32',
  'INT_64',
  'UINT_8',
  'UINT_16',
  'UINT_32',
  'UINT_64',
  'DATE',
  'DECIMAL',
  'TIMESTAMP',
  'TIMESTAMP_MILLIS',
  'TIMESTAMP_MICROS',
  'TIME',
  'TIME_MILLIS',
  'TIME_MICROS',
  'FLOAT16',
]);

const WIDTHS: Record<string, number> = { INT32: 4, FLOAT: 4, INT64: 8, DOUBLE: 8, INT96: 12 };

function checkedShape(metadata: FileMetaData, node: SchemaTree | undefined, group: number, column: string): Shape | null {
  const e = node?.element;
  if (!node || !e?.type || node.children.length > 0) return null;
  if (e.repetition_type !== 'REQUIRED' && e.repetition_type !== 'OPTIONAL') return null;
  const annotation = e.logical_type?.type ?? e.converted_type;
  if (annotation !== undefined && !WALKED_ANNOTATIONS.has(annotation)) return null;
  const width = e.type === 'FIXED_LEN_BYTE_ARRAY' ? (e.type_length ?? 0) : (WIDTHS[e.type] ?? 0);
  if (e.type === 'FIXED_LEN_BYTE_ARRAY' && !(width > 0)) return null;
  const place = columnChunkPlace(metadata, group, column);
  return place && { type: e.type, width, optional: e.repetition_type === 'OPTIONAL', ...place };
}

/**
 * The most bytes a page of `compressed` bytes decompresses to: snappy's densest copy is 64 bytes for 3, so a
 * snappy page claiming more is damaged (and is not given the buffer it claims); other codecs are bounded by
 * what a page of a column may sensibly hold.
 */
function mostUncompressed(compressed: number, codec: string): number {
  if (codec === 'UNCOMPRESSED') return compressed;
  if (codec === 'SNAPPY') return compressed * 22 + 64;
  return 1024 * 1024 * 1024;
}

/** `n` PLAIN values of the column's type fit in `page` (text: each value's length within it). */
function checkPlain(page: Uint8Array, n: number, shape: Shape): void {
  if (shape.type === 'BYTE_ARRAY') {
    const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    let at = 0;
    for (let i = 0; i < n; i++) {
      if (at + 4 > page.length) throw new Error(`a page ends after ${i} of its ${n} values`);
      at += 4 + view.getUint32(at, true);
    }
    if (at > page.length) throw new Error(`a page's last value runs past its end`);
    return;
  }
  const bytes = shape.type === 'BOOLEAN' ? Math.ceil(n / 8) : n * shape.width;
  if (bytes > page.length) throw new Error(`a page is shorter than its ${n} values`);
}
