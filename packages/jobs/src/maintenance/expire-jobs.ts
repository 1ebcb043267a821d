import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  deleteRemovedModelFiles,
  expireEndedJobs,
  purgeIdempotencyKeys,
  purgeLinkRequests,
  purgeTombstones,
  recordMaintenancePass,
  referencedUploads,
  withAdvisoryLock,
} from '@batchcast/db';
import { outboxDir } from '@batchcast/mail';
import type { JobsContext } from '../context.js';
import { IDEMPOTENCY_RETENTION_HOURS } from '../idempotency/key-claims.js';

const BATCH = 100;
/** Tombstones (id + token hashes, so an old link answers 410 rather than 404) are kept this long. */
const TOMBSTONE_DAYS = 365;
/** An upload no job refers to and this old is left over from a crash mid-upload or mid-sweep. */
const ORPHAN_UPLOAD_MS = 24 * 3600_000;
/**
 * A removed model version's files are deleted this long after its removal at the earliest (and only once no
 * job refers to it): a job whose model was resolved just before the removal may still be on its way in.
 */
export const REMOVED_MODEL_GRACE_HOURS = 24;

export interface ExpiryPass {
  jobs: number;
  uploads: number;
  orphans: number;
}

/**
 * Retention: a job's data is deleted RETENTION_DAYS after it ended — the upload, its predictions, chunks,
 * tokens and the job row — leaving a tombstone so its links answer 410 Gone. Also removes uploads no job
 * refers to (a crash between the delete and the blob removal, or mid-upload), in whichever blob store they
 * live, and old development-outbox messages (they hold job links).
 *
 * Every worker process runs this on a timer; the advisory lock makes one of them do the work, and a pass
 * another process holds returns null. Each pass is recorded in maintenance_passes.
 */
export async function expireJobs(ctx: JobsContext): Promise<ExpiryPass | null> {
  const result = await withAdvisoryLock(ctx.pool, 'retention', async () => {
    const days = ctx.config.storage.retentionDays;
    const pass: ExpiryPass = { jobs: 0, uploads: 0, orphans: 0 };
    for (;;) {
      const expired = await expireEndedJobs(ctx.pool, days, BATCH);
      for (const job of expired) if (await removeUpload(ctx, job.uploadKey)) pass.uploads++;
      pass.jobs += expired.length;
      if (expired.length)
        ctx.log.info({ jobs: expired.map((j) => j.id) }, `deleted ${expired.length} job(s) ended more than ${days} days ago`);
      if (expired.length < BATCH) break;
    }
    pass.orphans = await ctx.blobs.sweepOrphans({
      prefix: 'uploads/',
      olderThanMs: ORPHAN_UPLOAD_MS,
      referenced: (keys) => referencedUploads(ctx.pool, keys),
    });
    if (pass.orphans) ctx.log.info({ removed: pass.orphans }, 'removed uploads no job refers to');
    const modelFiles = await deleteRemovedModelFiles(ctx.pool, REMOVED_MODEL_GRACE_HOURS);
    if (modelFiles.length)
      ctx.log.info({ models: modelFiles.map((m) => `${m.name}@${m.version}`) }, 'deleted the files of removed model versions no job uses');
    await removeOldOutbox(ctx, days);
    await purgeTombstones(ctx.pool, TOMBSTONE_DAYS);
    // "Email me my links" requests: the rate limit counts the last hour; a day is plenty.
    await purgeLinkRequests(ctx.pool, 24);
    // Idempotency keys are remembered a day after their job was made (their job's deletion takes them sooner).
    await purgeIdempotencyKeys(ctx.pool, IDEMPOTENCY_RETENTION_HOURS);
    return pass;
  });
  if (result) await recordMaintenancePass(ctx.pool, 'retention', result);
  return result;
}

async function removeUpload(ctx: JobsContext, key: string): Promise<boolean> {
  try {
    await ctx.blobs.delete(key);
    return true;
  } catch (err) {
    ctx.log.warn({ key, err: (err as Error).message }, 'could not remove an expired upload');
    return false;
  }
}

async function removeOldOutbox(ctx: JobsContext, days: number): Promise<void> {
  const dir = outboxDir(ctx.config.storage.dataDir);
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const file = path.join(dir, name);
    const s = await stat(file).catch(() => null);
    if (s?.isFile() && Date.now() - s.mtimeMs > days * 24 * 3600_000) await rm(file, { force: true });
  }
}
