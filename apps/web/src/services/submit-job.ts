import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { readBatches, type CsvLayout } from '@batchcast/csv';
import { insertJob } from '@batchcast/db';
import { planColumns, type ModelSchema } from '@batchcast/inference';
import { newJobToken } from '@batchcast/access';
import type { WebContext } from '../context.js';
import { HttpError } from '../http/errors.js';
import type { ScannedFile } from '../upload/scanning-storage.js';
import { resolveModel } from './models.js';

export interface SubmittedJob {
  id: string;
  token: string;
  status: 'queued';
}

// RFC 5321 caps an address at 254 characters; anything with spaces, brackets or line breaks is refused,
// so no user text can ever reach a mail header unescaped.
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function parseEmail(raw: unknown): string | null {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return null;
  const email = String(raw).trim();
  if (email.length > 254 || !EMAIL.test(email)) {
    throw new HttpError(400, 'invalid_email', `"${email.slice(0, 80)}" is not an e-mail address we can send to.`);
  }
  return email;
}

const SAMPLE_ROWS = 200;

/**
 * Checks an uploaded CSV against the chosen model while the user is still on the page, then records the
 * job in PostgreSQL and queues its scoring. Every refusal deletes the upload.
 */
export async function submitJob(
  ctx: WebContext,
  upload: { file: ScannedFile; filename: string; model?: string; email?: unknown },
): Promise<SubmittedJob> {
  try {
    const email = parseEmail(upload.email);
    const model = await resolveModel(ctx.pool, upload.model, ctx.config.models.defaultName);
    const schema = model.schema as ModelSchema;
    const layout = upload.file.layout;
    const plan = planColumns(schema, layout.header);
    if (!plan.ok) throw new HttpError(422, 'missing_columns', plan.message, { missing: plan.missing });
    await checkSample(upload.file.path, layout, plan.targets);

    const id = randomUUID();
    const { token, hash } = newJobToken();
    await insertJob(ctx.pool, {
      id,
      tokenHash: hash,
      modelId: model.id,
      email,
      filename: upload.filename,
      uploadKey: upload.file.key,
      bytes: upload.file.size,
      layout: { header: layout.header, bom: layout.bom, newline: layout.newline, dataStart: layout.dataStart },
      targets: plan.targets,
      rowsTotal: layout.rows,
      chunks: layout.chunks,
    });
    try {
      await ctx.producer.enqueueScoring(id, layout.chunks.map((c) => c.index));
    } catch (err) {
      // The job is safe in PostgreSQL; the reconciler queues it as soon as Redis answers again.
      ctx.log.warn({ jobId: id, err: (err as Error).message }, 'could not queue job now; the reconciler will');
    }
    ctx.log.info({ jobId: id, model: `${model.name}@${model.version}`, rows: layout.rows, chunks: layout.chunks.length }, 'job submitted');
    return { id, token, status: 'queued' };
  } catch (err) {
    await rm(upload.file.path, { force: true });
    throw err;
  }
}

/**
 * A first sample of rows must be scoreable: if every one of them fails, the file is almost surely the
 * wrong one (or has a wrong delimiter/format), and the user hears it now rather than by email later.
 */
async function checkSample(path: string, layout: CsvLayout, targets: Parameters<typeof readBatches>[1]['targets']): Promise<void> {
  const first = layout.chunks[0];
  if (!first) return;
  for await (const batch of readBatches(path, {
    start: first.start,
    end: first.end,
    firstRow: 0,
    header: layout.header,
    targets,
    batchSize: Math.min(SAMPLE_ROWS, first.rows),
  })) {
    if (batch.errors.length === batch.count) {
      const examples = batch.errors.slice(0, 3).map((e) => `row ${e.row + 1}: ${e.message}`);
      throw new HttpError(
        422,
        'invalid_rows',
        `None of the first ${batch.count} rows can be scored. ${examples.join('; ')}. Check that this is the right file for the model.`,
        { errors: batch.errors.slice(0, 10) },
      );
    }
    return;
  }
}
