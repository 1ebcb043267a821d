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
 * Extensions that name a format the results do not come in: written as CSV under such a name, the file would be
 * opened as what it is not (plain CSV as gzip, as an old Excel workbook, as a JSON array).
 */
const OTHER_FORMATS: Record<string, string> = {
  '.gz': 'gzip',
  '.gzip': 'gzip',
  '.zst': 'zstd',
  '.zstd': 'zstd',
  '.bz2': 'bzip2',
  '.xz': 'xz',
  '.zip': 'zip',
  '.xls': 'old Excel (.xls)',
  '.xlsm': 'macro-enabled Excel',
  '.ods': 'OpenDocument',
  '.json': 'JSON (JSON Lines is .jsonl)',
  '.xml': 'XML',
  '.html': 'HTML',
  '.htm': 'HTML',
  '.arrow': 'Arrow',
  '.feather': 'Feather',
  '.avro': 'Avro',
  '.orc': 'ORC',
};

/**
 * The results format to download to `out`: `--format` when given, else the format the file's extension names
 * (.xlsx, .parquet, .jsonl), else CSV (.csv, .tsv, .txt, a FIFO's name: the commands say the format they wrote).
 * An unknown `--format`, or an extension naming a format the results are not given in (.gz, .xls, .json…), is
 * the caller's mistake, said with the choices.
 */
export function resultsFormatFor(out: string, format: string | undefined): ResultsFormat | Error {
  if (format !== undefined) {
    const f = format.toLowerCase().replace(/^\./, '');
    if ((RESULTS_FORMATS as readonly string[]).includes(f)) return f as ResultsFormat;
    return new Error(`--format: "${format}" is not one of ${RESULTS_FORMATS.join(', ')}`);
  }
  const ext = path.extname(out).toLowerCase();
  const other = OTHER_FORMATS[ext];
  if (other === undefined) return BY_EXTENSION[ext] ?? 'csv';
  return new Error(
    `--out ${out}: ${ext} names ${other}, which results are not written as; name the file .csv, .xlsx, .parquet or .jsonl, or give --format csv|xlsx|parquet|jsonl to write that format under this name`,
  );
}

/** The results link of the job (its CSV, with the token) for another format. */
export const resultsPath = (csvLink: string, format: ResultsFormat): string =>
  csvLink.replace(/\/results\.csv(?=\?|$)/, `/results.${format}`);

/** A content type to send with the upload, from its name: a hint only (the server detects the format from the bytes). */
export function uploadContentType(file: string): string {
  const name = file.toLowerCase();
  if (/\.(gz|gzip)$/.test(name)) return 'application/gzip';
  if (/\.(zst|zstd)$/.test(name)) return 'application/zstd';
  if (name.endsWith('.zip')) return 'application/zip';
  if (name.endsWith('.xlsx')) return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  if (name.endsWith('.parquet')) return 'application/vnd.apache.parquet';
  if (/\.(jsonl|ndjson)$/.test(name)) return 'application/jsonl';
  if (name.endsWith('.json')) return 'application/json';
  if (/\.(tsv|tab)$/.test(name)) return 'text/tab-separated-values';
  return 'text/csv';
}
