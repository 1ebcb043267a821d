import { expireJobs, type JobsContext, reconcile, resealWebhookSecrets } from '@batchcast/jobs';
import type { Runtime } from '@batchcast/runtime';
import { startPeriodic } from './periodic.js';

/**
 * The housekeeping every worker process runs on timers (one pass at a time across all hosts, under
 * PostgreSQL advisory locks): the reconciler re-queues what Redis lost, the retention sweep deletes old
 * jobs. Timers in the workers rather than BullMQ repeatable jobs: both are about PostgreSQL rows, and a
 * repeatable job would vanish with Redis's data. While WEBHOOK_SECRET_KEY lists several keys, what is sealed
 * with another than the first is re-sealed with it, at start and then at every reconciler interval (a process
 * still running with the old key first may seal more until it is restarted).
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
  if ((ctx.config.webhooks.secretKeys?.length ?? 0) > 1) {
    let told = false;
    const reseal = startPeriodic(
      async () => {
        const done = await resealWebhookSecrets(ctx);
        if (!done) return; // another process holds the lock: its pass does the work
        if (done.secrets + done.bodies > 0 || done.unreadable > 0 || !told) {
          const rest =
            done.unreadable > 0
              ? `${done.unreadable} value(s) are sealed with a key not configured (see the warnings above): keep every key they need`
              : 'every stored webhook secret and delivery body is now sealed with the first key: the others may be removed from WEBHOOK_SECRET_KEY once every process has been restarted with this list';
          ctx.log.info({ secrets: done.secrets, bodies: done.bodies, unreadable: done.unreadable }, `webhook re-seal pass: ${rest}`);
          told = true;
        }
      },
      { intervalMs: reconcileMs, firstDelayMs: 0, log: ctx.log, failure: 'webhook re-seal pass failed; will try again' },
    );
    rt.onShutdown('webhook re-seal', () => reseal.stop());
  }
}
