import path from 'node:path';

/** The forms the server gives results in (`GET /api/jobs/:id/results.<format>`). */
export const RESULTS_FORMATS = ['csv', 'xlsx', 'parquet', 'jsonl'] as const;
export type ResultsFormat = (typeof RESULTS_FORMATS)[number];

const BY_EXTENSION: Record<string, ResultsFormat> = {
  '.csv': 'csv',
  '.xlsx': 'xlsx',
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
};

/**
 * The results format to download to `out`: `--format` when given, else the file's extension (`.xlsx`,
 * `.parquet`, `.jsonl`), else CSV. An unknown `--format` is the caller's mistake, said with the choices.
 */
export function resultsFormatFor(out: string, format: string | undefined): ResultsFormat | Error {
  if (format !== undefined) {
    const f = format.toLowerCase().replace(/^\./, '');
    if ((RESULTS_FORMATS as readonly string[]).includes(f)) return f as ResultsFormat;
    return new Error(`--format: "${format}" is not one of ${RESULTS_FORMATS.join(', ')}`);
  }
  return BY_EXTENSION[path.extname(out).toLowerCase()] ?? 'csv';
}

/** The results link of the job (its CSV, with the token) for another format. */
export const resultsPath = (csvLink: string, format: ResultsFormat): string =>
  csvLink.replace(/\/results\.csv(?=\?|$)/, `/results.${format}`);

/** A content type to send with the upload, from its name: a hint only (the server detects the format from the bytes). */
export function uploadContentType(file: string): string {
  const name = file.toLowerCase();
  if (/\.(gz|gzip)$/.test(name)) return 'application/gzip';
  if (/\.(zst|zstd)$/.test(name)) return 'application/zstd';
  if (name.endsWith('.xlsx')) return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  if (name.endsWith('.parquet')) return 'application/vnd.apache.parquet';
  if (/\.(jsonl|ndjson)$/.test(name)) return 'application/jsonl';
  if (name.endsWith('.json')) return 'application/json';
  if (/\.(tsv|tab)$/.test(name)) return 'text/tab-separated-values';
  return 'text/csv';
}
