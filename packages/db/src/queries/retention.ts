import { randomUUID } from 'node:crypto';
import { inTransaction, type Pool } from '../pool.js';

/** A job deleted by the retention sweep, as its tombstone remembers it. */
export interface ExpiredJob {
  id: string;
  tokenHashes: Buffer[];
  finishedAt: Date;
  expiredAt: Date;
  /** Who deleted it: the retention sweep, or its owner (deleteJobByOwner). */
  reason: 'retention' | 'owner';
}

/**
 * Deletes up to `limit` jobs that ended more than `days` days ago, in one statement (so atomically): a
 * tombstone with the job's token hashes is written, its prediction batches deleted, and the job row deleted
 * (its chunks and tokens go with it, ON DELETE CASCADE). Returns the upload files to remove; the caller
 * removes them after the commit. SKIP LOCKED: a job being read or written meanwhile waits for the next pass,
 * and so does one whose results are being downloaded (startDownloadHold).
 */
export async function expireEndedJobs(pool: Pool, days: number, limit: number): Promise<{ id: string; uploadKey: string }[]> {
  const { rows } = await pool.query<{ id: string; uploadKey: string }>(
    `WITH doomed AS (
       SELECT id, finished_at, key_id, rows_total, created_at FROM jobs
       WHERE status IN ('succeeded', 'failed', 'cancelled') AND finished_at < now() - make_interval(days => $1)
         AND NOT EXISTS (SELECT 1 FROM job_downloads d WHERE d.job_id = jobs.id AND d.until > now())
       ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED
     ), tombstones AS (
       INSERT INTO expired_jobs (id, token_hashes, finished_at, key_id, rows_total, created_at)
       SELECT d.id, ARRAY(SELECT t.token_hash FROM job_tokens t WHERE t.job_id = d.id), d.finished_at,
         d.key_id, d.rows_total, d.created_at
       FROM doomed d
       ON CONFLICT (id) DO NOTHING
     ), predictions AS (
       DELETE FROM prediction_batches p USING doomed d WHERE p.job_id = d.id
     )
     DELETE FROM jobs j USING doomed d WHERE j.id = d.id
     RETURNING j.id, j.upload_key AS "uploadKey"`,
    [days, limit],
  );
  return rows;
}

/**
 * Deletes job `id` at its owner's request, whatever its status (the caller has ended it first, so that no
 * chunk can store for it any more): its chunks first, which waits for a chunk being stored at that moment (it
 * holds its chunk row; it then finds the job ended and stores nothing, see storeChunkPredictions) and takes
 * the locks in the chunk store's order (chunk, then job), so the two never deadlock; then its prediction
 * batches (failed rows included), a tombstone (`owner`) with its token hashes, and the job row (tokens,
 * webhook deliveries, download holds and idempotency keys go with it, ON DELETE CASCADE). Returns the upload
 * to remove once committed, or null if there was no such job (deleted already).
 */
export async function deleteJobByOwner(pool: Pool, id: string): Promise<{ uploadKey: string } | null> {
  return inTransaction(pool, async (client) => {
    await client.query('DELETE FROM job_chunks WHERE job_id = $1', [id]);
    await client.query('DELETE FROM prediction_batches WHERE job_id = $1', [id]);
    await client.query(
      `INSERT INTO expired_jobs (id, token_hashes, finished_at, reason, key_id, rows_total, created_at)
       SELECT j.id, ARRAY(SELECT t.token_hash FROM job_tokens t WHERE t.job_id = j.id), coalesce(j.finished_at, now()), 'owner',
         -- a job still receiving its upload was never submitted (keyUsage counts it only while it receives): nor is its tombstone
         CASE WHEN j.status <> 'receiving' THEN j.key_id END, j.rows_total, j.created_at
       FROM jobs j WHERE j.id = $1
       ON CONFLICT (id) DO NOTHING`,
      [id],
    );
    const { rows } = await client.query<{ uploadKey: string }>('DELETE FROM jobs WHERE id = $1 RETURNING upload_key AS "uploadKey"', [id]);
    return rows[0] ?? null;
  });
}

/** The tombstone of a deleted job, or null. */
export async function getExpiredJob(pool: Pool, id: string): Promise<ExpiredJob | null> {
  const { rows } = await pool.query<ExpiredJob>(
    `SELECT id, token_hashes AS "tokenHashes", finished_at AS "finishedAt", expired_at AS "expiredAt", reason FROM expired_jobs WHERE id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

/** Forgets tombstones older than `days` days; their links then answer 404 like any unknown link. */
export async function purgeTombstones(pool: Pool, days: number): Promise<number> {
  const { rowCount } = await pool.query('DELETE FROM expired_jobs WHERE expired_at < now() - make_interval(days => $1)', [days]);
  return rowCount ?? 0;
}

/** Which of these upload keys (paths under DATA_DIR) a job still refers to. */
export async function referencedUploads(pool: Pool, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const { rows } = await pool.query<{ key: string }>('SELECT upload_key AS key FROM jobs WHERE upload_key = ANY($1::text[])', [keys]);
  return new Set(rows.map((r) => r.key));
}

/**
 * Holds a job back from retention while its results are downloaded, for `seconds` from now (renewed with
 * renewDownloadHold while the download goes on, removed by endDownloadHold). Null: the job is gone (deleted by
 * retention before the download could hold it; the insert waits for a sweep deleting it, and sees its outcome).
 */
export async function startDownloadHold(pool: Pool, jobId: string, seconds: number): Promise<string | null> {
  const id = randomUUID();
  try {
    await pool.query(`INSERT INTO job_downloads (id, job_id, until) VALUES ($1, $2, now() + make_interval(secs => $3))`, [
      id,
      jobId,
      seconds,
    ]);
  } catch (err) {
    if ((err as { code?: string }).code === '23503') return null; // foreign key: the job is no more
    throw err;
  }
  return id;
}

/** Renews a hold; false when it is gone: its job was deleted (by its owner: holds go with the job, ON DELETE CASCADE). */
export async function renewDownloadHold(pool: Pool, holdId: string, seconds: number): Promise<boolean> {
  const { rowCount } = await pool.query(`UPDATE job_downloads SET until = now() + make_interval(secs => $2) WHERE id = $1`, [
    holdId,
    seconds,
  ]);
  return rowCount === 1;
}

/** Whether a hold is still there: false once its job has been deleted (the hold goes with it). */
export async function downloadHoldExists(pool: Pool, holdId: string): Promise<boolean> {
  const { rowCount } = await pool.query('SELECT 1 FROM job_downloads WHERE id = $1', [holdId]);
  return rowCount === 1;
}

export async function endDownloadHold(pool: Pool, holdId: string): Promise<void> {
  await pool.query('DELETE FROM job_downloads WHERE id = $1', [holdId]);
}
