import { deleteSchedule, insertSchedule, listSchedulesWithRuns, type ScheduleWithRuns } from '@batchcast/db';
import { isTimeZone, nextRun, removeScheduleTimer, upsertScheduleTimer } from '@batchcast/queue';
import { checkScheduleSource, MODEL_NAME, parseEmail, parseScheduleSource, resolveModel } from '@batchcast/submit';
import type { WebContext } from '../context.js';
import { HttpError, notFound } from '../http/errors.js';

const DEFAULT_ATTEMPTS = 3;

/** A schedule as the API shows it. */
export function describeSchedule(s: ScheduleWithRuns) {
  let next: string | null = null;
  try {
    next = new Date(nextRun(s.cron, s.timezone)).toISOString();
  } catch {
    // a pattern that no longer parses (the parser changed): shown without a next time
  }
  return {
    name: s.name,
    source: s.source,
    model: s.model,
    cron: s.cron,
    timezone: s.timezone,
    email: s.email,
    attempts: s.attempts,
    createdAt: s.createdAt.toISOString(),
    nextRunAt: next,
    runs: s.runs,
    lastRun: s.lastRun
      ? { jobId: s.lastRun.jobId, status: s.lastRun.status, createdAt: s.lastRun.createdAt.toISOString(), error: s.lastRun.error }
      : null,
  };
}
export type ScheduleView = ReturnType<typeof describeSchedule>;

export async function listScheduleViews(ctx: WebContext): Promise<ScheduleView[]> {
  return (await listSchedulesWithRuns(ctx.pool)).map(describeSchedule);
}

/**
 * Registers a schedule: checks every field with a message that says what to fix, stores it in PostgreSQL
 * (the source of truth), then creates its BullMQ job scheduler. If Redis does not answer now, the
 * reconciler creates the timer as soon as it does.
 */
export async function createSchedule(ctx: WebContext, body: unknown): Promise<ScheduleView> {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const name = typeof b.name === 'string' ? b.name.trim() : '';
  if (!MODEL_NAME.test(name)) {
    throw new HttpError(
      422,
      'invalid_name',
      'A schedule name is 1 to 64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit.',
    );
  }
  const cron = typeof b.cron === 'string' ? b.cron.trim().replace(/\s+/g, ' ') : '';
  const timezone = typeof b.timezone === 'string' && b.timezone.trim() ? b.timezone.trim() : null;
  if (timezone !== null && !isTimeZone(timezone)) {
    throw new HttpError(
      422,
      'invalid_timezone',
      `"${timezone.slice(0, 80)}" is not an IANA time zone (e.g. "Europe/Paris", "UTC"); leave "timezone" out for the server's own.`,
    );
  }
  try {
    if (!cron) throw new Error('it is missing');
    nextRun(cron, timezone);
  } catch (err) {
    throw new HttpError(
      422,
      'invalid_cron',
      `"cron" is not a schedule we can run (${(err as Error).message}). Use 5 fields (minute hour day month weekday, e.g. "0 2 * * *" for 02:00 every day), 6 with seconds first (e.g. "*/30 * * * * *"), or an alias such as "@daily"${timezone ? '' : ', and optionally "timezone" (IANA, e.g. "Europe/Paris")'}.`,
    );
  }
  const attempts = b.attempts === undefined || b.attempts === null || b.attempts === '' ? DEFAULT_ATTEMPTS : Number(b.attempts);
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 10) {
    throw new HttpError(422, 'invalid_attempts', '"attempts" is a whole number from 1 to 10 (3 when not given).');
  }
  if (b.email === undefined || b.email === null || (typeof b.email === 'string' && !b.email.trim())) {
    throw new HttpError(422, 'invalid_email', 'Give "email": the address told after each run.');
  }
  const email = parseEmail(b.email)!;
  const source = parseScheduleSource(b.source, ctx.config.schedules.sourceDirs);
  await checkScheduleSource(source, ctx.config.schedules.sourceDirs);
  const modelRef = typeof b.model === 'string' ? b.model.trim() : '';
  if (!modelRef) throw new HttpError(422, 'unknown_model', 'Give "model": a model name (its latest version at each run) or name@version.');
  await resolveModel(ctx.pool, modelRef, ctx.config.models.defaultName);

  const stored = await insertSchedule(ctx.pool, {
    name,
    source: source.kind === 'file' ? source.path : source.url.toString(),
    model: modelRef,
    cron,
    timezone,
    email,
    attempts,
  });
  if (!stored)
    throw new HttpError(409, 'schedule_exists', `There is already a schedule named "${name}": delete it first, or choose another name.`);
  try {
    await upsertScheduleTimer(ctx.producer.queue('schedule'), stored);
  } catch (err) {
    ctx.log.warn({ schedule: name, err: (err as Error).message }, 'could not create the schedule timer now; the reconciler will');
  }
  ctx.log.info({ schedule: name, cron, model: modelRef }, 'schedule created');
  return describeSchedule({ ...stored, runs: 0, lastRun: null });
}

/** Removes a schedule and its timer; runs already made keep their jobs. 404 for an unknown name. */
export async function removeSchedule(ctx: WebContext, name: string): Promise<void> {
  if (!MODEL_NAME.test(name) || !(await deleteSchedule(ctx.pool, name))) throw notFound('schedule');
  try {
    await removeScheduleTimer(ctx.producer.queue('schedule'), name);
  } catch (err) {
    // The row is gone, so a run that fires meanwhile does nothing, and the reconciler removes the timer.
    ctx.log.warn({ schedule: name, err: (err as Error).message }, 'could not remove the schedule timer now; the reconciler will');
  }
  ctx.log.info({ schedule: name }, 'schedule deleted');
}
