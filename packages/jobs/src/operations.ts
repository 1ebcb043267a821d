import {
  type AdminJobRow,
  countJobsByStatus,
  type JobCursor,
  listAdminJobs,
  type MaintenancePass,
  pingDatabase,
  readHistograms,
  readMaintenancePasses,
  readRowTotals,
  type StoredHistogram,
} from '@batchcast/db';
import type { JobsContext } from './context.js';

/** What operators see: a page of jobs with their owners, newest first, maybe those matching a search (admins only; never logged). */
export function adminJobList(
  ctx: JobsContext,
  opts: { limit: number; before: JobCursor | null; search: string | null },
): Promise<{ jobs: AdminJobRow[]; next: JobCursor | null }> {
  return listAdminJobs(ctx.pool, opts);
}

export interface MetricsSnapshot {
  jobsByStatus: Record<string, number>;
  rows: { scored: number; failed: number };
  histograms: StoredHistogram[];
  maintenance: MaintenancePass[];
}

/**
 * The counters /metrics exposes. They are kept by PostgreSQL (migration 005's triggers and observations),
 * not in process memory: workers are separate processes on any number of hosts that restart at will.
 */
export async function metricsSnapshot(ctx: JobsContext): Promise<MetricsSnapshot> {
  const [jobsByStatus, rows, histograms, maintenance] = await Promise.all([
    countJobsByStatus(ctx.pool),
    readRowTotals(ctx.pool),
    readHistograms(ctx.pool),
    readMaintenancePasses(ctx.pool),
  ]);
  return { jobsByStatus, rows, histograms, maintenance };
}

/** Resolves when PostgreSQL answers within the timeout. */
export function checkDatabase(ctx: JobsContext, timeoutMs?: number): Promise<void> {
  return pingDatabase(ctx.pool, timeoutMs);
}

export type { AdminJobRow, MaintenancePass, StoredHistogram };
