import type { Pool } from '../pool.js';

export interface ChunkRecord {
  jobId: string;
  index: number;
  start: number;
  end: number;
  firstRow: number;
  rows: number;
  /** The line of the file at `start`, where the scan knew it (null: counted when needed). */
  line: number | null;
  done: boolean;
  processed: number;
  failed: number;
  attempts: number;
  error: string | null;
  /**
   * The header columns where scoring found a cell a number input read as a true/false word, stored with the chunk's
   * predictions (PredictionRows.booleanWordColumns); null when not recorded: not scored yet, scored before migration
   * 032, or read by another reader than the CSV one (JSON Lines, Parquet).
   */
  booleanWordColumns: number[] | null;
}

const columns = `job_id AS "jobId", index, start_byte AS "start", end_byte AS "end", first_row AS "firstRow", rows, start_line::float8 AS "line", done,
  processed, failed, attempts, error, boolean_word_columns AS "booleanWordColumns"`;

export async function getChunk(pool: Pool, jobId: string, index: number): Promise<ChunkRecord | null> {
  const { rows } = await pool.query<ChunkRecord>(`SELECT ${columns} FROM job_chunks WHERE job_id = $1 AND index = $2`, [jobId, index]);
  return rows[0] ?? null;
}

export async function listChunks(pool: Pool, jobId: string): Promise<ChunkRecord[]> {
  const { rows } = await pool.query<ChunkRecord>(`SELECT ${columns} FROM job_chunks WHERE job_id = $1 ORDER BY index`, [jobId]);
  return rows;
}

/** Counts failed attempt `attempt` at a chunk (once, however often it is recorded), with why it failed. */
export async function recordChunkAttempt(pool: Pool, jobId: string, index: number, attempt: number, error: string | null): Promise<void> {
  await pool.query(
    `UPDATE job_chunks SET attempts = greatest(attempts, $4), error = coalesce($3, error) WHERE job_id = $1 AND index = $2`,
    [jobId, index, error, attempt],
  );
}

/**
 * recordChunkAttempt for a chunk whose scoring thread is stuck (a model run that never returns): that thread's
 * transaction holds the chunk's row (storeChunkPredictions locks it) and, its thread never running JavaScript
 * again, would hold it until its process ends. So the session that blocks this update (the chunk's own
 * transaction, mid-COPY: only a delivery of this chunk locks its row, and this one is held by this worker) is
 * ended, PostgreSQL rolls back what it stored, and the update goes through.
 */
export async function recordStuckChunkAttempt(pool: Pool, jobId: string, index: number, attempt: number, error: string): Promise<void> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const pid = rows[0]!.pid;
    let updated = false;
    const update = client
      .query(`UPDATE job_chunks SET attempts = greatest(attempts, $4), error = $3 WHERE job_id = $1 AND index = $2`, [
        jobId,
        index,
        error,
        attempt,
      ])
      .finally(() => {
        updated = true;
      });
    while (!updated) {
      await pool.query('SELECT pg_terminate_backend(blocker) FROM unnest(pg_blocking_pids($1)) AS blocker', [pid]);
      await Promise.race([update.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 200))]);
    }
    await update;
  } finally {
    client.release();
  }
}
