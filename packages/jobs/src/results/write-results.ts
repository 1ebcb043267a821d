import type { Writable } from 'node:stream';
import {
  type CsvDialect,
  csvField,
  csvLine,
  DEFAULT_DIALECT,
  headerLineStart,
  readRecords,
  safeRecord,
  safeRecords,
  splitRecord,
} from '@batchcast/csv';
import { listChunks } from '@batchcast/db';
import { type Cell, drained, floatColumnText, mixedText, numberText, type ResultColumnType } from '@batchcast/formats';
import { type ModelSchema, outputColumns } from '@batchcast/inference';
import type { JobsContext } from '../context.js';
import { dialectOf } from '../inputs/dialect.js';
import { isHeaderless } from '../inputs/headerless.js';
import { inputColumns } from '../inputs/input-columns.js';
import { readInputRows } from '../inputs/read-input-rows.js';
import { modelById } from '../models/registry.js';
import type { CsvJobLayout, Job, XlsxJobLayout } from '../records.js';
import { csvStartsWithBom } from './byte-order-mark.js';
import { chunkPredictions } from './chunk-predictions.js';
import type { ResultsFormat } from './results-format.js';
import { predictionTexts, probabilityCount } from './prediction-cells.js';
import { renamesInputs, resultInputNames } from './result-header.js';
import { downloadBase } from './download-name.js';

/** Bytes gathered before a write to the stream. */
const FLUSH_BYTES = 1 << 20;

/** Output assembled in one buffer and flushed in large writes: a million rows must not mean a million writes. */
class OutputBuffer {
  private buf = Buffer.allocUnsafe(FLUSH_BYTES);
  private pos = 0;
  constructor(private readonly out: Writable) {}

  bytes(b: Buffer): void {
    this.ensure(b.length);
    this.pos += b.copy(this.buf, this.pos);
  }

  text(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  async flushIfFull(): Promise<void> {
    if (this.pos >= FLUSH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pos === 0) return;
    // The filled buffer goes to the stream as it is and a new one takes its place: the stream may hold it
    // until sent, and copying each MiB out instead (Buffer.from) cost a 300 MB download 43 ms (CPU profile).
    const chunk = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(FLUSH_BYTES);
    this.pos = 0;
    if (!this.out.write(chunk)) await drained(this.out);
  }
}

/**
 * Streams the results CSV. An input stored as CSV (a CSV in any dialect, a workbook's canonical CSV) comes
 * back byte for byte and in input order (cells that a spreadsheet would run as formulas neutralised), each
 * record followed by its predictions in the same dialect: a `;` file with decimal commas gets `;` and
 * decimal commas again. JSON Lines and Parquet inputs are written as comma CSV from their cells. Predictions
 * are read in row order from PostgreSQL; memory is bounded by one chunk's predictions, never the file.
 */
export async function writeResults(ctx: JobsContext, job: Job, out: Writable): Promise<void> {
  const model = await modelById(ctx.pool, job.modelId);
  if (dialectOf(job.layout)) await writeCsvInputResults(ctx, job, model.schema, out);
  else await writeCellResults(ctx, job, model.schema, out);
}

async function writeCsvInputResults(ctx: JobsContext, job: Job, schema: ModelSchema, out: Writable): Promise<void> {
  const layout = job.layout as CsvJobLayout | XlsxJobLayout;
  const dialect = dialectOf(layout)!;
  const source = () => ctx.blobs.open(job.uploadKey);
  const nl = layout.newline;
  const d = dialect.delimiter;
  const classes = probabilityCount(schema);
  const buffer = new OutputBuffer(out);

  const headerStart = layout.bom ? 3 : 0;
  const fh = await source();
  try {
    const raw = Buffer.alloc(layout.dataStart - headerStart);
    await fh.read(raw, 0, raw.length, headerStart);
    if (csvStartsWithBom(layout)) buffer.text('\ufeff');
    // Excel's `sep=;` line and blank lines before the header, as they were (not a record: a blank CRLF line
    // through the formula guard became a cell starting with CR, and the results' first line a lone `'`).
    const headerAt = headerLineStart(raw);
    buffer.bytes(raw.subarray(0, headerAt));
    // The header as it was, unless an input column is named like a prediction column: then written anew. A file
    // without one gets one: the names its columns were read by (the model's).
    if (isHeaderless(layout) || renamesInputs(layout.header, schema))
      buffer.text(csvLine(resultInputNames(layout.header, schema), dialect));
    else buffer.bytes(safeRecord(raw.subarray(headerAt, raw.length - trailingNewline(raw)), dialect));
    buffer.text(`${d}${csvLine([...outputColumns(schema), 'error'], dialect)}${nl}`);
  } finally {
    await fh.close();
  }

  const escaped = new Map<string, string>();
  // A failed row's cells start with its empty predictions (see predictionTexts): only such a row can have
  // another number of fields than the header, so only it is looked at.
  const failedStart = d.repeat(classes + 1);
  const width = layout.header.length;
  for (const chunk of await listChunks(ctx.pool, job.id)) {
    const cells = predictionTexts(await chunkPredictions(ctx, job, chunk), classes, dialect, escaped);
    for await (const records of readRecords(source, { start: chunk.start, end: chunk.end, dialect })) {
      for (const record of safeRecords(records, dialect)) {
        const next = cells.next();
        if (next.done) throw new Error(`job ${job.id}: fewer predictions than records in chunk ${chunk.index}`);
        const rewritten = next.value.startsWith(failedStart) ? headerWide(record, width, dialect) : null;
        if (rewritten === null) buffer.bytes(record);
        else buffer.text(rewritten);
        buffer.text(`${d}${next.value}${nl}`);
      }
      await buffer.flushIfFull();
    }
  }
  await buffer.flush();
}

/**
 * A record as exactly `width` fields, or null when it has them: a row with more or fewer fields than the header (which fails, saying
 * so) came back as it was, its predictions and error then under other columns' names, and pandas refused the
 * whole results file ("Expected 9 fields in line 5, saw 10"). Padded with empty fields, or cut to the
 * header's columns, as the other results formats and the job page show it.
 */
function headerWide(record: Buffer, width: number, dialect: CsvDialect): string | null {
  const fields = splitRecord(record, dialect);
  if (fields.length === width) return null;
  return csvLine(fields.length > width ? fields.slice(0, width) : [...fields, ...Array<string>(width - fields.length).fill('')], dialect);
}

/** JSON Lines and Parquet inputs as CSV: their cells as text (objects and arrays as JSON), comma and point. */
async function writeCellResults(ctx: JobsContext, job: Job, schema: ModelSchema, out: Writable): Promise<void> {
  const source = () => ctx.blobs.open(job.uploadKey);
  const classes = probabilityCount(schema);
  const buffer = new OutputBuffer(out);
  const columns = inputColumns(job.layout, job.targets);
  const types = columns.map((c) => c.type);
  buffer.text(`${csvLine([...resultInputNames(job.layout.header, schema), ...outputColumns(schema), 'error'])}\n`);
  const escaped = new Map<string, string>();
  for (const chunk of await listChunks(ctx.pool, job.id)) {
    const cells = predictionTexts(await chunkPredictions(ctx, job, chunk), classes, DEFAULT_DIALECT, escaped);
    for await (const rows of readInputRows(source, job.layout, chunk, columns)) {
      for (const row of rows) {
        const next = cells.next();
        if (next.done) throw new Error(`job ${job.id}: fewer predictions than rows in chunk ${chunk.index}`);
        buffer.text(`${cellsCsvLine(row, types)},${next.value}\n`);
      }
      await buffer.flushIfFull();
    }
  }
  await buffer.flush();
}

/**
 * A row of typed cells as one comma CSV line: numbers in JavaScript's shortest round-trip form (negative zero
 * as `-0.0`: numberText), a float column's as a float (`5.0`; a Parquet FLOAT column's as float32:
 * floatColumnText), null as an empty field, text through csvField (a `mixed` column's JSON texts as mixedText reads them). A finite number's text needs no quoting and is never a formula (a test
 * in packages/csv holds csvField to that), so it is written as it is. A row of 30 numbers took 21.7 µs
 * through csvField and 16.1 without in a probe; the rest is the numbers' own formatting.
 */
function cellsCsvLine(row: Cell[], types: ResultColumnType[]): string {
  let line = '';
  for (let i = 0; i < row.length; i++) {
    const cell = row[i]!;
    if (i > 0) line += ',';
    const type = types[i];
    if (typeof cell === 'number' && Number.isFinite(cell)) {
      line += type === 'double' || type === 'float' ? floatColumnText(cell, type === 'float') : numberText(cell);
    } else if (type === 'mixed') {
      // A JSON Lines column of several kinds holds JSON texts: `"A1"` is the text A1, as in a column of text only.
      const text = mixedText(cell);
      if (text !== null) line += csvField(text);
    } else if (cell !== null) line += csvField(typeof cell === 'string' ? cell : String(cell));
  }
  return line;
}

function trailingNewline(buf: Buffer): number {
  let n = 0;
  while (n < buf.length && (buf[buf.length - 1 - n] === 0x0a || buf[buf.length - 1 - n] === 0x0d)) n++;
  return n;
}

/** A download name that cannot break the Content-Disposition header: `<upload name>-predictions.<format>`. */
export function resultsFilename(original: string, format: ResultsFormat = 'csv'): string {
  return `${downloadBase(original, 'results')}-predictions.${format}`;
}
