import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { metricsSnapshot, type StoredHistogram } from '@batchcast/jobs';
import type { WebContext } from '../context.js';

const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;

/**
 * The Prometheus exposition. Where each number comes from, and why:
 * - Housekeeping passes (reconciler, retention sweep) are counted in PostgreSQL by whichever worker ran them.
 * - Jobs by status, rows scored/failed and both histograms are read from PostgreSQL at scrape time. Workers
 *   are separate processes (on any number of hosts) that restart at will, so in-process counters would
 *   each see a part and start again from zero; PostgreSQL sees all of them and keeps its totals (migration
 *   005: triggers count a chunk's rows once when it is stored and observe a job's end-to-end duration when
 *   it ends; workers add the seconds of each ONNX Runtime batch after storing a chunk). Every scrape is a
 *   handful of cheap queries (a GROUP BY over the jobs kept, and a few small rows).
 * - Queue depths come from BullMQ (getJobCounts) at scrape time.
 * - Real-time scoring (batchcast_realtime_scoring) is this web process's own: each web process has its scoring processes.
 * - Default Node.js process metrics (process_*, nodejs_*, unprefixed so standard dashboards work) are those of
 *   this web process.
 */
export class Metrics {
  readonly registry = new Registry();

  constructor(private readonly ctx: WebContext) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'batchcast_queue_jobs',
      help: 'BullMQ jobs per queue and state.',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          for (const { queue, counts } of await ctx.producer.counts(QUEUE_STATES)) {
            for (const state of QUEUE_STATES) this.set({ queue, state }, counts[state] ?? 0);
          }
        } catch (err) {
          // Redis unreachable: the scrape still gives everything PostgreSQL knows; these series are absent.
          ctx.log.debug({ err: (err as Error).message }, 'queue depths unavailable for /metrics');
          this.reset();
        }
      },
    });
    new Gauge({
      name: 'batchcast_realtime_scoring',
      help: "This web process's real-time scoring: processes running (the reserve included), busy, requests waiting for one, processes replaced, models held to be slow.",
      labelNames: ['what'],
      registers: [this.registry],
      collect() {
        this.reset();
        const pool = ctx.jobs.realtime;
        if (!pool) return;
        const { processes, busy, queued, restarts, slowModels } = pool.stats;
        for (const [what, value] of Object.entries({ processes, busy, queued, restarts, slow_models: slowModels }))
          this.set({ what }, value);
      },
    });
  }

  /** The whole exposition, in the Prometheus text format. */
  async render(): Promise<string> {
    const [fromRegistry, snapshot] = await Promise.all([this.registry.metrics(), metricsSnapshot(this.ctx.jobs)]);
    const { jobsByStatus, rows: totals, histograms, maintenance } = snapshot;
    const lines: string[] = [
      '# HELP batchcast_jobs Jobs kept in PostgreSQL, by status (ended jobs are deleted RETENTION_DAYS after they end).',
      '# TYPE batchcast_jobs gauge',
      ...[...new Set([...JOB_STATUSES, ...Object.keys(jobsByStatus)])].map(
        (s) => `batchcast_jobs{status="${escapeLabel(s)}"} ${jobsByStatus[s] ?? 0}`,
      ),
      '# HELP batchcast_maintenance_passes_total Passes of the housekeeping tasks (reconcile, retention) over every worker.',
      '# TYPE batchcast_maintenance_passes_total counter',
      ...maintenance.map((m) => `batchcast_maintenance_passes_total{task="${escapeLabel(m.name)}"} ${m.passes}`),
      '# HELP batchcast_rows_scored_total Rows that got a prediction, over every job since the installation began.',
      '# TYPE batchcast_rows_scored_total counter',
      `batchcast_rows_scored_total ${totals.scored}`,
      '# HELP batchcast_rows_failed_total Rows that could not be scored (a cell that could not be converted), over every job.',
      '# TYPE batchcast_rows_failed_total counter',
      `batchcast_rows_failed_total ${totals.failed}`,
      ...histogram(
        'batchcast_inference_duration_seconds',
        'Seconds of one ONNX Runtime run over a batch of rows (BATCH_ROWS), by model, in every worker.',
        'model',
        histograms.filter((h) => h.metric === 'inference_duration_seconds'),
      ),
      ...histogram(
        'batchcast_job_duration_seconds',
        'Seconds from a job being recorded to its end (queueing, scoring, finalising), by how it ended.',
        'status',
        histograms.filter((h) => h.metric === 'job_duration_seconds'),
      ),
    ];
    return `${fromRegistry.trimEnd()}\n\n${lines.join('\n')}\n`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** A histogram's exposition lines from per-bucket counts (cumulated here, as Prometheus wants them). */
function histogram(name: string, help: string, labelName: string, rows: StoredHistogram[]): string[] {
  const out = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
  for (const h of rows) {
    const label = `${labelName}="${escapeLabel(h.label)}"`;
    let cumulative = 0;
    h.bounds.forEach((bound, i) => {
      cumulative += h.buckets[i] ?? 0;
      out.push(`${name}_bucket{${label},le="${bound}"} ${cumulative}`);
    });
    cumulative += h.buckets[h.bounds.length] ?? 0;
    out.push(`${name}_bucket{${label},le="+Inf"} ${cumulative}`);
    out.push(`${name}_sum{${label}} ${h.sum}`);
    out.push(`${name}_count{${label}} ${h.count}`);
  }
  return out;
}

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
