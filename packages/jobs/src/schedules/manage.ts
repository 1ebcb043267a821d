import { deleteSchedule, insertSchedule, listSchedulesWithRuns, type ScheduleWithRuns } from '@batchcast/db';
import { isTimeZone, nextRun } from '@batchcast/queue';
import type { JobsContext } from '../context.js';
import { parseEmail } from '../email-address.js';
import { DomainError, notFound } from '../errors.js';
import { MODEL_NAME, resolveModel } from '../models/registry.js';
import { checkScheduleSource, parseScheduleSource } from './source.js';
import type { UploadChoices } from '../uploads/stored-upload.js';
import { checkSourceFitsModel } from './source-fits.js';

/** A schedule as asked for (the HTTP contract has checked the types; the meaning is checked here). */
export interface ScheduleInput {
  name: string;
  source: string;
  model: string;
  cron: string;
  timezone?: string | null | undefined;
  email: string;
  attempts?: number | undefined;
  /** How the source is read when detection is not enough (the upload's reading options); each run reads it so. */
  reading?: UploadChoices | undefined;
}

/** A schedule with when it runs next and what its runs did. */
export interface ScheduleState extends ScheduleWithRuns {
  nextRunAt: Date | null;
}

const DEFAULT_ATTEMPTS = 3;

function withNextRun(s: ScheduleWithRuns): ScheduleState {
  let next: Date | null = null;
  try {
    next = new Date(nextRun(s.cron, s.timezone));
  } catch {
    // a pattern that no longer parses (the parser changed): shown without a next time
  }
  return { ...s, nextRunAt: next };
}

export async function listSchedules(ctx: JobsContext): Promise<ScheduleState[]> {
  return (await listSchedulesWithRuns(ctx.pool)).map(withNextRun);
}

/**
 * Registers a schedule: checks every field with a message that says what to fix (its source read once and
 * checked against the model as a job is, when it can be read now), stores it in PostgreSQL
 * (the source of truth), then creates its timer. If Redis does not answer now, the reconciler creates the
 * timer as soon as it does.
 */
export async function createSchedule(ctx: JobsContext, input: ScheduleInput): Promise<ScheduleState> {
  const name = input.name.trim();
  if (!MODEL_NAME.test(name)) {
    throw new DomainError(
      'unprocessable',
      'invalid_name',
      'A schedule name is 1 to 64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit.',
    );
  }
  const cron = input.cron.trim().replace(/\s+/g, ' ');
  const timezone = input.timezone?.trim() || null;
  if (timezone !== null && !isTimeZone(timezone)) {
    throw new DomainError(
      'unprocessable',
      'invalid_timezone',
      `"${timezone.slice(0, 80)}" is not an IANA time zone (e.g. "Europe/Paris", "UTC"); leave "timezone" out for the server's own.`,
    );
  }
  try {
    if (!cron) throw new Error('it is missing');
    nextRun(cron, timezone);
  } catch (err) {
    throw new DomainError(
      'unprocessable',
      'invalid_cron',
      `"cron" is not a schedule we can run (${(err as Error).message}). Use 5 fields (minute hour day month weekday, e.g. "0 2 * * *" for 02:00 every day), 6 with seconds first (e.g. "*/30 * * * * *"), or an alias such as "@daily"${timezone ? '' : ', and optionally "timezone" (IANA, e.g. "Europe/Paris")'}.`,
    );
  }
  const attempts = input.attempts ?? DEFAULT_ATTEMPTS;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 10) {
    throw new DomainError('unprocessable', 'invalid_attempts', '"attempts" is a whole number from 1 to 10 (3 when not given).');
  }
  if (!input.email.trim()) throw new DomainError('invalid', 'invalid_email', 'Give "email": the address told after each run.');
  const email = parseEmail(input.email, ctx.config.mail.localDomains)!;
  const source = parseScheduleSource(input.source);
  await checkScheduleSource(source, ctx.config);
  const modelRef = input.model.trim();
  if (!modelRef)
    throw new DomainError('unprocessable', 'unknown_model', 'Give "model": a model name (its latest version at each run) or name@version.');
  await resolveModel(ctx.pool, modelRef, ctx.config.models.defaultName);
  const reading = input.reading ?? {};
  await checkSourceFitsModel(ctx, source, modelRef, reading);

  const stored = await insertSchedule(ctx.pool, {
    name,
    source: source.kind === 'file' ? source.path : source.url.toString(),
    model: modelRef,
    cron,
    timezone,
    email,
    attempts,
    reading,
  });
  if (!stored)
    throw new DomainError(
      'conflict',
      'schedule_exists',
      `There is already a schedule named "${name}": delete it first, or choose another name.`,
    );
  try {
    await ctx.queue.upsertScheduleTimer(stored);
  } catch (err) {
    ctx.log.warn({ schedule: name, err: (err as Error).message }, 'could not create the schedule timer now; the reconciler will');
  }
  ctx.log.info({ schedule: name, cron, model: modelRef }, 'schedule created');
  return withNextRun({ ...stored, runs: 0, lastRun: null });
}

/** Removes a schedule and its timer; runs already made keep their jobs. `not_found` for an unknown name. */
export async function removeSchedule(ctx: JobsContext, name: string): Promise<void> {
  if (!MODEL_NAME.test(name) || !(await deleteSchedule(ctx.pool, name))) throw notFound('schedule');
  try {
    await ctx.queue.removeScheduleTimer(name);
  } catch (err) {
    // The row is gone, so a run that fires meanwhile does nothing, and the reconciler removes the timer.
    ctx.log.warn({ schedule: name, err: (err as Error).message }, 'could not remove the schedule timer now; the reconciler will');
  }
  ctx.log.info({ schedule: name }, 'schedule deleted');
}
