import { randomUUID } from 'node:crypto';
import { newJobToken } from '@batchcast/access';
import { readBatches, type ByteSource, type ColumnTarget, type CsvLayout } from '@batchcast/csv';
import { insertJob, type Pool } from '@batchcast/db';
import { planColumns, type ModelSchema } from '@batchcast/inference';
import type { Logger } from '@batchcast/log';
import { parseEmail } from './email.js';
import { resolveModel } from './models.js';
import { Refusal } from './refusal.js';

/** An upload already stored and scanned: where it is (`key`, relative to the store) and how to read it. */
export interface StoredUpload {
  key: string;
  source: ByteSource;
  size: number;
  layout: CsvLayout;
}

export interface SubmitDeps {
  pool: Pool;
  /** JobProducer does this: one BullMQ flow per job (score-chunk children, finalize-job parent). */
  scoring: { enqueueScoring(jobId: string, chunks: number[]): Promise<void> };
  log: Logger;
  defaultModel: string;
}

export interface JobRequest {
  filename: string;
  /** `name` or `name@version`; the default model when empty. */
  model?: string | undefined;
  email?: unknown;
  /** A fixed id (a scheduled run derives it from the run, so a redelivered run makes no second job). */
  id?: string;
}

export interface SubmittedJob {
  id: string;
  token: string;
  status: 'queued';
  model: { name: string; version: number };
}

const SAMPLE_ROWS = 200;

/**
 * The one way a job is born, shared by the upload (web) and scheduled runs (worker): check the file
 * against the chosen model (a missing column or an unscoreable first sample is a Refusal, while the
 * submitter can still act), record the job in PostgreSQL, then queue its scoring. PostgreSQL is the source
 * of truth: if Redis does not answer now, the reconciler queues the job later. Deleting the upload on a
 * refusal is the caller's business (it knows where it stored it).
 */
export async function createJob(deps: SubmitDeps, upload: StoredUpload, request: JobRequest): Promise<SubmittedJob> {
  const email = parseEmail(request.email);
  const model = await resolveModel(deps.pool, request.model, deps.defaultModel);
  const schema = model.schema as ModelSchema;
  const layout = upload.layout;
  const plan = planColumns(schema, layout.header);
  if (!plan.ok) throw new Refusal(422, 'missing_columns', plan.message, { missing: plan.missing });
  await checkSample(upload.source, layout, plan.targets);

  const id = request.id ?? randomUUID();
  const { token, hash } = newJobToken();
  await insertJob(deps.pool, {
    id,
    tokenHash: hash,
    modelId: model.id,
    email,
    filename: request.filename,
    uploadKey: upload.key,
    bytes: upload.size,
    layout: { header: layout.header, bom: layout.bom, newline: layout.newline, dataStart: layout.dataStart },
    targets: plan.targets,
    rowsTotal: layout.rows,
    chunks: layout.chunks,
  });
  try {
    await deps.scoring.enqueueScoring(
      id,
      layout.chunks.map((c) => c.index),
    );
  } catch (err) {
    // The job is safe in PostgreSQL; the reconciler queues it as soon as Redis answers again.
    deps.log.warn({ jobId: id, err: (err as Error).message }, 'could not queue job now; the reconciler will');
  }
  deps.log.info({ jobId: id, model: `${model.name}@${model.version}`, rows: layout.rows, chunks: layout.chunks.length }, 'job submitted');
  return { id, token, status: 'queued', model: { name: model.name, version: model.version } };
}

/**
 * A first sample of rows must be scoreable: if every one of them fails, the file is almost surely the
 * wrong one (or has a wrong delimiter/format), and the submitter hears it now rather than by email later.
 */
export async function checkSample(source: ByteSource, layout: CsvLayout, targets: ColumnTarget[]): Promise<void> {
  const first = layout.chunks[0];
  if (!first) return;
  for await (const batch of readBatches(source, {
    start: first.start,
    end: first.end,
    firstRow: 0,
    header: layout.header,
    targets,
    batchSize: Math.min(SAMPLE_ROWS, first.rows),
  })) {
    if (batch.errors.length === batch.count) {
      const examples = batch.errors.slice(0, 3).map((e) => `row ${e.row + 1}: ${e.message}`);
      throw new Refusal(
        422,
        'invalid_rows',
        `None of the first ${batch.count} rows can be scored. ${examples.join('; ')}. Check that this is the right file for the model.`,
        { errors: batch.errors.slice(0, 10) },
      );
    }
    return;
  }
}
