import type { ColumnTarget } from '@batchcast/csv';
import type { JobRecord, ModelRecord } from '@batchcast/db';
import type { ImportedFormat } from '@batchcast/importers';
import type { ModelSchema } from '@batchcast/inference';
import { z } from 'zod';

/**
 * The typed records of the domain, parsed ONCE from the rows @batchcast/db returns (whose jsonb columns
 * are `unknown`): a Job with its layout and column targets, a Model with its schema. A row that does not
 * parse is a fault on our side (a migration forgotten), reported with what did not match.
 */

const CellType = z.enum(['float32', 'float64', 'int32', 'int64', 'bool', 'string']);

const Compression = z.enum(['gzip', 'zstd', 'zip']).optional();
const ResultColumnType = z.enum([
  'double',
  'float',
  'decimal',
  'int64',
  'uint64',
  'int32',
  'bool',
  'string',
  'json',
  'mixed',
  'blob',
  'date',
  'timestamp',
  'timestamptz',
]);
const header = z.array(z.string());
/**
 * Header names equal (ignoring case) to an earlier one, renamed in `header` as pandas renames them (`note.1`):
 * refused (duplicate_column, `message`) only for a column the model needs. A CSV's and a sheet's.
 */
const DuplicateColumns = z
  .array(z.object({ columns: z.tuple([z.number().int().min(0), z.number().int().min(0)]), message: z.string(), line: z.number().int() }))
  .optional();

/**
 * CSV, stored as uploaded (decompressed). `delimiter`/`decimal` are there only when not `,`/`.` (as in
 * @batchcast/csv's CsvLayout), so the readers take this layout itself as their dialect.
 */
const CsvInputLayout = z.object({
  format: z.literal('csv'),
  header,
  bom: z.boolean(),
  newline: z.enum(['\n', '\r\n']),
  dataStart: z.number().int().min(0),
  delimiter: z.enum([',', ';', '\t', '|']).optional(),
  decimal: z.enum(['.', ',']).optional(),
  /** The decimal separator was taken as '.' from first lines holding no decimal number (the job's notes say so). */
  decimalUndecided: z.literal(true).optional(),
  /** The decimal separator was detected from cells that read both ways (`2,020`), this one first (the notes say so). */
  decimalAmbiguous: z.string().optional(),
  /**
   * Header names equal (ignoring case) to an earlier one, renamed in `header` as pandas renames them (`note.1`):
   * refused (duplicate_column, this message) only for a column the model needs.
   */
  duplicateColumns: DuplicateColumns,
  /** The `sheet` chosen for the upload, which a CSV file has none of: the job's notes say it was not used. */
  ignoredSheet: z.string().optional(),
  /**
   * Read without a header row (the upload's `header=none`): `header` names the columns after the model's, in its
   * order (modelOrderHeader); `dataStart` is the first line's start, and the results get a header row of those names.
   */
  headerless: z.literal(true).optional(),
  /**
   * The upload was JSON, pandas' to_json(orient='values') (a list of lists), sent as having no header row: stored as
   * the header-less CSV of its lists, one a line (store-values.ts). The job's input says JSON; a list of another
   * length than the first fails its row saying so of lists (ReadBatchesOptions.lists); its rows have no line.
   */
  listRows: z.literal(true).optional(),
  /** The text encoding the upload came in when it was not UTF-8: it is stored converted to UTF-8. */
  encoding: z.string().min(1).optional(),
  /** Its lines ended with a bare CR (old Mac line ends): stored with LF in their place (CrLineEnds; the notes say so). */
  crLineEnds: z.literal(true).optional(),
  compression: Compression,
});

/** An Excel sheet, stored transcoded into canonical CSV (`,`, `.`, `\n`, no BOM); its columns keep their types. */
const XlsxInputLayout = z.object({
  format: z.literal('xlsx'),
  header,
  bom: z.boolean(),
  newline: z.enum(['\n', '\r\n']),
  dataStart: z.number().int().min(0),
  sheet: z.string(),
  /**
   * The workbook's worksheets, in tab order, the one read among them: a refusal of the sheet's columns names the
   * others, where the data may be. Absent from jobs stored before it was kept.
   */
  sheets: z.array(z.string()).optional(),
  /** The sheet row read as the header (the first with a value). Absent from jobs stored before it was kept. */
  headerRow: z.number().int().min(1).optional(),
  /** Read without a header row (the upload's `header=none`): as a header-less CSV's (CsvInputLayout.headerless). */
  headerless: z.literal(true).optional(),
  /** The first data rows holding more text cells than the header, with their texts (XlsxSummary.widerRows); absent when none. */
  widerRows: z.array(z.object({ row: z.number().int().min(1), texts: z.array(z.string()) })).optional(),
  /** Header names given twice, renamed in `header` as pandas.read_excel renames them (XlsxSummary.duplicateColumns). */
  duplicateColumns: DuplicateColumns,
  columnTypes: z.array(ResultColumnType),
  compression: Compression,
  notes: z.array(z.string()).optional(),
  /**
   * Where the records are on the sheet: `[record, sheet row]` where each run of consecutive sheet rows starts (see
   * XlsxSummary.sheetRows). Absent from jobs stored before it was kept, and for sheets with too many runs.
   */
  sheetRows: z.array(z.tuple([z.number().int().min(0), z.number().int().min(1)])).optional(),
  /** Data cells holding a formula with no saved value: `[record, column, cell]` (XlsxSummary.formulaCells). */
  formulaCells: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0), z.string()])).optional(),
});

/** JSON Lines, stored as uploaded; a JSON array (`array`) is stored converted to JSON Lines, element k = line k. */
const JsonlInputLayout = z.object({
  format: z.literal('jsonl'),
  header,
  bom: z.boolean(),
  dataStart: z.number().int().min(0),
  columnTypes: z.array(ResultColumnType),
  array: z.boolean(),
  compression: Compression,
  notes: z.array(z.string()).optional(),
});

/** Parquet, stored as uploaded; its chunks are row ranges (their byte range is unused, 0-0). */
const ParquetInputLayout = z.object({
  format: z.literal('parquet'),
  header,
  columns: z.array(
    z.object({
      name: z.string(),
      type: z.enum([
        'double',
        'float',
        'int32',
        'int64',
        'bool',
        'string',
        'decimal',
        'date',
        'timestamp',
        'json',
        'binary',
        'nested',
        'other',
      ]),
      parquetType: z.string(),
      resultType: ResultColumnType,
      decimal: z.object({ precision: z.number().int().min(1), scale: z.number().int() }).optional(),
      /** TINYINT, UINTEGER...: kept that wide in results.parquet. Absent from jobs stored before it was kept. */
      integer: z.object({ bits: z.union([z.literal(8), z.literal(16), z.literal(32)]), signed: z.boolean() }).optional(),
    }),
  ),
  rows: z.number().int().min(0),
  rowGroups: z.array(z.object({ firstRow: z.number().int().min(0), rows: z.number().int().min(0) })),
  bytes: z.number().int().min(0),
  compression: Compression,
  notes: z.array(z.string()).optional(),
});

/**
 * What the upload scan learned about a file, as stored with the job (jobs.layout, jsonb): one shape per
 * input format. Layouts stored before formats existed have no `format`: they are CSV (comma, point).
 */
export const JobLayoutSchema = z.preprocess(
  (v) => (v !== null && typeof v === 'object' && !('format' in v) ? { ...v, format: 'csv' } : v),
  z.discriminatedUnion('format', [CsvInputLayout, XlsxInputLayout, JsonlInputLayout, ParquetInputLayout]),
);
export type JobLayout = z.infer<typeof JobLayoutSchema>;
export type CsvJobLayout = z.infer<typeof CsvInputLayout>;
export type XlsxJobLayout = z.infer<typeof XlsxInputLayout>;
export type JsonlJobLayout = z.infer<typeof JsonlInputLayout>;
export type ParquetJobLayout = z.infer<typeof ParquetInputLayout>;
/** The stored formats: what readers dispatch on (a JSON array is stored as JSON Lines, .xlsx as CSV). */
export type InputFormat = JobLayout['format'];

const ColumnTargetSchema = z.object({
  name: z.string(),
  type: CellType,
  columns: z.array(z.number().int().min(0)),
}) satisfies z.ZodType<ColumnTarget>;

export const ModelSchemaSchema = z.object({
  task: z.enum(['classifier', 'regressor']),
  inputs: z.array(
    z.object({
      name: z.string(),
      type: CellType,
      shape: z.array(z.number().nullable()),
      width: z.number().int(),
      columns: z.array(z.string()).nullable(),
    }),
  ),
  outputs: z.array(z.object({ name: z.string(), type: CellType, shape: z.array(z.number().nullable()) })),
  labelOutput: z.string().nullable(),
  probabilityOutput: z.string().nullable(),
  valueOutput: z.string().nullable(),
  classLabels: z.array(z.union([z.string(), z.number()])).nullable(),
  labelType: z.literal('bool').optional(),
  fixedBatch: z.number().int().nullable(),
  notes: z.array(z.string()),
  knownCategories: z
    .array(
      z.object({
        column: z.string(),
        values: z.array(z.union([z.string(), z.number()])),
        missing: z.boolean(),
        encoder: z.string(),
        imputer: z
          .object({
            marker: z.union([z.string(), z.number()]).nullable(),
            fill: z.union([z.string(), z.number()]).nullable(),
            name: z.string(),
          })
          .optional(),
        fromGraph: z.boolean().optional(),
      }),
    )
    .optional(),
  forestVerified: z.object({ evaluator: z.number().int(), onnxRuntime: z.string() }).nullable().optional(),
}) satisfies z.ZodType<ModelSchema>;

/** What a model version was registered from, found in the file's content (importers' ImportedFormat). */
export const ModelFormatSchema = z.enum([
  'onnx',
  'sklearn-pickle',
  'sklearn-joblib',
  'xgboost-json',
  'xgboost-ubj',
]) satisfies z.ZodType<ImportedFormat>;
export type ModelFormat = z.infer<typeof ModelFormatSchema>;

export type Job = Omit<JobRecord, 'layout' | 'targets'> & { layout: JobLayout; targets: ColumnTarget[] };
export type Model = Omit<ModelRecord, 'schema' | 'format' | 'converted'> & {
  schema: ModelSchema;
  format: ModelFormat;
  converted: string[];
};
export type JobStatus = JobRecord['status'];

function parsed<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new Error(`stored ${what} does not match its schema: ${z.prettifyError(r.error)}`);
  return r.data;
}

export function jobFromRecord(row: JobRecord): Job {
  return {
    ...row,
    layout: parsed(JobLayoutSchema, row.layout, `layout of job ${row.id}`),
    targets: parsed(z.array(ColumnTargetSchema), row.targets, `targets of job ${row.id}`),
  };
}

export function modelFromRecord(row: ModelRecord): Model {
  const what = `model ${row.name}@${row.version}`;
  return {
    ...row,
    schema: parsed(ModelSchemaSchema, row.schema, `schema of ${what}`),
    format: parsed(ModelFormatSchema, row.format, `format of ${what}`),
    converted: parsed(z.array(z.string()), row.converted, `conversion notes of ${what}`),
  };
}

/** Whether a job's chunks are to be scored: while its upload still arrives, too (`receiving`), until it ends. */
export const isActive = (status: JobStatus): boolean => status === 'queued' || status === 'running' || status === 'receiving';

/**
 * A job as people see it (pages, API, CLI, emails, lists). One still receiving its upload is among them: only its
 * API key has its link before the upload ends (its token derives from the key), and it sees the job `receiving`,
 * with the rows recorded so far, and may cancel it.
 */
export type VisibleJob = Job;
