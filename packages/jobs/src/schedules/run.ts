import { createHash } from 'node:crypto';
import path from 'node:path';
import { getSchedule, insertFailedRunJob, recordScheduleRun, type ScheduleRecord } from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { DomainError } from '../errors.js';
import { createJob } from '../lifecycle/create-job.js';
import { tellWebhooks } from '../lifecycle/finalise-job.js';
import { loadJob } from '../lifecycle/load-job.js';
import { latestModels, resolveModel } from '../models/registry.js';
import type { Model } from '../records.js';
import { storeUpload } from '../uploads/store-upload.js';
import { openScheduleSource, parseScheduleSource } from './source.js';

export interface ScheduleRun {
  schedule: string;
  /** Names this run (the queue's id for this firing of the timer): the job id is derived from it. */
  runKey: string;
  /** Whether a failure now is the last attempt the queue will make. */
  lastAttempt: boolean;
  /** Aborted when the worker stops: the source's fetch ends now, and the run is given back, not recorded as failed. */
  signal?: AbortSignal | undefined;
}

export type ScheduleRunOutcome =
  | { status: 'skipped'; reason: string }
  | { status: 'queued'; jobId: string }
  /** The run could not make a job; it was recorded as a failed job (the owner is emailed). Do not retry. */
  | { status: 'failed'; jobId: string; reason: string };

/**
 * One run of a schedule: copy its source (a file the workers can read, or an http(s) URL) into the uploads
 * while scanning it, exactly as an upload is scanned, then make a normal job of it (createJob, the path
 * uploads take): the job is scored, finalised and emailed like any other.
 *
 * At least once, exactly one job: the job id is derived from the run, so a redelivered run finds its job and
 * stops. Reading the source may fail for a while (retried by the queue with backoff: the error is rethrown);
 * a source that is not a usable file for the model (any format an upload may have), or the last attempt, is recorded as a job that failed
 * with the reason, so the owner still gets the email and the admin page shows it.
 */
export async function runSchedule(ctx: JobsContext, run: ScheduleRun): Promise<ScheduleRunOutcome> {
  const log = ctx.log.child({ schedule: run.schedule, run: run.runKey });
  const schedule = await getSchedule(ctx.pool, run.schedule);
  if (!schedule) return { status: 'skipped', reason: 'schedule deleted' };
  const jobId = runJobId(schedule.name, run.runKey);
  if (await loadJob(ctx.pool, jobId)) {
    await recordScheduleRun(ctx.pool, { jobId, schedule: schedule.name, runKey: run.runKey });
    return { status: 'queued', jobId };
  }

  const key = `uploads/${jobId}.csv`;
  try {
    const source = parseScheduleSource(schedule.source);
    const { stream, filename } = await openScheduleSource(source, ctx.config, run.signal);
    const upload = await storeUpload(ctx.blobs, stream, {
      key,
      chunkRows: ctx.config.workers.chunkRows,
      maxBytes: ctx.config.storage.maxUploadBytes,
      maxDecompressedBytes: ctx.config.storage.maxDecompressedBytes,
      hints: { filename },
      choices: schedule.reading,
    });
    try {
      // A schedule that runs more often than the hourly limit of job emails to one address must still run:
      // its address is the operator's choice (and a run refused for it would email a failure anyway).
      await createJob(ctx, upload, { id: jobId, filename, model: schedule.model, email: schedule.email, emailSetByAdmin: true });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') return { status: 'queued', jobId }; // another delivery made it meanwhile
      throw err;
    }
    await recordScheduleRun(ctx.pool, { jobId, schedule: schedule.name, runKey: run.runKey });
    log.info({ jobId, format: upload.layout.format, rows: upload.rows }, 'scheduled run queued a job');
    return { status: 'queued', jobId };
  } catch (err) {
    // The file or the model refused it: trying again gives the same answer. But a server short of disk space
    // (or another service down: `unavailable`) may have room at the next attempt, as for a source unreadable now.
    const refused = err instanceof DomainError && err.kind !== 'unavailable';
    const reason = (err as Error).message;
    // Interrupted (the worker stops), not failed: nothing is recorded, the queue runs it again.
    if (run.signal?.aborted) {
      log.info({ err: reason }, 'scheduled run interrupted; it runs again');
      throw err;
    }
    if (!refused && !run.lastAttempt) {
      log.warn({ err: reason }, 'scheduled run failed; will retry');
      throw err;
    }
    await recordFailedRun(ctx, schedule, { jobId, runKey: run.runKey, key, reason, refused });
    log.warn({ jobId, err: reason }, 'scheduled run could not make a job');
    return { status: 'failed', jobId, reason };
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
  ctx: JobsContext,
  schedule: ScheduleRecord,
  run: { jobId: string; runKey: string; key: string; reason: string; refused: boolean },
): Promise<void> {
  const { model, missing } = await modelOfFailedRun(ctx, schedule.model);
  const source = displaySource(schedule.source);
  const added = await insertFailedRunJob(ctx.pool, {
    id: run.jobId,
    modelId: model.id,
    email: schedule.email,
    filename: path.basename(source) || `${schedule.name}.csv`,
    uploadKey: run.key,
    error: missing
      ? `The scheduled run of "${schedule.name}" has no model to score with: ${missing} Register "${schedule.model}" again, or delete the schedule and create it with one of those models.`
      : run.refused
        ? `The scheduled run of "${schedule.name}" could not use ${source}: ${run.reason}`
        : `The scheduled run of "${schedule.name}" could not read ${source}: ${run.reason.replace(/\.+$/, '')}. It will run again at its next time.`,
    schedule: schedule.name,
    runKey: run.runKey,
  });
  // The normal job email and webhooks, with their own retries (the reconciler re-queues them if these are lost).
  if (added) await ctx.queue.enqueueEmail(run.jobId);
  await tellWebhooks(ctx, run.jobId);
}

/**
 * The model a failed run's job is recorded with: the schedule's own, or, when that model has been removed
 * since the schedule was made, the default model (else any), since a job row must name one. Without this the
 * run could not be recorded at all: no job, no email, and the schedule failing silently at every run.
 * `missing` then says which model was not found (the job's error tells the owner).
 */
async function modelOfFailedRun(ctx: JobsContext, ref: string): Promise<{ model: Model; missing: string | null }> {
  try {
    return { model: await resolveModel(ctx.pool, ref, ctx.config.models.defaultName), missing: null };
  } catch (err) {
    if (!(err instanceof DomainError) || err.code !== 'unknown_model') throw err;
    const all = await latestModels(ctx.pool);
    const stand = all.find((m) => m.name === ctx.config.models.defaultName) ?? all[0];
    if (!stand) throw err;
    return { model: stand, missing: err.message };
  }
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
