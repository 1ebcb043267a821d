import { type CsvDialectChoice, CsvScanner } from '@batchcast/csv';
import { DomainError } from '../errors.js';
import { storeWithScanner } from './store-scanned.js';
import type { FormatStep, StoredUpload, UploadChoices } from './stored-upload.js';

/**
 * CSV (or TSV, `;`, `|`), stored as it came (decompressed) and scanned on the way with the dialect detected
 * from its first rows, or the one the submitter chose. The layout records a dialect that is not `,`/`.`.
 */
export async function storeCsv(step: FormatStep): Promise<StoredUpload> {
  return storeWithScanner(step, step.content, csvScanner(step.chunkRows, step.choices), (scanned) => ({
    format: 'csv',
    header: scanned.header,
    bom: scanned.bom,
    newline: scanned.newline,
    dataStart: scanned.dataStart,
    ...(scanned.delimiter ? { delimiter: scanned.delimiter } : {}),
    ...(scanned.decimal ? { decimal: scanned.decimal } : {}),
  }));
}

function csvScanner(chunkRows: number, choices: UploadChoices): CsvScanner {
  const dialect: CsvDialectChoice = { delimiter: choices.delimiter ?? 'auto', decimal: choices.decimal ?? 'auto' };
  try {
    return new CsvScanner({ chunkRows, dialect });
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new DomainError(
      'unprocessable',
      'invalid_decimal',
      'A decimal comma cannot go with comma-separated columns: choose another delimiter (";" is usual with decimal commas) or the decimal point.',
    );
  }
}
