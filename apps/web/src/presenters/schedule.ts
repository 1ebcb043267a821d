import type { Schedule } from '@batchcast/contract';
import type { ScheduleState } from '@batchcast/jobs';

/** A schedule as the API shows it. */
export function describeSchedule(s: ScheduleState): Schedule {
  return {
    name: s.name,
    source: s.source,
    model: s.model,
    cron: s.cron,
    timezone: s.timezone,
    email: s.email,
    attempts: s.attempts,
    // As stored: JSON has no undefined values, so only the options set.
    reading: s.reading,
    createdAt: s.createdAt.toISOString(),
    nextRunAt: s.nextRunAt?.toISOString() ?? null,
    runs: s.runs,
    lastRun: s.lastRun
      ? { jobId: s.lastRun.jobId, status: s.lastRun.status, createdAt: s.lastRun.createdAt.toISOString(), error: s.lastRun.error }
      : null,
  };
}
