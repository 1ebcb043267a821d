/**
 * When a job's data is deleted: RETENTION_DAYS after it ended (the retention sweep, which runs every
 * RETENTION_SWEEP_INTERVAL_MS, deletes it at its first pass after that). Null while it runs: the clock
 * starts when it ends.
 */
export function expiresAt(job: { finishedAt: Date | null }, retentionDays: number): Date | null {
  return job.finishedAt ? new Date(job.finishedAt.getTime() + retentionDays * 24 * 3600_000) : null;
}
