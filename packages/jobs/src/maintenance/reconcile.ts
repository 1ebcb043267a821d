import {
  listChunks,
  listPendingLinkRequests,
  listJobsWithoutEvents,
  pagePendingDeliveries,
  listSchedules,
  listUnfinishedJobs,
  listUnnotifiedJobs,
  recordMaintenancePass,
  withAdvisoryLock,
} from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { LINK_REQUEST_PENDING_MINUTES } from '../come-back/my-links.js';
import { recordJobEvents } from '../webhooks/events.js';
import { endLapsedUploads } from './lapsed-uploads.js';

/**
 * PostgreSQL is the source of truth; Redis is only a work list. Each pass removes the jobs whose upload
 * never ended (scored while it arrived: their lease passed), and makes sure that every job
 * PostgreSQL says is unfinished has its scoring in the queue (re-created, with only the chunks still to do,
 * after Redis lost its data), that every finished job whose owner was not told has its email queued, that
 * every ended job has its webhook deliveries recorded and every pending delivery is in the queue (due when
 * PostgreSQL says), and that every schedule has its timer. Re-adding is harmless: queue ids are fixed per job and chunk.
 *
 * Every worker process runs this on a timer; the advisory lock makes one pass run at a time everywhere
 * (null: another process holds it). Returns how many things it had to re-queue; each pass is recorded in
 * maintenance_passes.
 */
export async function reconcile(ctx: JobsContext): Promise<number | null> {
  const requeued = await withAdvisoryLock(ctx.pool, 'reconcile', async () => {
    // A job still receiving its upload is never queued as if complete (listUnfinishedJobs leaves it out); one
    // whose upload will never end is removed.
    let count = await endLapsedUploads(ctx);
    for (const { id } of await listUnfinishedJobs(ctx.pool)) {
      const state = await ctx.queue.scoringState(id);
      if (state === 'failed') {
        await ctx.queue.retryScoring(id);
        ctx.log.warn({ jobId: id }, 'reconciler retried a failed finaliser');
        count++;
      } else if (state === 'missing') {
        const chunks = await chunksToDo(ctx, id);
        await ctx.queue.enqueueScoring(id, chunks);
        ctx.log.warn({ jobId: id, chunks: chunks.length }, 'reconciler re-queued a job Redis did not know');
        count++;
      } else if (await ctx.queue.uploadGateClosed(id)) {
        // Scored while its upload arrived, and the upload ended (the job is no longer receiving), but Redis
        // did not answer then: its last chunks and the opening of its gate are done now (both safe to repeat).
        const chunks = await chunksToDo(ctx, id);
        await ctx.queue.addReceivedChunks(id, chunks);
        await ctx.queue.openUploadGate(id);
        ctx.log.warn({ jobId: id, chunks: chunks.length }, 'reconciler opened the upload gate of a job whose upload had ended');
        count++;
      }
    }
    for (const { id } of await listUnnotifiedJobs(ctx.pool)) {
      if (!(await ctx.queue.hasEmail(id))) {
        await ctx.queue.enqueueEmail(id);
        ctx.log.warn({ jobId: id }, 'reconciler re-queued an email');
        count++;
      }
    }
    // "Email me my links" requests of the last hour not answered yet: queued again (a no-op while the queue
    // still has them; their ids are fixed). Older ones are let go: the person has likely asked again.
    for (const { id } of await listPendingLinkRequests(ctx.pool, LINK_REQUEST_PENDING_MINUTES)) await ctx.queue.enqueueLinks(id);
    return count + (await reconcileWebhooks(ctx)) + (await reconcileScheduleTimers(ctx));
  });
  if (requeued !== null) await recordMaintenancePass(ctx.pool, 'reconcile', { requeued });
  return requeued;
}

/** The job's chunks not stored yet. */
async function chunksToDo(ctx: JobsContext, jobId: string): Promise<number[]> {
  return (await listChunks(ctx.pool, jobId)).filter((c) => !c.done).map((c) => c.index);
}

/** Records the deliveries of ended jobs that have none yet, and queues every pending delivery Redis does not hold. */
async function reconcileWebhooks(ctx: JobsContext): Promise<number> {
  let count = 0;
  for (const { id } of await listJobsWithoutEvents(ctx.pool)) {
    const queued = await recordJobEvents(ctx, id);
    if (queued > 0) ctx.log.warn({ jobId: id, deliveries: queued }, 'reconciler recorded webhook deliveries of an ended job');
    count += queued;
  }
  for (let after: string | null = null; ; ) {
    const page = await pagePendingDeliveries(ctx.pool, after, 500);
    for (const d of page) {
      const state = await ctx.queue.deliveryState(d.id, d.generation);
      if (state === 'present') continue;
      if (state === 'failed') await ctx.queue.retryDelivery(d.id, d.generation);
      else await ctx.queue.enqueueDelivery(d.id, d.generation, d.nextAttemptAt.getTime() - Date.now());
      ctx.log.warn({ deliveryId: d.id, state }, 'reconciler re-queued a webhook delivery');
      count++;
    }
    if (page.length < 500) return count;
    after = page[page.length - 1]!.id;
  }
}

/**
 * Makes the queue's timers match the schedules in PostgreSQL: re-creates those Redis lost or that differ,
 * and removes those whose schedule was deleted while Redis was unreachable. Returns the number of changes.
 */
async function reconcileScheduleTimers(ctx: JobsContext): Promise<number> {
  // Timers first: a schedule is written to PostgreSQL before its timer is created, so a timer seen here has
  // its row in the list read next, and is never taken for the timer of a deleted schedule.
  const present = new Map((await ctx.queue.listScheduleTimers()).map((t) => [t.name, t]));
  const wanted = await listSchedules(ctx.pool);
  let changes = 0;
  for (const s of wanted) {
    const t = present.get(s.name);
    present.delete(s.name);
    if (t && t.cron === s.cron.trim() && (t.timezone ?? null) === s.timezone && t.attempts === s.attempts) continue;
    await ctx.queue.upsertScheduleTimer(s);
    ctx.log.warn(
      { schedule: s.name },
      t ? 'reconciler updated a schedule timer' : 'reconciler re-created a schedule timer Redis did not know',
    );
    changes++;
  }
  for (const name of present.keys()) {
    await ctx.queue.removeScheduleTimer(name);
    ctx.log.warn({ schedule: name }, 'reconciler removed the timer of a deleted schedule');
    changes++;
  }
  return changes;
}
