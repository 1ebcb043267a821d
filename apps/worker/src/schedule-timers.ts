import { listSchedules } from '@batchcast/db';
import { listScheduleTimers, removeScheduleTimer, upsertScheduleTimer } from '@batchcast/queue';
import type { WorkerContext } from './context.js';

/**
 * Makes Redis's job schedulers match the schedules in PostgreSQL (the source of truth): re-creates those
 * Redis lost (a flush, a failover without persistence) or that differ, and removes those whose schedule was
 * deleted while Redis was unreachable. Runs within the reconciler's pass (one host at a time). Returns the
 * number of changes.
 */
export async function reconcileScheduleTimers(ctx: WorkerContext): Promise<number> {
  const queue = ctx.producer.queue('schedule');
  // Timers first: the web app writes a schedule to PostgreSQL before creating its timer, so a timer seen
  // here has its row in the list read next, and is never taken for the timer of a deleted schedule.
  const present = new Map((await listScheduleTimers(queue)).map((t) => [t.name, t]));
  const wanted = await listSchedules(ctx.pool);
  let changes = 0;
  for (const s of wanted) {
    const t = present.get(s.name);
    present.delete(s.name);
    if (t && t.cron === s.cron.trim() && (t.timezone ?? null) === s.timezone && t.attempts === s.attempts) continue;
    await upsertScheduleTimer(queue, s);
    ctx.log.warn(
      { schedule: s.name },
      t ? 'reconciler updated a schedule timer' : 'reconciler re-created a schedule timer Redis did not know',
    );
    changes++;
  }
  for (const name of present.keys()) {
    await removeScheduleTimer(queue, name);
    ctx.log.warn({ schedule: name }, 'reconciler removed the timer of a deleted schedule');
    changes++;
  }
  return changes;
}
