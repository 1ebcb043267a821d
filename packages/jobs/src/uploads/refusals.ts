import type { CsvFormatError } from '@batchcast/csv';
import { type Detection, FormatError, type FormatErrorCode } from '@batchcast/formats';
import { DomainError, type DomainErrorKind } from '../errors.js';

/**
 * Why an upload cannot be read, as a refusal the submitter can act on. The codes clients already know stay
 * what they were for CSV (`binary_file` and `invalid_utf8` are 415s: another media type), and the formats'
 * own codes are kept as they are (`truncated`, `sheet_not_found`, `unsupported_column`...): 422s.
 */
export function formatRefusal(err: CsvFormatError | FormatError): DomainError {
  const code = err instanceof FormatError ? formatCode(err.code) : err.code;
  const details = err.line !== undefined ? { line: err.line } : undefined;
  return new DomainError(kindOf(code), code, err.message, details);
}

/** The stable code of a FormatError; `too_large` is the upload's own `file_too_large`. */
function formatCode(code: FormatErrorCode): string {
  return code === 'too_large' ? 'file_too_large' : code;
}

function kindOf(code: string): DomainErrorKind {
  if (code === 'binary_file' || code === 'invalid_utf8' || code === 'unsupported_format') return 'unsupported_media';
  if (code === 'file_too_large') return 'too_large';
  return 'unprocessable';
}

/**
 * A file whose first bytes say it is not something batchcast reads. Binary things (images, PDFs, archives,
 * programs, old .xls workbooks) are `binary_file` as they always were; UTF-16 text is `invalid_utf8`, as the
 * CSV scanner said before; text in a format we do not read (HTML, XML) is `unsupported_format`.
 */
export function detectionRefusal(detection: Detection): DomainError {
  const message = detection.message ?? `this is ${detection.description}, which batchcast does not read`;
  return new DomainError('unsupported_media', detectionCode(detection), message, { detected: detection.description });
}

function detectionCode(detection: Detection): string {
  const what = detection.description;
  // JSON in UTF-16, or in the encoding chosen: JSON must be UTF-8.
  if (/^(UTF-16 text|JSON in )/.test(what)) return 'invalid_utf8';
  if (/\b(HTML|XML)\b/.test(what)) return 'unsupported_format';
  return 'binary_file';
}
