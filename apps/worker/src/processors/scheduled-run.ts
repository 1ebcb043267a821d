import { createHash } from 'node:crypto';
import path from 'node:path';
import { UnrecoverableError, type Job } from 'bullmq';
import { CsvFormatError } from '@batchcast/csv';
import { getJob, getSchedule, insertFailedRunJob, recordScheduleRun, type ScheduleRecord } from '@batchcast/db';
import type { Payload } from '@batchcast/queue';
import { createJob, openScheduleSource, parseScheduleSource, Refusal, resolveModel, storeScanned } from '@batchcast/submit';
import type { WorkerContext } from '../context.js';

/**
 * One run of a schedule: copy its source (a file the workers can read, or an http(s) URL) into the uploads
 * while scanning it, exactly as an upload is scanned, then make a normal job of it (@batchcast/submit, the
 * path uploads take): the job is scored, finalised and emailed like any other.
 *
 * At least once, exactly one job: the job id is derived from the run (BullMQ's id for this iteration of the
 * scheduler), so a redelivered run finds its job and stops. Reading the source is retried with backoff
 * (the schedule's attempts, 3 by default); a source that is not a usable CSV for the model fails at once.
 * A run that cannot make a job is recorded as a job that failed with the reason, so the owner still gets
 * the email after the run, and the admin page shows it.
 */
export async function scheduledRun(ctx: WorkerContext, payload: Payload<'scheduled-run'>, job: Job): Promise<void> {
  const log = ctx.log.child({ schedule: payload.schedule, run: job.id });
  const schedule = await getSchedule(ctx.pool, payload.schedule);
  if (!schedule) {
    log.info('schedule deleted; run skipped');
    return;
  }
  const runKey = job.id ?? `${payload.schedule}:${job.timestamp}`;
  const jobId = runJobId(schedule.name, runKey);
  if (await getJob(ctx.pool, jobId)) {
    await recordScheduleRun(ctx.pool, { jobId, schedule: schedule.name, runKey });
    return;
  }

  const store = ctx.blobs; // BLOB_STORE: where uploads go, so workers on any host read the run's file
  const key = `uploads/${jobId}.csv`;
  const allowedDirs = ctx.config.schedules.sourceDirs;
  try {
    const source = parseScheduleSource(schedule.source, allowedDirs);
    const { stream, filename } = await openScheduleSource(source, allowedDirs);
    const scanned = await storeScanned(store, stream, {
      key,
      chunkRows: ctx.config.workers.chunkRows,
      maxBytes: ctx.config.storage.maxUploadBytes,
    });
    try {
      await createJob(
        { pool: ctx.pool, scoring: ctx.producer, log: ctx.log, defaultModel: ctx.config.models.defaultName },
        { key, source: () => store.open(key), size: scanned.size, layout: scanned.layout },
        { id: jobId, filename, model: schedule.model, email: schedule.email },
      );
    } catch (err) {
      if ((err as { code?: string }).code === '23505') return; // another delivery of this run made the job meanwhile
      await store.delete(key);
      throw err;
    }
    await recordScheduleRun(ctx.pool, { jobId, schedule: schedule.name, runKey });
    log.info({ jobId, rows: scanned.layout.rows }, 'scheduled run queued a job');
  } catch (err) {
    const refused = err instanceof Refusal || err instanceof CsvFormatError;
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const reason = (err as Error).message;
    if (!refused && !last) {
      log.warn({ attempt: job.attemptsMade + 1, err: reason }, 'scheduled run failed; will retry');
      throw err;
    }
    await recordFailedRun(ctx, schedule, { jobId, runKey, key, reason, refused });
    log.warn({ jobId, err: reason }, 'scheduled run could not make a job');
    throw new UnrecoverableError(reason);
  }
}

/** A UUID (version 8: derived, not random) that names the job of one run of one schedule. */
export function runJobId(schedule: string, runKey: string): string {
  const h = createHash('sha256').update(`batchcast scheduled run\n${schedule}\n${runKey}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

async function recordFailedRun(
  ctx: WorkerContext,
  schedule: ScheduleRecord,
  run: { jobId: string; runKey: string; key: string; reason: string; refused: boolean },
): Promise<void> {
  const model = await resolveModel(ctx.pool, schedule.model, ctx.config.models.defaultName);
  const source = displaySource(schedule.source);
  const added = await insertFailedRunJob(ctx.pool, {
    id: run.jobId,
    modelId: model.id,
    email: schedule.email,
    filename: path.basename(displaySource(schedule.source)) || `${schedule.name}.csv`,
    uploadKey: run.key,
    error: run.refused
      ? `The scheduled run of "${schedule.name}" could not use ${source}: ${run.reason}`
      : `The scheduled run of "${schedule.name}" could not read ${source}: ${run.reason}. It will run again at its next time.`,
    schedule: schedule.name,
    runKey: run.runKey,
  });
  // The normal job email, with its own retries (the reconciler re-queues it if this add is lost).
  if (added) await ctx.producer.add('send-email', { jobId: run.jobId });
}

/**
 * A source as the failed job's message shows it (to whoever gets the email): a URL without its query or
 * fragment, which may carry a credential (a pre-signed link); at most 200 characters.
 */
function displaySource(source: string): string {
  let shown = source;
  try {
    if (/^https?:\/\//i.test(source)) {
      const u = new URL(source);
      shown = `${u.origin}${u.pathname}`;
    }
  } catch {
    // not a URL: a path
  }
  return shown.length > 200 ? `${shown.slice(0, 200)}…` : shown;
}
