import type { Writable } from 'node:stream';
import { listChunks } from '@batchcast/db';
import {
  type Cell,
  type ResultColumn,
  type ResultColumnType,
  type ResultsInput,
  writeResultsJsonl,
  writeResultsParquet,
  writeResultsXlsx,
} from '@batchcast/formats';
import type { ModelSchema } from '@batchcast/inference';
import type { ScoringContext } from '../context.js';
import { inputColumns } from '../inputs/input-columns.js';
import { readInputRows, type ShortestNumbers } from '../inputs/read-input-rows.js';
import type { Job } from '../records.js';
import { chunkPredictions } from './chunk-predictions.js';
import { csvResultTypes } from './csv-result-types.js';
import { predictionColumns, predictionValues, probabilityCount } from './prediction-cells.js';
import { resultInputNames } from './result-header.js';
import type { ResultsFormat } from './results-format.js';

export type TypedResultsFormat = Exclude<ResultsFormat, 'csv'>;

/**
 * The columns of the typed results: the input's columns with the types the input format knew (renamed as
 * resultInputNames says when they clash with a prediction column), then the predictions. `csvTypes`: a CSV's
 * column types found over the upload (csvResultTypes): a column with an entry there has that type.
 */
export function typedResultColumns(job: Job, schema: ModelSchema, csvTypes?: readonly (ResultColumnType | undefined)[]): ResultColumn[] {
  const names = resultInputNames(job.layout.header, schema);
  const inputs = inputColumns(job.layout, job.targets, csvTypes).map((c, i) => {
    // inputColumns types a model's column as its input: a number input's column of true/false words is not one.
    const type = csvTypes?.[i] ?? c.type;
    return names[i] === c.name && type === c.type ? c : { ...c, name: names[i]!, type };
  });
  return [...inputs, ...predictionColumns(schema)];
}

/**
 * The rows of the typed results in input order, one array per read block: the input's cells (typed as its
 * format allows) followed by the predictions read from PostgreSQL chunk by chunk. Memory: one chunk's
 * predictions and one block of input rows.
 */
async function* resultRows(
  ctx: ScoringContext,
  job: Job,
  schema: ModelSchema,
  columns: ResultColumn[],
  numbers: ShortestNumbers,
  unchecked: WeakSet<readonly Cell[]>,
): AsyncGenerator<Cell[][]> {
  const source = () => ctx.blobs.open(job.uploadKey);
  const classes = probabilityCount(schema);
  const inputs = columns.slice(0, job.layout.header.length);
  for (const chunk of await listChunks(ctx.pool, job.id)) {
    const predictions = predictionValues(await chunkPredictions(ctx, job, chunk), classes, numbers);
    for await (const rows of readInputRows(source, job.layout, chunk, inputs, numbers, unchecked)) {
      for (let r = 0; r < rows.length; r++) {
        const next = predictions.next();
        if (next.done) throw new Error(`job ${job.id}: fewer predictions than rows in chunk ${chunk.index}`);
        // Appended to the row itself, not a copy: `unchecked` knows the row by identity.
        const row = rows[r]!;
        for (const cell of next.value) row.push(cell);
      }
      yield rows;
    }
  }
}

/**
 * Streams the results as JSON Lines, Parquet or .xlsx (the formats package's writers) and ends `out`. The
 * caller has checked that the format can hold them (resultsDownload).
 */
export async function writeTypedResults(
  ctx: ScoringContext,
  job: Job,
  schema: ModelSchema,
  format: TypedResultsFormat,
  out: Writable,
): Promise<void> {
  // A CSV's columns that feed no model input are typed by what the whole column holds, and a number input's
  // column of true/false words is boolean: one pass over the upload first (csvResultTypes), in this download's thread.
  const csvTypes =
    job.layout.format === 'csv'
      ? await csvResultTypes(() => ctx.blobs.open(job.uploadKey), job.layout, await listChunks(ctx.pool, job.id), job.targets)
      : undefined;
  const columns = typedResultColumns(job, schema, csvTypes);
  // The first block of rows is read before the writer starts: .xlsx writes its fixed parts at once, so an
  // upload that cannot be read back would otherwise fail after the status and first bytes were sent (a
  // cut-off download instead of an error saying why).
  const numbers = format === 'parquet' ? 'number' : 'text';
  // A CSV's (or workbook's) double cells left as text are their shortest form, checked as they were read, except
  // in the rows readInputRows puts in `unchecked`: JSON Lines and .xlsx write them without checking them again.
  const unchecked = new WeakSet<readonly Cell[]>();
  const checkedDoubles = (job.layout.format === 'csv' || job.layout.format === 'xlsx') && numbers === 'text';
  const all = resultRows(ctx, job, schema, columns, numbers, unchecked);
  const first = await all.next();
  async function* rows(): AsyncGenerator<Cell[][]> {
    if (first.done) return;
    yield first.value;
    yield* all;
  }
  // A failed row's input cell its column's type cannot hold (`abc` in a number column) is null in results.parquet:
  // when rows failed, the input columns get a `<name>_text` companion there holding such texts (keepText).
  const failed = format === 'parquet' && job.rowsFailed > 0;
  const inputs = job.layout.header.length;
  const input: ResultsInput = {
    columns: failed ? columns.map((c, i) => (i < inputs ? { ...c, keepText: true } : c)) : columns,
    rows: rows(),
    ...(checkedDoubles ? { shortestTexts: { columns: columns.map((c, i) => i < inputs && c.type === 'double'), unchecked } } : {}),
  };
  switch (format) {
    case 'jsonl':
      await writeResultsJsonl(out, input);
      return;
    case 'parquet':
      await writeResultsParquet(out, input);
      return;
    case 'xlsx':
      await writeResultsXlsx(out, input, { rows: job.rowsTotal, sheetName: 'predictions' });
      return;
  }
}
