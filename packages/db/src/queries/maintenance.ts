import type { Pool } from '../pool.js';

export interface MaintenancePass {
  name: string;
  passes: number;
  lastFinishedAt: Date | null;
  lastResult: unknown;
}

/** Counts one finished pass of a housekeeping task (reconciler, retention sweep) and keeps what it did. */
export async function recordMaintenancePass(pool: Pool, name: string, result: unknown): Promise<void> {
  await pool.query(
    `INSERT INTO maintenance_passes (name, passes, last_finished_at, last_result) VALUES ($1, 1, now(), $2)
     ON CONFLICT (name) DO UPDATE SET passes = maintenance_passes.passes + 1, last_finished_at = now(), last_result = $2`,
    [name, JSON.stringify(result ?? null)],
  );
}

export async function readMaintenancePasses(pool: Pool): Promise<MaintenancePass[]> {
  const { rows } = await pool.query<MaintenancePass>(
    `SELECT name, passes, last_finished_at AS "lastFinishedAt", last_result AS "lastResult" FROM maintenance_passes ORDER BY name`,
  );
  return rows;
}
