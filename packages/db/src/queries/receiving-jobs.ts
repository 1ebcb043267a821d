import type { Pool } from '../pool.js';
import { inTransaction } from '../pool.js';
import { lockKeyUsage } from './api-keys.js';
import { completeIdempotencyKey, type KeyCompletion } from './idempotency.js';
import { type ChunkSpec, insertChunks, type JobOwner } from './jobs.js';

/**
 * A job scored while its upload arrives (migration 013): recorded `receiving` by insertJob (`receivingSeconds`),
 * its chunks added as they are stored, then completed, or removed when the upload fails or its lease passes.
 * Every change holds only while the job is still receiving, so a job removed meanwhile is never touched again.
 */

/** Adds chunks stored since the last call, counts their rows, and renews the lease. False: the job is no longer receiving. */
export async function appendReceivedChunks(pool: Pool, jobId: string, chunks: ChunkSpec[], leaseSeconds: number): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    const { rowCount } = await client.query(
      `UPDATE jobs SET chunk_count = chunk_count + $2, rows_total = rows_total + $3, receiving_until = now() + make_interval(secs => $4)
       WHERE id = $1 AND status = 'receiving'`,
      [jobId, chunks.length, chunks.reduce((n, c) => n + c.rows, 0), leaseSeconds],
    );
    if (rowCount !== 1) return false;
    if (chunks.length > 0) await insertChunks(client, jobId, chunks);
    return true;
  });
}

/** Renews the lease while the web process receives the upload. False: the job is no longer receiving. */
export async function renewReceivingLease(pool: Pool, jobId: string, leaseSeconds: number): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE jobs SET receiving_until = now() + make_interval(secs => $2) WHERE id = $1 AND status = 'receiving'`,
    [jobId, leaseSeconds],
  );
  return rowCount === 1;
}

/**
 * The upload has ended: the job's size and rows are known (its chunks all recorded) and it becomes queued (running, if a chunk has started), with
 * the key's quota checked as insertJob does, on the rows now known: the usage leaves this job out (it counts
 * against the key from the moment it was recorded, but not against itself: it holds its own slot). False:
 * the job is no longer receiving (its lease passed).
 */
export async function completeReceivingJob(
  pool: Pool,
  jobId: string,
  upload: { bytes: number; rows: number; chunks: number },
  owner?: JobOwner,
  key?: KeyCompletion,
): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    if (owner) owner.check(await lockKeyUsage(client, owner.keyId, owner.since, jobId));
    const { rowCount } = await client.query(
      `UPDATE jobs SET status = CASE WHEN started_at IS NULL THEN 'queued' ELSE 'running' END, bytes = $2, rows_total = $3,
         chunk_count = $4, receiving_until = NULL
       WHERE id = $1 AND status = 'receiving'`,
      [jobId, upload.bytes, upload.rows, upload.chunks],
    );
    // The submission's idempotency key is completed with the job, in its transaction (see KeyCompletion).
    if (rowCount === 1 && key) await completeIdempotencyKey(client, key.scope, key.keyHash, key.holder, key.done);
    return rowCount === 1;
  });
}

/**
 * Removes a job whose upload failed, with its chunks and tokens (cascade) and its predictions. False: it was not
 * receiving. The job's chunk rows are locked first, as a chunk being stored locks its own before it touches the
 * job's row (its predictions' foreign key, its counts): deleting the job row first would hold that row while
 * the cascade waits for the chunk, and the chunk wait for the row, a deadlock (seen with several chunks scored at
 * once). So a chunk being stored is waited for; the predictions are deleted after, by a statement that sees
 * them. A chunk stored later finds no chunk row and stores nothing.
 */
export async function deleteReceivingJob(pool: Pool, jobId: string): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT 1 FROM job_chunks WHERE job_id = $1 ORDER BY index FOR UPDATE', [jobId]);
    const { rowCount } = await client.query(`DELETE FROM jobs WHERE id = $1 AND status = 'receiving'`, [jobId]);
    if (rowCount !== 1) return false;
    await client.query('DELETE FROM prediction_batches WHERE job_id = $1', [jobId]);
    return true;
  });
}

/** Receiving jobs whose lease has passed: their upload will never end (the web process died). */
export async function listLapsedReceivingJobs(pool: Pool): Promise<{ id: string; uploadKey: string }[]> {
  const { rows } = await pool.query<{ id: string; uploadKey: string }>(
    `SELECT id, upload_key AS "uploadKey" FROM jobs WHERE status = 'receiving' AND receiving_until < now() ORDER BY receiving_until`,
  );
  return rows;
}
