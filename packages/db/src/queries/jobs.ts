import type { Pool } from '../pool.js';
import { inTransaction, type PoolClient } from '../pool.js';
import { type KeyUsage, lockKeyUsage } from './api-keys.js';
import { completeIdempotencyKey, type KeyCompletion } from './idempotency.js';

/** `receiving`: recorded while its upload still arrives (migration 013); seen by workers only. */
export type JobStatus = 'receiving' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/**
 * A unit of work as recorded in job_chunks: a byte range of the stored upload (CSV, JSON Lines), or a range
 * of rows (Parquet, whose byte range is unused: 0-0). `firstRow` and `rows` are what every format shares.
 */
export interface ChunkSpec {
  index: number;
  start: number;
  end: number;
  firstRow: number;
  rows: number;
  /** The line of the file at `start`, where the scan knew it (see Chunk.line). */
  line?: number | null | undefined;
}

export interface JobRecord {
  id: string;
  /** Hashes of every token that opens this job. */
  tokenHashes: Buffer[];
  modelId: number;
  status: JobStatus;
  email: string | null;
  filename: string;
  uploadKey: string;
  bytes: number;
  layout: unknown;
  targets: unknown;
  rowsTotal: number;
  rowsProcessed: number;
  rowsFailed: number;
  chunkCount: number;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  notifiedAt: Date | null;
  /** The API key that submitted the job; null for the form, anonymous uploads and scheduled runs. */
  keyId: string | null;
  /** When the deliveries of the job's end event were recorded (see migration 008). */
  eventsRecordedAt: Date | null;
}

const columns = `id, ARRAY(SELECT token_hash FROM job_tokens t WHERE t.job_id = jobs.id) AS "tokenHashes", model_id AS "modelId", status, email, filename,
  upload_key AS "uploadKey", bytes, layout, targets, rows_total AS "rowsTotal", rows_processed AS "rowsProcessed",
  rows_failed AS "rowsFailed", chunk_count AS "chunkCount", error, created_at AS "createdAt",
  started_at AS "startedAt", finished_at AS "finishedAt", notified_at AS "notifiedAt", key_id AS "keyId",
  events_recorded_at AS "eventsRecordedAt"`;

/**
 * The API key a job is recorded for, and its quota check: run inside the insert's transaction with the key's
 * row locked, given the key's usage (this job not counted); it throws to refuse the job.
 */
export interface JobOwner {
  keyId: string;
  /** Rows are counted from here (the start of the quota's day). */
  since: Date;
  check: (usage: KeyUsage) => void;
}

/** What insertJob records: the job's own fields as JobRecord has them, its first token's hash and its chunks. */
export type NewJob = Pick<
  JobRecord,
  'id' | 'modelId' | 'email' | 'filename' | 'uploadKey' | 'bytes' | 'layout' | 'targets' | 'rowsTotal'
> & {
  tokenHash: Buffer;
  chunks: ChunkSpec[];
  /** Recorded while its upload still arrives: `receiving`, with a lease of this many seconds (see receiving-jobs.ts). */
  receivingSeconds?: number;
};

/** Records a job and its chunks in one transaction: PostgreSQL is the source of truth before anything is queued. */
export async function insertJob(pool: Pool, job: NewJob, owner?: JobOwner, key?: KeyCompletion): Promise<void> {
  await inTransaction(pool, async (client) => {
    if (owner) owner.check(await lockKeyUsage(client, owner.keyId, owner.since));
    await client.query(
      `INSERT INTO jobs (id, model_id, status, email, filename, upload_key, bytes, layout, targets, rows_total, chunk_count, key_id, receiving_until)
       VALUES ($1, $2, CASE WHEN $12::int IS NULL THEN 'queued' ELSE 'receiving' END, $3, $4, $5, $6, $7, $8, $9, $10, $11,
               now() + make_interval(secs => $12::int))`,
      [
        job.id,
        job.modelId,
        job.email,
        job.filename,
        job.uploadKey,
        job.bytes,
        JSON.stringify(job.layout),
        JSON.stringify(job.targets),
        job.rowsTotal,
        job.chunks.length,
        owner?.keyId ?? null,
        job.receivingSeconds ?? null,
      ],
    );
    await client.query(`INSERT INTO job_tokens (job_id, token_hash, purpose) VALUES ($1, $2, 'upload')`, [job.id, job.tokenHash]);
    await insertChunks(client, job.id, job.chunks);
    // Not the holder's any more (its lease passed): the job stands all the same, as before keys existed.
    if (key) await completeIdempotencyKey(client, key.scope, key.keyHash, key.holder, key.done);
  });
}

/** One multi-row insert through unnest: a million-row file has only a few dozen chunks, but keep it one round trip. */
export async function insertChunks(client: PoolClient, jobId: string, chunks: ChunkSpec[]): Promise<void> {
  await client.query(
    `INSERT INTO job_chunks (job_id, index, start_byte, end_byte, first_row, rows, start_line)
     SELECT $1, * FROM unnest($2::int[], $3::bigint[], $4::bigint[], $5::bigint[], $6::int[], $7::bigint[])`,
    [
      jobId,
      chunks.map((c) => c.index),
      chunks.map((c) => c.start),
      chunks.map((c) => c.end),
      chunks.map((c) => c.firstRow),
      chunks.map((c) => c.rows),
      chunks.map((c) => c.line ?? null),
    ],
  );
}

export async function getJob(pool: Pool, id: string): Promise<JobRecord | null> {
  const { rows } = await pool.query<JobRecord>(`SELECT ${columns} FROM jobs WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

/** The first chunk to start moves the job from queued to running (a receiving job stays so: see completeReceivingJob). */
export async function markJobRunning(pool: Pool, id: string): Promise<void> {
  await pool.query(
    `UPDATE jobs SET status = CASE WHEN status = 'receiving' THEN status ELSE 'running' END, started_at = coalesce(started_at, now())
     WHERE id = $1 AND status IN ('queued', 'receiving') AND (status = 'queued' OR started_at IS NULL)`,
    [id],
  );
}

/**
 * Ends a job once. Returns false when it had already ended (a finaliser delivered twice, or a job
 * cancelled meanwhile), so the caller does not notify twice. With `receiving`, a job still receiving its upload
 * may be ended too, as cancelled only (its owner cancels or deletes it while the upload arrives).
 */
export async function finishJob(
  pool: Pool,
  id: string,
  outcome: { status: 'succeeded' | 'failed' | 'cancelled'; error: string | null },
  opts: { receiving?: boolean } = {},
): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE jobs SET status = $2, error = $3, finished_at = now(), started_at = coalesce(started_at, now()), receiving_until = NULL
     WHERE id = $1 AND (status IN ('queued', 'running') OR ($4 AND $2 = 'cancelled' AND status = 'receiving'))`,
    [id, outcome.status, outcome.error, opts.receiving === true],
  );
  return rowCount === 1;
}

export async function markNotified(pool: Pool, id: string): Promise<void> {
  await pool.query('UPDATE jobs SET notified_at = now() WHERE id = $1', [id]);
}

/** Jobs PostgreSQL says are not finished: the reconciler makes sure each is queued. */
export async function listUnfinishedJobs(pool: Pool): Promise<{ id: string }[]> {
  const { rows } = await pool.query<{ id: string }>(`SELECT id FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at`);
  return rows;
}

/** Finished jobs whose owner has not been told yet. */
export async function listUnnotifiedJobs(pool: Pool): Promise<{ id: string }[]> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT id FROM jobs WHERE notified_at IS NULL AND email IS NOT NULL AND finished_at IS NOT NULL ORDER BY finished_at`,
  );
  return rows;
}

/** Ended jobs whose end event's deliveries were never recorded (a process died between the two). */
export async function listJobsWithoutEvents(pool: Pool): Promise<{ id: string }[]> {
  const { rows } = await pool.query<{ id: string }>(
    'SELECT id FROM jobs WHERE finished_at IS NOT NULL AND events_recorded_at IS NULL ORDER BY finished_at LIMIT 1000',
  );
  return rows;
}

/** Where a page of a key's jobs starts: after this job (its listed_at as PostgreSQL prints it, to the microsecond). */
export interface JobCursor {
  createdAt: string;
  id: string;
}

/**
 * A page of the jobs a key submitted, newest first, after `after` (keyset pagination: stable while jobs are
 * added, and as fast on the last page as on the first). `cursor` is where the next page starts, null at the end.
 * Newest by when each job was listed (`listed_at`, migration 019). An upload scored while it arrives is listed
 * `receiving` from its first chunk, and keeps that place when it ends: moved to the top then, it would come
 * before jobs listed meanwhile, and a client reading the list until the first job it knows would stop at it and
 * never see them.
 */
export async function listKeyJobs(
  pool: Pool,
  keyId: string,
  opts: { limit: number; after: JobCursor | null; status: JobStatus | null; retentionDays: number },
): Promise<{ jobs: JobRecord[]; cursor: JobCursor | null }> {
  // Not a job past its deletion time (RETENTION_DAYS after its end) that the sweep has not reached yet: gone to its links.
  const { rows } = await pool.query<JobRecord & { cursorAt: string }>(
    `SELECT ${columns}, listed_at::text AS "cursorAt" FROM jobs
     WHERE key_id = $1 AND ($2::timestamptz IS NULL OR (listed_at, id) < ($2::timestamptz, $3::uuid)) AND ($4::text IS NULL OR status = $4)
       AND (finished_at IS NULL OR finished_at > now() - make_interval(days => $6))
     ORDER BY listed_at DESC, id DESC LIMIT $5`,
    [keyId, opts.after?.createdAt ?? null, opts.after?.id ?? null, opts.status, opts.limit + 1, opts.retentionDays],
  );
  const page = rows.slice(0, opts.limit);
  const last = page[page.length - 1];
  const cursor = rows.length > opts.limit && last ? { createdAt: last.cursorAt, id: last.id } : null;
  return { jobs: page.map(({ cursorAt: _, ...job }) => job), cursor };
}

/** Adds another token (by its hash) that opens the job: each email carries its own. */
export async function addJobToken(pool: Pool, jobId: string, tokenHash: Buffer, purpose: 'upload' | 'email' | 'admin'): Promise<void> {
  await pool.query('INSERT INTO job_tokens (job_id, token_hash, purpose) VALUES ($1, $2, $3)', [jobId, tokenHash, purpose]);
}

/** What a token of a job (by its hash) was made for: `upload` (for a key's job, derived from the key), `email`, `webhook`, `admin`; null: none. */
export async function jobTokenPurpose(pool: Pool, jobId: string, tokenHash: Buffer): Promise<string | null> {
  const { rows } = await pool.query<{ purpose: string }>('SELECT purpose FROM job_tokens WHERE job_id = $1 AND token_hash = $2 LIMIT 1', [
    jobId,
    tokenHash,
  ]);
  return rows[0]?.purpose ?? null;
}

/**
 * Jobs that asked to email this mailbox in the last `minutes` minutes: `mailbox` is the address lower-cased
 * with its `+tag` removed (`mailboxOf` in @batchcast/jobs), compared with the same expression of each job's
 * address (indexed by migration 017).
 */
export async function countRecentJobsForMailbox(pool: Pool, mailbox: string, minutes: number): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM jobs
      WHERE lower(regexp_replace(email, '\\+[^@]*@', '@')) = $1 AND email IS NOT NULL AND created_at > now() - make_interval(mins => $2)`,
    [mailbox, minutes],
  );
  return rows[0]?.n ?? 0;
}
