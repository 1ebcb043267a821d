import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { expireEndedJobs, inTransaction, purgeTombstones, referencedUploads } from '@batchcast/db';
import type { WorkerContext } from './context.js';
import { startPeriodic } from './periodic.js';

// Any fixed number; one sweep at a time across every worker on every host.
const RETENTION_LOCK = 0x6263_7274;
const BATCH = 100;
/** Tombstones (id + token hashes, so an old link answers 410 rather than 404) are kept this long. */
const TOMBSTONE_DAYS = 365;
/** An upload file no job refers to and this old is left over from a crash mid-upload or mid-sweep. */
const ORPHAN_UPLOAD_MS = 24 * 3600_000;

/**
 * Retention: a job's data is deleted RETENTION_DAYS after it ended — the upload, its predictions, chunks,
 * tokens and the job row — leaving a tombstone so its links answer 410 Gone. Also removes upload files no
 * job refers to (a crash between the delete and the file removal, or mid-upload) and old development-outbox
 * messages (they hold job links).
 *
 * Why a timer in the workers under a PostgreSQL advisory lock (like the reconciler) rather than a BullMQ
 * repeatable job: the rule is about PostgreSQL rows and the upload files workers already read, so no Redis
 * state is needed; a repeatable job would vanish with Redis's data and have to be re-created by someone,
 * while a timer in every worker process keeps running, and the lock makes one of them do the work.
 */
export async function sweepOnce(ctx: WorkerContext): Promise<{ jobs: number; files: number } | null> {
  return inTransaction(ctx.pool, async (client) => {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [RETENTION_LOCK]);
    if (!rows[0]?.locked) return null;
    const days = ctx.config.storage.retentionDays;
    let jobs = 0;
    let files = 0;
    for (;;) {
      const expired = await expireEndedJobs(ctx.pool, days, BATCH);
      for (const job of expired) if (await removeUpload(ctx, job.uploadKey)) files++;
      jobs += expired.length;
      if (expired.length)
        ctx.log.info({ jobs: expired.map((j) => j.id) }, `deleted ${expired.length} job(s) ended more than ${days} days ago`);
      if (expired.length < BATCH) break;
    }
    files += await removeOrphanUploads(ctx);
    await removeOldOutbox(ctx, days);
    await purgeTombstones(ctx.pool, TOMBSTONE_DAYS);
    return { jobs, files };
  });
}

/** Removes an upload through the blob store it lives in (BLOB_STORE). */
async function removeUpload(ctx: WorkerContext, key: string): Promise<boolean> {
  try {
    await ctx.blobs.delete(key);
    return true;
  } catch (err) {
    ctx.log.warn({ key, err: (err as Error).message }, 'could not remove an expired upload');
    return false;
  }
}

async function removeOrphanUploads(ctx: WorkerContext): Promise<number> {
  const dir = path.join(ctx.config.storage.dataDir, 'uploads');
  const names = await readdir(dir).catch(() => [] as string[]);
  const old: string[] = [];
  for (const name of names) {
    const s = await stat(path.join(dir, name)).catch(() => null);
    if (s?.isFile() && Date.now() - s.mtimeMs > ORPHAN_UPLOAD_MS) old.push(path.join('uploads', name));
  }
  if (old.length === 0) return 0;
  const used = await referencedUploads(ctx.pool, old);
  let removed = 0;
  for (const key of old) {
    if (used.has(key)) continue;
    await rm(path.join(ctx.config.storage.dataDir, key), { force: true });
    removed++;
  }
  if (removed) ctx.log.info({ removed }, 'removed upload files no job refers to');
  return removed;
}

async function removeOldOutbox(ctx: WorkerContext, days: number): Promise<void> {
  const dir = path.join(ctx.config.storage.dataDir, 'outbox');
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const file = path.join(dir, name);
    const s = await stat(file).catch(() => null);
    if (s?.isFile() && Date.now() - s.mtimeMs > days * 24 * 3600_000) await rm(file, { force: true });
  }
}

/** Runs sweepOnce soon after start and then every RETENTION_SWEEP_INTERVAL_MS until stopped. */
export function startRetentionSweeper(ctx: WorkerContext): { stop: () => Promise<void> } {
  const intervalMs = ctx.config.storage.retentionSweepIntervalMs;
  return startPeriodic(() => sweepOnce(ctx), {
    intervalMs,
    firstDelayMs: Math.min(intervalMs, 30_000),
    log: ctx.log,
    failure: 'retention sweep failed; will try again',
  });
}
