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

/** What the upload scan learned about a file, as stored with the job. */
export const JobLayoutSchema = z.object({
  header: z.array(z.string()),
  bom: z.boolean(),
  newline: z.enum(['\n', '\r\n']),
  dataStart: z.number().int().min(0),
});
export type JobLayout = z.infer<typeof JobLayoutSchema>;

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
  fixedBatch: z.number().int().nullable(),
  notes: z.array(z.string()),
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

export const isActive = (status: JobStatus): boolean => status === 'queued' || status === 'running';
