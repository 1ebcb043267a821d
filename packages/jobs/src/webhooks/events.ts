import { createHash } from 'node:crypto';
import { jobPagePath, newJobToken } from '@batchcast/access';
import { endpointsForEvent, listPendingDeliveries, type PendingDelivery, recordJobEvent } from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { loadJob } from '../lifecycle/load-job.js';
import { modelById } from '../models/registry.js';
import { isActive, type Job } from '../records.js';
import type { WebhookEvent } from './endpoints.js';
import { secretBoxOf } from './secret-box.js';

/** The body of a delivery (the Standard Webhooks shape: `type`, `timestamp`, `data`). */
export interface JobEventBody {
  type: WebhookEvent;
  /** When the event happened (the job ended), ISO 8601. */
  timestamp: string;
  data: {
    id: string;
    status: 'succeeded' | 'failed' | 'cancelled';
    rows: { total: number; processed: number; failed: number };
    model: { name: string; version: number };
    finishedAt: string;
    error: string | null;
    /**
     * Absolute, from PUBLIC_URL; each carries a token of the delivery's own (only its hash is stored). Only the
     * links that can answer: `results` for a job that succeeded, `errors` (errors.csv) for one with failed rows
     * that kept them (a cancelled job keeps none), never a link that answers 409 for good.
     */
    links: { self: string; page: string; results?: string; errors?: string };
  };
}

/**
 * A delivery's id, which is also the `webhook-id` of every attempt at it: derived from the event, the job
 * and the endpoint, so recording the same event again (a redelivered finaliser, the reconciler) names the
 * same delivery and adds none.
 */
export function deliveryId(event: string, jobId: string, endpointId: string): string {
  return `msg_${createHash('sha256').update(`batchcast webhook\n${event}\n${jobId}\n${endpointId}`).digest('hex').slice(0, 32)}`;
}

/** The context a delivery's body is sealed with. */
export const bodyContext = (id: string): string => `webhook body ${id}`;

/**
 * Tells the webhooks that a job ended, once: records one delivery per endpoint subscribed to the event (the
 * admins' endpoints, and those of the key that submitted the job), then queues each as a job of its own.
 * Called where a job ends (finaliser, cancel, a scheduled run that could not start) and by the reconciler for
 * an ended job whose event was never recorded. PostgreSQL decides "once" (the job's row, locked); a queue
 * that does not answer now is made up for by the reconciler, which queues every pending delivery.
 * Returns the deliveries queued.
 */
export async function recordJobEvents(ctx: JobsContext, jobId: string): Promise<number> {
  const job = await loadJob(ctx.pool, jobId);
  const finishedAt = job?.finishedAt;
  if (!job || isActive(job.status) || !finishedAt) return 0;
  let deliveries: PendingDelivery[] | null = null;
  if (!job.eventsRecordedAt) deliveries = await record(ctx, { ...job, finishedAt });
  // Recorded before (by another process, or a run that died before queueing): queue what is still pending.
  deliveries ??= await listPendingDeliveries(ctx.pool, job.id);
  let queued = 0;
  for (const d of deliveries) {
    try {
      await ctx.queue.enqueueDelivery(d.id, d.generation, d.nextAttemptAt.getTime() - Date.now());
      queued++;
    } catch (err) {
      ctx.log.warn({ jobId, deliveryId: d.id, err: (err as Error).message }, 'could not queue a webhook delivery now; the reconciler will');
    }
  }
  return queued;
}

async function record(ctx: JobsContext, job: Job & { finishedAt: Date }): Promise<PendingDelivery[] | null> {
  const event = `job.${job.status}` as WebhookEvent;
  const endpoints = await endpointsForEvent(ctx.pool, event, job.keyId);
  const box = endpoints.length > 0 ? secretBoxOf(ctx.config) : null;
  if (endpoints.length > 0 && !box) {
    // Endpoints exist, so some process has the key: this one was started without it. Leave the event
    // unrecorded; the reconciler of a process that has the key records it.
    ctx.log.error({ jobId: job.id }, 'WEBHOOK_SECRET_KEY is not set in this process: webhook deliveries not recorded');
    return [];
  }
  const model = await modelById(ctx.pool, job.modelId).catch(() => null);
  const deliveries = endpoints.map((endpoint) => {
    const id = deliveryId(event, job.id, endpoint.id);
    const { token, hash } = newJobToken();
    const body: JobEventBody = {
      type: event,
      timestamp: job.finishedAt.toISOString(),
      data: {
        id: job.id,
        status: job.status as JobEventBody['data']['status'],
        rows: { total: job.rowsTotal, processed: job.rowsProcessed, failed: job.rowsFailed },
        model: { name: model?.name ?? 'unknown', version: model?.version ?? 0 },
        finishedAt: job.finishedAt.toISOString(),
        error: job.error,
        links: jobLinks(ctx.config.http.publicUrl, job, token),
      },
    };
    return { id, endpointId: endpoint.id, event, body: box!.seal(JSON.stringify(body), bodyContext(id)), linkTokenHash: hash };
  });
  const inserted = await recordJobEvent(ctx.pool, job.id, deliveries);
  if (inserted?.length) ctx.log.info({ jobId: job.id, event, deliveries: inserted.length }, 'webhook deliveries recorded');
  return inserted;
}

function jobLinks(publicUrl: string, job: Job, token: string): JobEventBody['data']['links'] {
  const t = encodeURIComponent(token);
  const api = `${publicUrl}/api/jobs/${job.id}`;
  return {
    self: `${api}?token=${t}`,
    page: publicUrl + jobPagePath(job.id, token),
    ...(job.status === 'succeeded' ? { results: `${api}/results.csv?token=${t}` } : {}),
    ...(job.status !== 'cancelled' && job.rowsFailed > 0 ? { errors: `${api}/errors.csv?token=${t}` } : {}),
  };
}
