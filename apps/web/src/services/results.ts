import { once } from 'node:events';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { csvLine, readRecords, safeRecord } from '@batchcast/csv';
import { listChunks, streamPredictionsCsv, type JobRecord } from '@batchcast/db';
import { outputColumns, type ModelSchema } from '@batchcast/inference';
import type { WebContext } from '../context.js';
import { modelById } from './models.js';

interface StoredLayout {
  header: string[];
  bom: boolean;
  newline: '\n' | '\r\n';
  dataStart: number;
}

async function write(out: Writable, data: string | Buffer): Promise<void> {
  if (!out.write(data)) await once(out, 'drain');
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/**
 * Streams the results CSV: the input's header and records, byte for byte and in input order (cells that a
 * spreadsheet would run as formulas neutralised), each followed by its predictions read in row order from
 * PostgreSQL. Memory is bounded by one chunk's predictions, never the file.
 */
export async function writeResults(ctx: WebContext, job: JobRecord, out: Writable): Promise<void> {
  const model = await modelById(ctx.pool, job.modelId);
  const schema = model.schema as ModelSchema;
  const layout = job.layout as StoredLayout;
  const file = path.join(ctx.config.storage.dataDir, job.uploadKey);
  const nl = layout.newline;
  const classes = schema.task === 'classifier' ? (schema.classLabels?.length ?? 0) : 0;

  const headerStart = layout.bom ? 3 : 0;
  const fh = await open(file, 'r');
  let rawHeader: Buffer;
  try {
    const buf = Buffer.alloc(layout.dataStart - headerStart);
    await fh.read(buf, 0, buf.length, headerStart);
    rawHeader = buf.subarray(0, buf.length - trailingNewline(buf));
  } finally {
    await fh.close();
  }
  await write(out, Buffer.concat([
    Buffer.from(layout.bom ? '\ufeff' : ''),
    safeRecord(rawHeader),
    Buffer.from(`,${csvLine([...outputColumns(schema), 'error'])}${nl}`),
  ]));

  for (const chunk of await listChunks(ctx.pool, job.id)) {
    const predictions = await collect(
      await streamPredictionsCsv(ctx.pool, { jobId: job.id, firstRow: chunk.firstRow, rows: chunk.rows, classes }),
    );
    let pos = 0;
    for await (const records of readRecords(file, { start: chunk.start, end: chunk.end })) {
      const parts: Buffer[] = [];
      for (const record of records) {
        const eol = predictions.indexOf(0x0a, pos);
        if (eol < 0) throw new Error(`job ${job.id}: fewer predictions than records in chunk ${chunk.index}`);
        parts.push(safeRecord(record), COMMA, predictions.subarray(pos, eol), nl === '\n' ? LF : CRLF);
        pos = eol + 1;
      }
      await write(out, Buffer.concat(parts));
    }
  }
}

const COMMA = Buffer.from(',');
const LF = Buffer.from('\n');
const CRLF = Buffer.from('\r\n');

function trailingNewline(buf: Buffer): number {
  let n = 0;
  while (n < buf.length && (buf[buf.length - 1 - n] === 0x0a || buf[buf.length - 1 - n] === 0x0d)) n++;
  return n;
}

/** A download name that cannot break the Content-Disposition header. */
export function resultsFilename(original: string): string {
  const base = original.replace(/\.csv$/i, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100) || 'results';
  return `${base}-predictions.csv`;
}
