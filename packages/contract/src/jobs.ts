import { CHOOSABLE_ENCODINGS, encodingOfLabel } from '@batchcast/bytes';
import { count, dateTime, JobStatusName, Task, version } from './common.js';
import { z } from './zod.js';

export const JobLinks = z.object({ self: z.string(), page: z.string(), results: z.string() }).openapi('JobLinks');
export type JobLinks = z.infer<typeof JobLinks>;

export const JobCreated = z
  .object({ id: z.string().openapi({ format: 'uuid' }), status: z.literal('queued'), links: JobLinks })
  .openapi('JobCreated');
export type JobCreated = z.infer<typeof JobCreated>;

export const RowCounts = z.object({ total: count(), processed: count(), failed: count() });

/** What batchcast made of the uploaded file: detected from its content, or as the submitter chose. */
export const JobInput = z
  .object({
    format: z.enum(['csv', 'xlsx', 'parquet', 'jsonl', 'json']).openapi({
      description:
        "The file as uploaded: CSV (any delimiter), Excel .xlsx, Parquet, JSON Lines, or JSON: an array of objects, one of pandas' to_json() layouts, or a list of lists (pandas' orient='values', read with `header` `none`; the notes say which).",
    }),
    compression: z.enum(['gzip', 'zstd', 'zip']).nullable().openapi({
      description: 'The compression the file came in (it was decompressed): `zip` is a ZIP archive holding the one data file read.',
    }),
    delimiter: z.enum([',', ';', '\t', '|']).optional().openapi({ description: 'CSV: the field delimiter.' }),
    decimal: z.enum(['.', ',']).optional().openapi({ description: 'CSV: the decimal separator of numbers.' }),
    encoding: z.string().optional().openapi({
      description:
        'CSV: the text encoding the file came in, when it was not UTF-8: detected (`windows-1252`, or `utf-16le`/`utf-16be` with a byte order mark) or chosen (the `encoding` field of the upload; its WHATWG name, such as `macintosh` or `shift_jis`). It was converted: results are UTF-8, and CSV results start with a byte order mark.',
    }),
    header: z.literal('none').optional().openapi({
      description:
        "CSV, Excel and JSON lists of lists (pandas’ orient='values'): `none` when the file (or sheet) was read without a header row, as the upload asked: its columns were taken in the model’s order and named after the model’s (the notes list them).",
    }),
    sheet: z.string().optional().openapi({ description: 'Excel: the sheet that was read.' }),
    notes: z
      .array(z.string())
      .openapi({ description: 'Things worth knowing about how the file was read (merged header cells renamed...).' }),
  })
  .openapi('JobInput');
export type JobInput = z.infer<typeof JobInput>;

export const JobStatus = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    status: JobStatusName,
    model: z.object({ name: z.string(), version: version(), sha256: z.string() }),
    filename: z.string(),
    input: JobInput,
    rows: RowCounts,
    createdAt: dateTime(),
    startedAt: dateTime().nullable(),
    finishedAt: dateTime().nullable(),
    expiresAt: dateTime()
      .nullable()
      .openapi({ description: 'When the job’s data (results included) is deleted: RETENTION_DAYS after it ended; null while it runs.' }),
    error: z.string().nullable(),
    mayCancel: z.boolean().openapi({
      description:
        'Whether the credential this was asked with may cancel the job (POST /api/jobs/{id}/cancel) while it is receiving its upload, queued or running: false for an API key without `jobs:write`, and for a link made from one (the job page then offers no Cancel button). The same credential may delete the job and its data (DELETE /api/jobs/{id}) whatever its status.',
    }),
    links: JobLinks,
  })
  .openapi('JobStatus');
export type JobStatus = z.infer<typeof JobStatus>;

export const JobSummary = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    status: JobStatusName,
    task: Task,
    model: z.object({ name: z.string(), version: version() }),
    rows: RowCounts,
    durationSeconds: z.number().nullable(),
    classCounts: z
      .array(z.object({ label: z.string(), count: count() }))
      .optional()
      .openapi({ description: 'Classifiers: rows per class.' }),
    histogram: z
      .object({
        min: z.number().nullable(),
        max: z.number().nullable(),
        bins: z.array(z.object({ from: z.number(), to: z.number(), count: count() })),
      })
      .optional()
      .openapi({ description: 'Regressors: equal-width bins between the smallest and largest prediction.' }),
    preview: z.object({ header: z.array(z.string()), rows: z.array(z.array(z.string())), inputColumns: count() }),
    failures: z
      .array(
        z.object({
          row: count().openapi({ description: 'The 1-based data row (the header is not a row).' }),
          line: count().nullable().optional().openapi({
            description:
              'The 1-based line of the file where the row starts, as a text editor numbers lines (CSV, TSV, JSON Lines); null for .xlsx, Parquet and a JSON array, and for jobs scored before lines were recorded.',
          }),
          sheetRow: count()
            .nullable()
            .optional()
            .openapi({ description: "An .xlsx file's: the row of the sheet, as Excel numbers rows; null for the other formats." }),
          column: z.string().nullable().openapi({ description: 'The column at fault; null when the whole row is (too few fields...).' }),
          value: z.string().nullable().openapi({ description: 'The cell as read; null when the whole row is at fault.' }),
          reason: z.string(),
        }),
      )
      .openapi({ description: 'The first failed rows (up to 10), in row order; `errors.csv` lists every one.' }),
  })
  .openapi('JobSummary');
export type JobSummary = z.infer<typeof JobSummary>;

/**
 * The message for a form field that is not one of its choices: the field, what it takes and the value sent (zod's
 * own "expected one of ""|"auto"|…" lists the raw enum, a tab and the empty string unreadable). A value that
 * is not a string (the field sent twice) keeps parseWith's own message.
 */
function notAChoice(field: string, accepted: string): (issue: { input?: unknown }) => string | undefined {
  return (issue) => {
    if (typeof issue.input !== 'string') return undefined;
    const sent = issue.input.length > 40 ? `${issue.input.slice(0, 40)}…` : issue.input;
    return `"${field}" ${accepted}; ${JSON.stringify(sent)} was sent.`;
  };
}

/** The multipart fields of an upload besides the file (`POST /api/jobs` and the HTML form). */
export const UploadFields = z
  .object({
    model: z.string().max(200).optional().openapi({
      description:
        '`name` or `name@version` (`@2` or `@v2`, as versions are shown); the default model (DEFAULT_MODEL) when empty. Sent before the file, it is checked as it arrives: an unknown or removed model is answered before the file is read.',
    }),
    email: z.string().max(320).optional().openapi({
      description:
        'Told when the job ends (optional). Sent before the file, it is checked as it arrives: an invalid address, or one past its hourly job emails, is answered before the file is read.',
      format: 'email',
    }),
    delimiter: z
      .enum(['', 'auto', ',', 'comma', ';', 'semicolon', '\t', 'tab', '|', 'pipe'], {
        error: notAChoice(
          'delimiter',
          'must be one character: , ; | or a tab (or its name: comma, semicolon, pipe, tab), or empty or "auto" to detect it',
        ),
      })
      .optional()
      .openapi({
        description:
          "CSV: the field delimiter, overriding detection (empty or `auto`: detected from the header and first rows). Send it before the file. A literal tab is the same as `tab`; but curl's `-F` drops the blanks around a value, a tab included (sending it empty: detect): with curl, send `tab`. curl's `-F 'delimiter=;'` sends it empty too (`;` starts a `;type=`): send `--form-string 'delimiter=;'`.",
      }),
    decimal: z
      .enum(['', 'auto', '.', 'point', ',', 'comma'], {
        error: notAChoice('decimal', 'must be . or , (or its name: point, comma), or empty or "auto" to detect it'),
      })
      .optional()
      .openapi({
        description:
          'CSV: the decimal separator of numbers, overriding detection (a comma only with another delimiter than the comma). Send it before the file.',
      }),
    header: z
      .enum(['', 'auto', 'first-line', 'none'], {
        error: notAChoice(
          'header',
          'must be "none" (the file has no header row) or "first-line" (the default: the first line names the columns)',
        ),
      })
      .optional()
      .openapi({
        description:
          "CSV, Excel and pandas' `to_json(orient='values')` JSON (a list of lists): `none` when the file (or sheet) has no header row (as `df.to_csv(header=False)` writes it, or a SageMaker batch input): its first line (row, list) is data, and its columns are the model's in the model's order (more columns after them come back beside the predictions as `column_5`…). `first-line` (or empty, `auto`): the first line names the columns. Refused for other JSON and for Parquet, which name their columns themselves. Send it before the file.",
      }),
    sheet: z.string().max(200).optional().openapi({
      description:
        "Excel: the sheet to read, by name (default: the first visible worksheet). Send it before the file. Another format's file is read all the same, its job's notes saying the sheet was not used.",
    }),
    encoding: z
      .string()
      .max(40)
      .optional()
      .refine((label) => label === undefined || ['', 'auto'].includes(label.trim().toLowerCase()) || encodingOfLabel(label) !== null, {
        message: `Not a text encoding batchcast reads: give one of its names as browsers know them (${CHOOSABLE_ENCODINGS.map(([name]) => name).join(', ')}, or another WHATWG label), or leave it empty to detect it.`,
      })
      .openapi({
        description:
          'CSV: the text encoding of the file, overriding detection (which tells UTF-8, UTF-16 with a byte order mark and Windows-1252 only): a WHATWG label such as `macintosh`, `iso-8859-15`, `windows-1250`, `shift_jis`, `gb18030`, `utf-16le`; empty or `auto`: detected. Ignored for workbooks and Parquet, whose text is Unicode by their format; JSON must be UTF-8. Send it before the file.',
      }),
    // Its length is checked with its characters, by the rule the header's key is checked by (checkIdempotencyKey in
    // @batchcast/jobs): 400 invalid_idempotency_key however it is sent, the message saying what a key is.
    idempotencyKey: z.string().optional().openapi({
      maxLength: 255,
      description:
        'The upload form’s one-time key (the page carries it, hidden, before the file): a second post of the same form answers the first job. API clients send the `Idempotency-Key` header instead (the same rules); if both are sent they must be equal. Send it before the file.',
    }),
  })
  // A misspelt field ("modle", "emial") would otherwise score with the default model, or email nobody.
  .strict();
export type UploadFields = z.infer<typeof UploadFields>;

export const UploadForm = UploadFields.extend({
  file: z.string().openapi({
    format: 'binary',
    description:
      'The data with a header: CSV (`,` `;` tab or `|`, UTF-8), Excel .xlsx, Parquet, JSON Lines or a JSON array of objects, optionally gzip- or zstd-compressed, or the one file of a ZIP archive. The format is detected from the content.',
  }),
}).openapi('UploadForm');
