import type { Pool } from '../pool.js';
import type { JobCursor } from './jobs.js';

/** A job as the admin page lists it (owner address included: admins may see it; never log it). */
export interface AdminJobRow {
  id: string;
  status: string;
  model: string;
  modelVersion: number;
  filename: string;
  email: string | null;
  rowsTotal: number;
  rowsProcessed: number;
  rowsFailed: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
  schedule: string | null;
}

/**
 * The jobs the admin page lists, as it shows them (not those still receiving their upload: see migration 013);
 * callers add the conditions (AND ...) and ORDER BY they need.
 */
const ADMIN_JOBS = `SELECT j.id, j.status, m.name AS model, m.version AS "modelVersion", j.filename, j.email,
       j.rows_total AS "rowsTotal", j.rows_processed AS "rowsProcessed", j.rows_failed AS "rowsFailed",
       j.created_at AS "createdAt", j.started_at AS "startedAt", j.finished_at AS "finishedAt", j.error,
       r.schedule_name AS schedule
     FROM jobs j JOIN models m ON m.id = j.model_id LEFT JOIN schedule_runs r ON r.job_id = j.id
     WHERE j.status <> 'receiving'`;

/**
 * A page of jobs, newest first, after `before` (keyset pagination: stable while jobs are added), those matching
 * `search` only when it is given: the start of a job's id, its owner's address (whole, any case), a part of its
 * file name (any case), or its model's name. `next` is where the following page starts, null on the last.
 */
export async function listAdminJobs(
  pool: Pool,
  opts: { limit: number; before: JobCursor | null; search: string | null },
): Promise<{ jobs: AdminJobRow[]; next: JobCursor | null }> {
  // LIKE's own characters in what was typed are meant as themselves: "report_1" is not "report" + any + "1".
  const like = opts.search?.replace(/[\\%_]/g, (c) => `\\${c}`) ?? null;
  const { rows } = await pool.query<AdminJobRow & { cursorAt: string }>(
    `SELECT *, "createdAt"::text AS "cursorAt" FROM (${ADMIN_JOBS}
       AND ($1::timestamptz IS NULL OR (j.created_at, j.id) < ($1::timestamptz, $2::uuid))
       AND ($3::text IS NULL OR j.id::text LIKE lower($3) || '%' OR lower(j.email) = lower($4) OR j.filename ILIKE '%' || $3 || '%' OR m.name = $4)
     ) listed
     ORDER BY "createdAt" DESC, id DESC LIMIT $5`,
    [opts.before?.createdAt ?? null, opts.before?.id ?? null, like, opts.search, opts.limit + 1],
  );
  const page = rows.slice(0, opts.limit);
  const last = page[page.length - 1];
  const next = rows.length > opts.limit && last ? { createdAt: last.cursorAt, id: last.id } : null;
  return { jobs: page.map(({ cursorAt: _, ...job }) => job), next };
}

/** One job as the admin page shows it, or null. */
export async function getAdminJob(pool: Pool, id: string): Promise<AdminJobRow | null> {
  const { rows } = await pool.query<AdminJobRow>(`${ADMIN_JOBS} AND j.id = $1`, [id]);
  return rows[0] ?? null;
}
