import type { Writable } from 'node:stream';
import type { Pool } from '@batchcast/db';
import { type Cell, type ResultColumn, writeResultsJsonl, writeResultsXlsx } from '@batchcast/formats';
import type { ModelInput } from '@batchcast/inference';
import type { Model } from '../records.js';
import { sampleTable } from './sample-csv.js';

/** The samples besides CSV: the same columns and values, in the other forms an upload may take. */
export type SampleFormat = 'jsonl' | 'xlsx';

function columnType(input: ModelInput): ResultColumn['type'] {
  switch (input.type) {
    case 'float32':
    case 'float64':
      return 'double';
    case 'int32':
      return 'int32';
    case 'int64':
      return 'int64';
    case 'bool':
      return 'bool';
    case 'string':
      return 'string';
  }
}

/**
 * Writes the model's sample as JSON Lines (one object per row, numbers as numbers) or as an .xlsx workbook
 * (numbers as numbers): the same table as sample.csv, for people whose data lives in those forms. Ends `out`.
 */
export async function writeSample(pool: Pool, model: Model, format: SampleFormat, out: Writable): Promise<void> {
  const table = await sampleTable(pool, model);
  const columns: ResultColumn[] = table.columns.map((c) => ({ name: c.column, type: columnType(c.input) }));
  async function* rows(): AsyncGenerator<Cell[][]> {
    yield table.rows;
  }
  if (format === 'jsonl') await writeResultsJsonl(out, { columns, rows: rows() });
  else await writeResultsXlsx(out, { columns, rows: rows() }, { rows: table.rows.length, sheetName: 'sample' });
}
