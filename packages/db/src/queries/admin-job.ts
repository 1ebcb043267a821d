import type { Pool } from '../pool.js';
import type { AdminJobRow } from './admin.js';

/** One job as the admin page shows it, or null. */
export async function getAdminJob(pool: Pool, id: string): Promise<AdminJobRow | null> {
  const { rows } = await pool.query<AdminJobRow>(
    `SELECT j.id, j.status, m.name AS model, m.version AS "modelVersion", j.filename, j.email,
       j.rows_total AS "rowsTotal", j.rows_processed AS "rowsProcessed", j.rows_failed AS "rowsFailed",
       j.created_at AS "createdAt", j.started_at AS "startedAt", j.finished_at AS "finishedAt", j.error,
       r.schedule_name AS schedule
     FROM jobs j JOIN models m ON m.id = j.model_id LEFT JOIN schedule_runs r ON r.job_id = j.id
     WHERE j.id = $1`,
    [id],
  );
  return rows[0] ?? null;
}
