import { inTransaction, type Pool } from '../pool.js';

/** A scheduled batch run, as PostgreSQL (its source of truth) holds it. */
export interface ScheduleRecord {
  name: string;
  source: string;
  model: string;
  cron: string;
  timezone: string | null;
  email: string;
  attempts: number;
  /**
   * How its source is read, when detection is not enough: the upload's reading options as the domain takes them
   * (@batchcast/jobs' UploadChoices: `delimiter`, `decimal`, `encoding`, `sheet`, `header`); `{}` detects everything.
   */
  reading: ScheduleReading;
  createdAt: Date;
}

/** A schedule's reading options, as stored (jsonb): each a value the upload form takes, already checked. */
export interface ScheduleReading {
  delimiter?: ',' | ';' | '\t' | '|' | undefined;
  decimal?: '.' | ',' | undefined;
  encoding?: string | undefined;
  sheet?: string | undefined;
  header?: 'none' | undefined;
}

/** A schedule and what its runs did: how many jobs it made, and the latest one. */
export interface ScheduleWithRuns extends ScheduleRecord {
  runs: number;
  lastRun: { jobId: string; status: string; createdAt: Date; error: string | null } | null;
}

const columns = `name, source, model, cron, timezone, email, attempts, reading, created_at AS "createdAt"`;

/** Adds a schedule; null when the name is taken. */
export async function insertSchedule(pool: Pool, s: Omit<ScheduleRecord, 'createdAt'>): Promise<ScheduleRecord | null> {
  const { rows } = await pool.query<ScheduleRecord>(
    `INSERT INTO schedules (name, source, model, cron, timezone, email, attempts, reading) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (name) DO NOTHING RETURNING ${columns}`,
    [s.name, s.source, s.model, s.cron, s.timezone, s.email, s.attempts, JSON.stringify(s.reading)],
  );
  return rows[0] ?? null;
}

export async function getSchedule(pool: Pool, name: string): Promise<ScheduleRecord | null> {
  const { rows } = await pool.query<ScheduleRecord>(`SELECT ${columns} FROM schedules WHERE name = $1`, [name]);
  return rows[0] ?? null;
}

export async function listSchedules(pool: Pool): Promise<ScheduleRecord[]> {
  const { rows } = await pool.query<ScheduleRecord>(`SELECT ${columns} FROM schedules ORDER BY name`);
  return rows;
}

/**
 * Every schedule with its number of runs and its latest run's job. A run's record outlives its job (no foreign
 * key since migration 029): a deleted job still counts as a run made, and a latest run deleted says `deleted`.
 */
export async function listSchedulesWithRuns(pool: Pool): Promise<ScheduleWithRuns[]> {
  const { rows } = await pool.query<
    ScheduleRecord & { runs: number; lastJobId: string | null; lastStatus: string | null; lastAt: Date | null; lastError: string | null }
  >(
    `SELECT s.name, s.source, s.model, s.cron, s.timezone, s.email, s.attempts, s.reading, s.created_at AS "createdAt",
       (SELECT count(*) FROM schedule_runs r WHERE r.schedule_name = s.name)::int AS runs,
       l.job_id AS "lastJobId", CASE WHEN j.id IS NULL THEN 'deleted' ELSE j.status END AS "lastStatus",
       coalesce(j.created_at, e.created_at, l.created_at) AS "lastAt", j.error AS "lastError"
     FROM schedules s
     LEFT JOIN LATERAL (
       SELECT job_id, created_at FROM schedule_runs r WHERE r.schedule_name = s.name ORDER BY r.created_at DESC LIMIT 1
     ) l ON true
     LEFT JOIN jobs j ON j.id = l.job_id
     LEFT JOIN expired_jobs e ON e.id = l.job_id
     ORDER BY s.name`,
  );
  return rows.map(({ lastJobId, lastStatus, lastAt, lastError, ...s }) => ({
    ...s,
    lastRun: lastJobId ? { jobId: lastJobId, status: lastStatus!, createdAt: lastAt!, error: lastError } : null,
  }));
}

/**
 * Whether the schedule a run read at its start is still there: the same one, not one deleted and made again under
 * its name since (their `created_at` differ; compared to the millisecond, all a JS Date keeps). In a transaction it
 * is held (FOR KEY SHARE) until the commit, so a DELETE of it waits for that commit: a run that checks it and then
 * records its job in the same transaction makes its job either before the schedule is deleted or not at all.
 */
export async function holdSameSchedule(pool: Pool, s: { name: string; createdAt: Date }): Promise<boolean> {
  const { rowCount } = await pool.query(
    `SELECT 1 FROM schedules WHERE name = $1 AND date_trunc('milliseconds', created_at) = $2 FOR KEY SHARE`,
    [s.name, s.createdAt],
  );
  return rowCount === 1;
}

/** Removes a schedule; false when there was none. Its runs' jobs stay until retention deletes them. */
export async function deleteSchedule(pool: Pool, name: string): Promise<boolean> {
  const { rowCount } = await pool.query('DELETE FROM schedules WHERE name = $1', [name]);
  return rowCount === 1;
}

/** The name of the schedule whose run made this job, or null (an upload, or a run not recorded yet). */
export async function scheduleOfJob(pool: Pool, jobId: string): Promise<string | null> {
  const { rows } = await pool.query<{ name: string }>('SELECT schedule_name AS name FROM schedule_runs WHERE job_id = $1', [jobId]);
  return rows[0]?.name ?? null;
}

/** Notes that a schedule's run made this job (idempotent: a redelivered run records nothing twice). */
export async function recordScheduleRun(pool: Pool, run: { jobId: string; schedule: string; runKey: string }): Promise<void> {
  await pool.query('INSERT INTO schedule_runs (job_id, schedule_name, run_key) VALUES ($1, $2, $3) ON CONFLICT (job_id) DO NOTHING', [
    run.jobId,
    run.schedule,
    run.runKey,
  ]);
}

/**
 * Records a scheduled run that could not make a job (its source unreadable, not a CSV, missing columns...)
 * as a job that failed at once, with the reason: the owner then gets the normal job email and page, and the
 * admin page lists it. Already there (a redelivered run): nothing changes. Returns whether it was added.
 */
export async function insertFailedRunJob(
  pool: Pool,
  job: { id: string; modelId: number; email: string; filename: string; uploadKey: string; error: string; schedule: string; runKey: string },
): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    const { rowCount } = await client.query(
      `INSERT INTO jobs (id, model_id, status, email, filename, upload_key, bytes, layout, targets, rows_total, chunk_count, error, started_at, finished_at)
       VALUES ($1, $2, 'failed', $3, $4, $5, 0, $6, '[]', 0, 0, $7, now(), now())
       ON CONFLICT (id) DO NOTHING`,
      [
        job.id,
        job.modelId,
        job.email,
        job.filename,
        job.uploadKey,
        JSON.stringify({ header: [], bom: false, newline: '\n', dataStart: 0 }),
        job.error,
      ],
    );
    if (rowCount !== 1) return false;
    await client.query('INSERT INTO schedule_runs (job_id, schedule_name, run_key) VALUES ($1, $2, $3) ON CONFLICT (job_id) DO NOTHING', [
      job.id,
      job.schedule,
      job.runKey,
    ]);
    return true;
  });
}
