import type { Duplex } from 'node:stream';
import { type Chunk, type CsvDialectChoice, type CsvHeadLayout, type CsvLayout, CsvScanner, type HeaderDuplicate } from '@batchcast/csv';
import { CrLineEnds, TextToUtf8 } from '@batchcast/formats';
import { DomainError } from '../errors.js';
import type { CsvJobLayout } from '../records.js';
import { ChunkRelease } from './chunk-release.js';
import { type ByteScanner, storeWithScanner } from './store-scanned.js';
import type { FormatStep, HeaderCheck, StoredUpload, UploadChoices } from './stored-upload.js';

/**
 * CSV (or TSV, `;`, `|`), stored as it came (decompressed; Windows-1252, UTF-16 or the encoding chosen converted
 * to UTF-8, so that everything after this reads UTF-8 only) and scanned on the way with the dialect detected from its first
 * rows, or the one the submitter chose. The layout records a dialect that is not `,`/`.`, and an encoding that
 * is not UTF-8. With `progress`, into a store readable while written, each chunk is told as soon as its bytes
 * are stored, with the layout as known then: a Windows-1252 file whose first letter beyond ASCII comes after
 * its first chunks ends with another layout, and the job started early gives way to one created at the end.
 * `made`: the CSV is made from another format's content by `stages` (pandas' orient='values' JSON, store-values.ts),
 * and `layout` says so in the job's layout.
 */
export async function storeCsv(step: FormatStep, made?: MadeCsv): Promise<StoredUpload> {
  const toUtf8 = new TextToUtf8(step.choices.encoding ?? null);
  // Old Mac line ends (a bare CR) read as pandas reads them: LF in their place, before the scan.
  const lineEnds = new CrLineEnds();
  const sheet = step.choices.sheet;
  const layoutOf = (scanned: CsvHeadLayout): CsvJobLayout => {
    const encoding = toUtf8.encoding;
    const scan = made ? { ...csvJobLayout(scanned), ...made.layout } : csvJobLayout(scanned);
    const text = lineEnds.converted ? { ...scan, crLineEnds: true as const } : scan;
    const layout = encoding === 'utf-8' || encoding === null ? text : { ...text, encoding };
    // A sheet chosen for a file that has none: read all the same, and said in the job's notes.
    return sheet === undefined ? layout : { ...layout, ignoredSheet: sheet };
  };
  const progress = step.progress;
  const release =
    progress && step.blobs.readableWhileWritten
      ? new ChunkRelease<CsvHeadLayout>((chunk, head) =>
          progress.chunk(chunk, step.compression ? { ...layoutOf(head), compression: step.compression } : layoutOf(head)),
        )
      : null;
  const onChunk = release ? (chunk: Chunk, head: CsvHeadLayout) => release.scanned(chunk, head) : undefined;
  const onStored = release ? (bytes: number) => release.stored(bytes) : undefined;
  const scanner = csvScanner(step.chunkRows, step.choices, onChunk);
  const check = step.headerCheck;
  const stages = [...(made?.stages ?? []), toUtf8, lineEnds];
  return storeWithScanner(
    step,
    step.content,
    check ? checkingHeader(scanner, check, made?.layout.listRows === true) : scanner,
    layoutOf,
    stages,
    onStored,
  );
}

/** A CSV made from another format's content on the way in (storeCsv's `made`). */
export interface MadeCsv {
  /** What makes the CSV of the content, before the text stages. */
  stages: Duplex[];
  /** What the job's layout records of the content's own format. */
  layout: Pick<CsvJobLayout, 'listRows'>;
}

/**
 * `scanner`, whose header is told to `check` once, as soon as its line has ended (not at the end of the file): a
 * refusal it throws stops the store there. A file shorter than dialect detection's sample tells it at finish().
 */
function checkingHeader(scanner: CsvScanner, check: HeaderCheck, lists: boolean): ByteScanner<CsvLayout> {
  let checked = false;
  const tell = (names: readonly string[], duplicates: readonly HeaderDuplicate[]) => {
    checked = true;
    check([...names], 'csv', [...duplicates], scanner.headerless ? (lists ? 'lists' : 'positions') : 'header');
  };
  return {
    push(buf) {
      scanner.push(buf);
      const names = checked ? null : scanner.headerNames;
      if (names !== null) tell(names, scanner.headerDuplicates);
    },
    finish() {
      const layout = scanner.finish();
      if (!checked) tell(layout.header, layout.duplicateColumns ?? []);
      return layout;
    },
  };
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
    ...(scanned.decimalUndecided ? { decimalUndecided: true as const } : {}),
    ...(scanned.decimalAmbiguous !== undefined ? { decimalAmbiguous: scanned.decimalAmbiguous } : {}),
    ...(scanned.duplicateColumns ? { duplicateColumns: scanned.duplicateColumns } : {}),
    ...(scanned.headerless ? { headerless: true as const } : {}),
  };
}

function csvScanner(chunkRows: number, choices: UploadChoices, onChunk?: (chunk: Chunk, head: CsvHeadLayout) => void): CsvScanner {
  const dialect: CsvDialectChoice = { delimiter: choices.delimiter ?? 'auto', decimal: choices.decimal ?? 'auto' };
  try {
    return new CsvScanner({ chunkRows, dialect, headerless: choices.header === 'none', ...(onChunk ? { onChunk } : {}) });
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new DomainError(
      'unprocessable',
      'invalid_decimal',
      'A decimal comma cannot go with comma-separated columns: choose another delimiter (";" is usual with decimal commas) or the decimal point.',
    );
  }
}
