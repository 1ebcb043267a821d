import { expireJobs, type JobsContext, reconcile } from '@batchcast/jobs';
import type { Runtime } from '@batchcast/runtime';
import { startPeriodic } from './periodic.js';

/**
 * The housekeeping every worker process runs on timers (one pass at a time across all hosts, under
 * PostgreSQL advisory locks): the reconciler re-queues what Redis lost, the retention sweep deletes old
 * jobs. Timers in the workers rather than BullMQ repeatable jobs: both are about PostgreSQL rows, and a
 * repeatable job would vanish with Redis's data.
 */
export function startMaintenance(rt: Runtime, ctx: JobsContext): void {
  const reconcileMs = ctx.config.workers.reconcileIntervalMs;
  const reconciler = startPeriodic(() => reconcile(ctx), {
    intervalMs: reconcileMs,
    firstDelayMs: Math.min(1_000, reconcileMs),
    log: ctx.log,
    failure: 'reconciler pass failed; will try again',
  });
  rt.onShutdown('reconciler', () => reconciler.stop());
  const sweepMs = ctx.config.storage.retentionSweepIntervalMs;
  const retention = startPeriodic(() => expireJobs(ctx), {
    intervalMs: sweepMs,
    firstDelayMs: Math.min(sweepMs, 30_000),
    log: ctx.log,
    failure: 'retention sweep failed; will try again',
  });
  rt.onShutdown('retention sweep', () => retention.stop());
}
