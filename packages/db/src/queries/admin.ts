import type { Pool } from '../pool.js';

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

/** The most recent jobs, newest first. */
export async function listRecentJobs(pool: Pool, limit: number): Promise<AdminJobRow[]> {
  const { rows } = await pool.query<AdminJobRow>(`${ADMIN_JOBS} ORDER BY j.created_at DESC LIMIT $1`, [limit]);
  return rows;
}

/** One job as the admin page shows it, or null. */
export async function getAdminJob(pool: Pool, id: string): Promise<AdminJobRow | null> {
  const { rows } = await pool.query<AdminJobRow>(`${ADMIN_JOBS} AND j.id = $1`, [id]);
  return rows[0] ?? null;
}
