import type { AdminJob } from '@batchcast/contract';
import { type AdminJobRow, expiresAt } from '@batchcast/jobs';

/** A job as the admin JSON shows it (owner included: admins only). */
export function describeAdminJob(j: AdminJobRow, retentionDays: number): AdminJob {
  return {
    id: j.id,
    status: j.status as AdminJob['status'],
    model: j.model,
    modelVersion: j.modelVersion,
    filename: j.filename,
    email: j.email,
    rowsTotal: j.rowsTotal,
    rowsProcessed: j.rowsProcessed,
    rowsFailed: j.rowsFailed,
    createdAt: j.createdAt.toISOString(),
    startedAt: j.startedAt?.toISOString() ?? null,
    finishedAt: j.finishedAt?.toISOString() ?? null,
    durationSeconds: j.startedAt && j.finishedAt ? (j.finishedAt.getTime() - j.startedAt.getTime()) / 1000 : null,
    expiresAt: expiresAt(j, retentionDays)?.toISOString() ?? null,
    error: j.error,
    schedule: j.schedule,
  };
}
