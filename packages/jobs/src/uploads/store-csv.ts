import { type Chunk, type CsvDialectChoice, type CsvHeadLayout, CsvScanner } from '@batchcast/csv';
import { DomainError } from '../errors.js';
import type { CsvJobLayout } from '../records.js';
import { ChunkRelease } from './chunk-release.js';
import { storeWithScanner } from './store-scanned.js';
import type { FormatStep, StoredUpload, UploadChoices } from './stored-upload.js';

/**
 * CSV (or TSV, `;`, `|`), stored as it came (decompressed) and scanned on the way with the dialect detected
 * from its first rows, or the one the submitter chose. The layout records a dialect that is not `,`/`.`.
 * With `progress`, into a store readable while written, each chunk is told as soon as its bytes are stored.
 */
export async function storeCsv(step: FormatStep): Promise<StoredUpload> {
  const progress = step.progress;
  const release =
    progress && step.blobs.readableWhileWritten
      ? new ChunkRelease<CsvHeadLayout>((chunk, head) =>
          progress.chunk(chunk, step.compression ? { ...csvJobLayout(head), compression: step.compression } : csvJobLayout(head)),
        )
      : null;
  const onChunk = release ? (chunk: Chunk, head: CsvHeadLayout) => release.scanned(chunk, head) : undefined;
  const onStored = release ? (bytes: number) => release.stored(bytes) : undefined;
  return storeWithScanner(step, step.content, csvScanner(step.chunkRows, step.choices, onChunk), csvJobLayout, [], onStored);
}

/** What a CSV job records of its scan (the compression added by storeWithScanner). */
function csvJobLayout(scanned: CsvHeadLayout): CsvJobLayout {
  return {
    format: 'csv',
    header: scanned.header,
    bom: scanned.bom,
    newline: scanned.newline,
    dataStart: scanned.dataStart,
    ...(scanned.delimiter ? { delimiter: scanned.delimiter } : {}),
    ...(scanned.decimal ? { decimal: scanned.decimal } : {}),
  };
}

function csvScanner(chunkRows: number, choices: UploadChoices, onChunk?: (chunk: Chunk, head: CsvHeadLayout) => void): CsvScanner {
  const dialect: CsvDialectChoice = { delimiter: choices.delimiter ?? 'auto', decimal: choices.decimal ?? 'auto' };
  try {
    return new CsvScanner({ chunkRows, dialect, ...(onChunk ? { onChunk } : {}) });
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new DomainError(
      'unprocessable',
      'invalid_decimal',
      'A decimal comma cannot go with comma-separated columns: choose another delimiter (";" is usual with decimal commas) or the decimal point.',
    );
  }
}
