import { inTransaction, listChunks, listUnfinishedJobs, listUnnotifiedJobs } from '@batchcast/db';
import type { WorkerContext } from './context.js';
import { startPeriodic } from './periodic.js';
import { reconcileScheduleTimers } from './schedule-timers.js';

// Any fixed number; one reconciler pass at a time across every worker on every host.
const RECONCILE_LOCK = 0x6263_7263;

/**
 * PostgreSQL is the source of truth; Redis is only a work list. Each pass makes sure that every job
 * PostgreSQL says is unfinished has its scoring flow in BullMQ (re-creating it, with only the chunks still
 * to do, after Redis lost its data), and that every finished job whose owner was not told has its email
 * queued, and that every schedule has its timer (a BullMQ job scheduler). Re-adding is harmless: BullMQ
 * job ids are fixed per job and chunk.
 */
export async function reconcileOnce(ctx: WorkerContext): Promise<number> {
  let requeued = 0;
  await inTransaction(ctx.pool, async (client) => {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [RECONCILE_LOCK]);
    if (!rows[0]?.locked) return;
    for (const { id } of await listUnfinishedJobs(ctx.pool)) {
      const state = await ctx.producer.scoringState(id);
      if (state === 'failed') {
        await ctx.producer.retryScoring(id);
        ctx.log.warn({ jobId: id }, 'reconciler retried a failed finaliser');
        requeued++;
      } else if (state === 'missing') {
        const chunks = (await listChunks(ctx.pool, id)).filter((c) => !c.done).map((c) => c.index);
        await ctx.producer.enqueueScoring(id, chunks);
        ctx.log.warn({ jobId: id, chunks: chunks.length }, 'reconciler re-queued a job Redis did not know');
        requeued++;
      }
    }
    for (const { id } of await listUnnotifiedJobs(ctx.pool)) {
      if (!(await ctx.producer.hasEmail(id))) {
        await ctx.producer.add('send-email', { jobId: id });
        ctx.log.warn({ jobId: id }, 'reconciler re-queued an email');
        requeued++;
      }
    }
    requeued += await reconcileScheduleTimers(ctx);
  });
  return requeued;
}

/** Runs reconcileOnce soon after start and then every RECONCILE_INTERVAL_MS until stopped. */
export function startReconciler(ctx: WorkerContext): { stop: () => Promise<void> } {
  const intervalMs = ctx.config.workers.reconcileIntervalMs;
  return startPeriodic(() => reconcileOnce(ctx), {
    intervalMs,
    firstDelayMs: Math.min(1_000, intervalMs),
    log: ctx.log,
    failure: 'reconciler pass failed; will try again',
  });
}
