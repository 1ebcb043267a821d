import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { csvField, csvLine, readRecords, safeRecord } from '@batchcast/csv';
import { listChunks, readPredictionBatches, type StoredBatch } from '@batchcast/db';
import { outputColumns } from '@batchcast/inference';
import type { JobsContext } from '../context.js';
import { modelById } from '../models/registry.js';
import type { Job } from '../records.js';

/** Output assembled in one buffer and flushed in large writes: a million rows must not mean a million writes. */
class OutputBuffer {
  private buf = Buffer.allocUnsafe(1 << 20);
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
    if (this.pos >= 1 << 20) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pos === 0) return;
    const chunk = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }
}

/**
 * Yields, row by row, the prediction cells (already CSV text, without the leading comma) of a chunk's
 * stored batches: label and probabilities for classifiers, the value for regressors, then the error.
 */
function* predictionCells(batches: StoredBatch[], classes: number, escaped: Map<string, string>): Generator<string> {
  const empty = `${','.repeat(classes)},`;
  for (const b of batches) {
    const probs = b.probabilities ? b.probabilities.split(',') : null;
    const values = b.values ? b.values.split(',') : null;
    let nextError = 0;
    for (let i = 0; i < b.rowCount; i++) {
      if (nextError < b.errorRows.length && b.errorRows[nextError] === i) {
        const message = b.errorMessages[nextError++]!;
        yield (classes ? empty : ',') + csvField(message);
        continue;
      }
      let cells: string;
      if (b.labels) {
        const label = b.labels[i]!;
        let e = escaped.get(label);
        if (e === undefined) {
          e = csvField(label);
          escaped.set(label, e);
        }
        cells = e;
        if (probs) for (let k = 0; k < classes; k++) cells += `,${probs[i * classes + k]}`;
        else cells += ','.repeat(classes);
      } else cells = values ? values[i]! : '';
      yield `${cells},`;
    }
  }
}

/**
 * Streams the results CSV: the input's header and records, byte for byte and in input order (cells that a
 * spreadsheet would run as formulas neutralised), each followed by its predictions read in row order from
 * PostgreSQL. Memory is bounded by one chunk's predictions, never the file.
 */
export async function writeResults(ctx: JobsContext, job: Job, out: Writable): Promise<void> {
  const model = await modelById(ctx.pool, job.modelId);
  const schema = model.schema;
  const layout = job.layout;
  const source = () => ctx.blobs.open(job.uploadKey);
  const nl = layout.newline;
  const classes = schema.task === 'classifier' ? (schema.classLabels?.length ?? 0) : 0;
  const buffer = new OutputBuffer(out);

  const headerStart = layout.bom ? 3 : 0;
  const fh = await source();
  try {
    const raw = Buffer.alloc(layout.dataStart - headerStart);
    await fh.read(raw, 0, raw.length, headerStart);
    if (layout.bom) buffer.text('\ufeff');
    buffer.bytes(safeRecord(raw.subarray(0, raw.length - trailingNewline(raw))));
    buffer.text(`,${csvLine([...outputColumns(schema), 'error'])}${nl}`);
  } finally {
    await fh.close();
  }

  const escaped = new Map<string, string>();
  for (const chunk of await listChunks(ctx.pool, job.id)) {
    const cells = predictionCells(
      await readPredictionBatches(ctx.pool, { jobId: job.id, firstRow: chunk.firstRow, rows: chunk.rows }),
      classes,
      escaped,
    );
    for await (const records of readRecords(source, { start: chunk.start, end: chunk.end })) {
      for (const record of records) {
        const next = cells.next();
        if (next.done) throw new Error(`job ${job.id}: fewer predictions than records in chunk ${chunk.index}`);
        buffer.bytes(safeRecord(record));
        buffer.text(`,${next.value}${nl}`);
      }
      await buffer.flushIfFull();
    }
  }
  await buffer.flush();
}

function trailingNewline(buf: Buffer): number {
  let n = 0;
  while (n < buf.length && (buf[buf.length - 1 - n] === 0x0a || buf[buf.length - 1 - n] === 0x0d)) n++;
  return n;
}

/** A download name that cannot break the Content-Disposition header. */
export function resultsFilename(original: string): string {
  const base =
    original
      .replace(/\.csv$/i, '')
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .slice(0, 100) || 'results';
  return `${base}-predictions.csv`;
}
