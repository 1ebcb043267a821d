import { getNextMillis, type Queue } from 'bullmq';
import { jobCatalog, type Payload } from './catalog.js';

/**
 * The BullMQ side of scheduled runs: one job scheduler per schedule on the `schedule` queue, whose id is
 * the schedule's name. Schedules themselves live in PostgreSQL; these are only their timers, so they can
 * be re-created at any time (the reconciler does, after Redis lost its data).
 */
export interface ScheduleTimer {
  name: string;
  cron: string;
  timezone: string | null;
  attempts: number;
}

/**
 * When a cron pattern fires next (ms since the epoch), with BullMQ's own parser, so what is accepted here
 * is exactly what the scheduler runs. Five fields, or six with seconds first (`* * * * * *`: every
 * second); aliases such as `@daily`. Throws an Error that says what is wrong.
 */
export function nextRun(cron: string, timezone: string | null, from = Date.now()): number {
  const pattern = cron.trim();
  if (!pattern) throw new Error('the cron pattern is empty');
  if (timezone !== null && !isTimeZone(timezone)) throw new Error(`"${timezone}" is not an IANA time zone (e.g. Europe/Paris, UTC)`);
  const next = getNextMillis(from, { pattern, ...(timezone ? { tz: timezone } : {}) });
  if (next === undefined || !Number.isFinite(next)) throw new Error('the pattern never fires');
  return next;
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Creates or updates the job scheduler of a schedule (its next run is added as a delayed job). */
export async function upsertScheduleTimer(queue: Queue, s: ScheduleTimer): Promise<void> {
  const def = jobCatalog['scheduled-run'];
  await queue.upsertJobScheduler(
    s.name,
    { pattern: s.cron.trim(), ...(s.timezone ? { tz: s.timezone } : {}) },
    {
      name: 'scheduled-run',
      data: { schedule: s.name } satisfies Payload<'scheduled-run'>,
      opts: { ...def.options, attempts: s.attempts },
    },
  );
}

/** Removes a schedule's job scheduler (and its pending next run); false when Redis did not have it. */
export async function removeScheduleTimer(queue: Queue, name: string): Promise<boolean> {
  return queue.removeJobScheduler(name);
}

/** A job scheduler as Redis holds it. */
export interface StoredScheduleTimer {
  name: string;
  cron: string | null;
  timezone: string | null;
  attempts: number | null;
  next: number | null;
}

/** The job schedulers Redis holds: their ids (schedule names), patterns and time zones. */
export async function listScheduleTimers(queue: Queue): Promise<StoredScheduleTimer[]> {
  const all = await queue.getJobSchedulers(0, -1, true);
  return all.map((s) => ({
    name: s.id ?? s.key,
    cron: s.pattern ?? null,
    timezone: s.tz ?? null,
    attempts: s.template?.opts?.attempts ?? null,
    next: s.next ?? null,
  }));
}
