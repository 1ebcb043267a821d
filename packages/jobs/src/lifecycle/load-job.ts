import { getJob, type Pool } from '@batchcast/db';
import { type Job, jobFromRecord } from '../records.js';

/** The job as the domain sees it (layout and targets parsed), or null when there is none. */
export async function loadJob(pool: Pool, id: string): Promise<Job | null> {
  const row = await getJob(pool, id);
  return row ? jobFromRecord(row) : null;
}
