import { createHash } from 'node:crypto';
import path from 'node:path';
import {
  findRemovedModel,
  findRemovedModelVersion,
  getSchedule,
  holdSameSchedule,
  insertFailedRunJob,
  recordScheduleRun,
  type ScheduleRecord,
} from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { DomainError } from '../errors.js';
import { createJob } from '../lifecycle/create-job.js';
import { tellWebhooks } from '../lifecycle/finalise-job.js';
import { loadJob } from '../lifecycle/load-job.js';
import { latestModels, resolveModel } from '../models/registry.js';
import { inUnitOfWork } from '../unit-of-work.js';
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
  /** No job: the schedule was deleted (before the run, or while it ran). */
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
 * a source that is not a usable file for the model (any format an upload may have), a model removed since, or the last attempt,
 * is recorded as a job that failed with the reason, so the owner still gets the email and the admin page shows it.
 *
 * A schedule deleted while its run reads the source ends the read; deleted later, up to the instant its job is
 * recorded, the run makes no job (and no failed one), and deletes what it stored: `skipped`, `schedule deleted`.
 */
export async function runSchedule(ctx: JobsContext, run: ScheduleRun): Promise<ScheduleRunOutcome> {
  const log = ctx.log.child({ schedule: run.schedule, run: run.runKey });
  const schedule = await getSchedule(ctx.pool, run.schedule);
  if (!schedule) return DELETED;
  const jobId = runJobId(schedule.name, run.runKey);
  if (await loadJob(ctx.pool, jobId)) {
    await recordScheduleRun(ctx.pool, { jobId, schedule: schedule.name, runKey: run.runKey });
    return { status: 'queued', jobId };
  }

  const key = `uploads/${jobId}.csv`;
  // A slow source may take up to SCHEDULE_FETCH_TIMEOUT_MS: deleting the schedule meanwhile ends the fetch.
  const watch = watchSchedule(ctx, schedule, run.signal);
  try {
    // A model removed since the schedule was made fails the run now, without reading a source no job can use.
    await resolveModel(ctx.pool, schedule.model, ctx.config.models.defaultName);
    const source = parseScheduleSource(schedule.source);
    const { stream, filename } = await openScheduleSource(source, ctx.config, watch.signal);
    const upload = await storeUpload(ctx.blobs, stream, {
      key,
      chunkRows: ctx.config.workers.chunkRows,
      maxBytes: ctx.config.storage.maxUploadBytes,
      maxDecompressedBytes: ctx.config.storage.maxDecompressedBytes,
      hints: { filename },
      choices: schedule.reading,
    });
    watch.stop();
    let made: boolean;
    try {
      // One transaction: the schedule checked (and held: a DELETE of it waits for the commit), the job and its run
      // recorded, its scoring queued after the commit. Deleted before, even in the last instant, the run makes no job.
      made = await inUnitOfWork(ctx, async (unit) => {
        if (!(await holdSameSchedule(unit.pool, schedule))) return false;
        // A schedule that runs more often than the hourly limit of job emails to one address must still run:
        // its address is the operator's choice (and a run refused for it would email a failure anyway).
        await createJob(unit, upload, { id: jobId, filename, model: schedule.model, email: schedule.email, emailSetByAdmin: true });
        await recordScheduleRun(unit.pool, { jobId, schedule: schedule.name, runKey: run.runKey });
        return true;
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') return { status: 'queued', jobId }; // another delivery made it meanwhile
      throw err;
    }
    if (!made) return await dropRun(ctx, log, key);
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
    // Its fetch ended because the schedule was deleted: not a failure of the source.
    if (watch.deleted) return await dropRun(ctx, log, key);
    if (!refused && !run.lastAttempt) {
      log.warn({ err: reason }, 'scheduled run failed; will retry');
      throw err;
    }
    if (!(await recordFailedRun(ctx, schedule, { jobId, runKey: run.runKey, key, reason, refused }))) return await dropRun(ctx, log, key);
    log.warn({ jobId, err: reason }, 'scheduled run could not make a job');
    return { status: 'failed', jobId, reason };
  } finally {
    watch.stop();
  }
}

const DELETED = { status: 'skipped', reason: 'schedule deleted' } as const;

/** A run whose schedule was deleted (or deleted and made again) while it ran: it leaves nothing behind. */
async function dropRun(ctx: JobsContext, log: JobsContext['log'], key: string): Promise<ScheduleRunOutcome> {
  await ctx.blobs.delete(key).catch(() => undefined);
  log.info('scheduled run dropped: its schedule was deleted while it ran, so it makes no job and sends no email');
  return DELETED;
}

/** How often a run reading its source checks that its schedule is still there. */
const WATCH_EVERY_MS = 1_000;

/**
 * Aborts `signal` once the schedule is deleted (or deleted and made again), or when `stop` aborts (the worker
 * stops): the source's fetch then ends at once, rather than reading for up to SCHEDULE_FETCH_TIMEOUT_MS for
 * nobody. `deleted` says which. The check is a one-row query a second, during the fetch only (`stop()`).
 */
function watchSchedule(
  ctx: JobsContext,
  schedule: ScheduleRecord,
  stop: AbortSignal | undefined,
): { signal: AbortSignal; readonly deleted: boolean; stop: () => void } {
  const controller = new AbortController();
  let deleted = false;
  let stopped = false;
  let checking = false;
  const timer = setInterval(() => {
    if (checking || stopped) return;
    checking = true;
    holdSameSchedule(ctx.pool, schedule)
      .then(
        (there) => {
          if (there || stopped) return;
          deleted = true;
          controller.abort(new Error(`The schedule "${schedule.name}" was deleted while this run read its source.`));
        },
        // PostgreSQL not answering now: the fetch goes on, and the run checks again before it records its job.
        () => undefined,
      )
      .finally(() => {
        checking = false;
      });
  }, WATCH_EVERY_MS);
  timer.unref();
  return {
    signal: stop ? AbortSignal.any([stop, controller.signal]) : controller.signal,
    get deleted() {
      return deleted;
    },
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** A UUID (version 8: derived, not random) that names the job of one run of one schedule. */
export function runJobId(schedule: string, runKey: string): string {
  const h = createHash('sha256').update(`batchcast scheduled run\n${schedule}\n${runKey}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Records a run that could not make a job as a failed job, emailed and told to webhooks like any other.
 * False when the schedule was deleted meanwhile (checked in the transaction that records it): nothing is recorded.
 */
async function recordFailedRun(
  ctx: JobsContext,
  schedule: ScheduleRecord,
  run: { jobId: string; runKey: string; key: string; reason: string; refused: boolean },
): Promise<boolean> {
  const { modelId, missing } = await modelOfFailedRun(ctx, schedule.model);
  const source = displaySource(schedule.source);
  const recorded = await inUnitOfWork(ctx, async (unit) => {
    if (!(await holdSameSchedule(unit.pool, schedule))) return null;
    return insertFailedRunJob(unit.pool, {
      id: run.jobId,
      modelId,
      email: schedule.email,
      filename: path.basename(source) || `${schedule.name}.csv`,
      uploadKey: run.key,
      error: missing
        ? `The scheduled run of "${schedule.name}" has no model to score with: ${missing.replace(/\.+$/, '')}. ${missingModelAdvice(schedule)}`
        : run.refused
          ? `The scheduled run of "${schedule.name}" could not use ${source}: ${run.reason}`
          : `The scheduled run of "${schedule.name}" could not read ${source}: ${run.reason.replace(/\.+$/, '')}. It will run again at its next time.`,
      schedule: schedule.name,
      runKey: run.runKey,
    });
  });
  if (recorded === null) return false;
  // The normal job email and webhooks, with their own retries (the reconciler re-queues them if these are lost).
  if (recorded) await ctx.queue.enqueueEmail(run.jobId);
  await tellWebhooks(ctx, run.jobId);
  return true;
}

/** What the owner of a schedule whose model is gone can do: every run fails until then. */
function missingModelAdvice(schedule: ScheduleRecord): string {
  const [name, version] = schedule.model.split('@');
  const remake = 'delete the schedule and create it again with a model that is offered';
  const where = `on /admin, or with ${version === undefined ? 'POST /api/models, ' : ''}DELETE /api/schedules/${schedule.name} and POST /api/schedules`;
  // A version number is never given out again: registering the name makes a new version, which a pinned schedule does not use.
  return version === undefined
    ? `Register "${name}" again, or ${remake} (${where}). Until then every run fails.`
    : `Version ${version} of "${name}" is never offered again: ${remake} (${where}). Until then every run fails.`;
}

/**
 * The model a failed run's job is recorded with, since a job row must name one: the schedule's own; when it has
 * been removed since the schedule was made, its removed version (the job then names the model the schedule asked
 * for); when there is no such model at all, the default model (else any). Without this the run could not be
 * recorded at all: no job, no email, and the schedule failing silently at every run. `missing` then says why
 * there is no model to use (the job's error tells the owner).
 */
async function modelOfFailedRun(ctx: JobsContext, ref: string): Promise<{ modelId: number; missing: string | null }> {
  try {
    return { modelId: (await resolveModel(ctx.pool, ref, ctx.config.models.defaultName)).id, missing: null };
  } catch (err) {
    if (!(err instanceof DomainError) || (err.code !== 'unknown_model' && err.code !== 'model_removed')) throw err;
    const removed = await removedModelId(ctx, ref);
    if (removed !== null) return { modelId: removed, missing: err.message };
    const all = await latestModels(ctx.pool);
    const stand = all.find((m) => m.name === ctx.config.models.defaultName) ?? all[0];
    if (!stand) throw err;
    return { modelId: stand.id, missing: err.message };
  }
}

/** The id of the removed version `ref` names (`name`: its latest removed one), or null. */
async function removedModelId(ctx: JobsContext, ref: string): Promise<number | null> {
  const [name = '', versionText] = ref.split('@');
  const asked = versionText === undefined ? undefined : Number(versionText.replace(/^v/i, ''));
  if (asked !== undefined && !Number.isSafeInteger(asked)) return null;
  const removed = await findRemovedModel(ctx.pool, name, asked);
  if (!removed) return null;
  return (await findRemovedModelVersion(ctx.pool, name, removed.version))?.id ?? null;
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
