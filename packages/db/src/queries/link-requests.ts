import type { Pool } from '../pool.js';
import { inTransaction } from '../pool.js';

/** A job as a "my links" message lists it. */
export interface OwnedJobRow {
  id: string;
  status: string;
  filename: string;
  model: string;
  modelVersion: number;
  rowsTotal: number;
  rowsProcessed: number;
  rowsFailed: number;
  createdAt: Date;
  finishedAt: Date | null;
}

/**
 * Records a request for an address's links (`addressKey`: the sha256 of its mailbox). One for the same address still
 * waiting to be sent (younger than `pendingMinutes`, the window in which the reconciler queues it again) will list
 * the same jobs: this one is then recorded as handled already, with no address, so that it counts towards the
 * address's limit but a double click, or a script asking six times at once, sends one email rather than six. True
 * when it is to be sent. Under a lock on the address, so that requests arriving together cannot each see none waiting.
 */
export async function insertLinkRequest(
  pool: Pool,
  request: { id: string; email: string; addressKey: Buffer },
  pendingMinutes: number,
): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('link-request:' || encode($1, 'hex')))", [request.addressKey]);
    const { rows } = await client.query<{ send: boolean }>(
      `INSERT INTO link_requests (id, email, address_key, handled_at)
       SELECT $1, CASE WHEN waiting THEN NULL ELSE $2 END, $3, CASE WHEN waiting THEN now() END
       FROM (SELECT EXISTS (
         SELECT 1 FROM link_requests WHERE address_key = $3 AND handled_at IS NULL AND requested_at > now() - make_interval(mins => $4)
       ) AS waiting) AS w
       RETURNING handled_at IS NULL AS send`,
      [request.id, request.email, request.addressKey, pendingMinutes],
    );
    return rows[0]!.send;
  });
}

/** Requests for this address in the last `minutes` minutes (whether it has jobs or not). */
export async function countRecentLinkRequests(pool: Pool, addressKey: Buffer, minutes: number): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM link_requests WHERE address_key = $1 AND requested_at > now() - make_interval(mins => $2)',
    [addressKey, minutes],
  );
  return rows[0]?.n ?? 0;
}

/** The address of a request not handled yet, or null (handled already, or unknown). */
export async function getPendingLinkRequest(pool: Pool, id: string): Promise<{ id: string; email: string } | null> {
  const { rows } = await pool.query<{ id: string; email: string }>(
    'SELECT id, email FROM link_requests WHERE id = $1 AND handled_at IS NULL AND email IS NOT NULL',
    [id],
  );
  return rows[0] ?? null;
}

/** Marks a request handled and forgets its address. */
export async function markLinkRequestHandled(pool: Pool, id: string): Promise<void> {
  await pool.query('UPDATE link_requests SET handled_at = now(), email = NULL WHERE id = $1', [id]);
}

/** Requests not handled yet and younger than `minutes` (the reconciler queues them again if Redis lost them). */
export async function listPendingLinkRequests(pool: Pool, minutes: number): Promise<{ id: string }[]> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT id FROM link_requests WHERE handled_at IS NULL AND requested_at > now() - make_interval(mins => $1) ORDER BY requested_at`,
    [minutes],
  );
  return rows;
}

/** Deletes requests older than `hours` hours (handled or not): the rate limit needs only the last hour. */
export async function purgeLinkRequests(pool: Pool, hours: number): Promise<number> {
  const { rowCount } = await pool.query('DELETE FROM link_requests WHERE requested_at < now() - make_interval(hours => $1)', [hours]);
  return rowCount ?? 0;
}

// The jobs that asked to email an address (case-insensitive) and are still kept: not receiving their upload,
// and not past their deletion time (`keptDays` after they ended) that the sweep has not reached yet, whose
// link would only answer 410.
const KEPT_FOR_EMAIL = `lower(j.email) = lower($1) AND j.status <> 'receiving'
  AND (j.finished_at IS NULL OR j.finished_at + make_interval(days => $2) >= now())`;

/** The `limit` newest jobs still kept that asked to email this address. */
export async function listJobsForEmail(pool: Pool, email: string, keptDays: number, limit: number): Promise<OwnedJobRow[]> {
  const { rows } = await pool.query<OwnedJobRow>(
    `SELECT j.id, j.status, j.filename, m.name AS model, m.version AS "modelVersion", j.rows_total AS "rowsTotal",
       j.rows_processed AS "rowsProcessed", j.rows_failed AS "rowsFailed", j.created_at AS "createdAt", j.finished_at AS "finishedAt"
     FROM jobs j JOIN models m ON m.id = j.model_id
     WHERE ${KEPT_FOR_EMAIL} ORDER BY j.created_at DESC LIMIT $3`,
    [email, keptDays, limit],
  );
  return rows;
}

/** How many jobs still kept asked to email this address: a links message lists only the newest of them. */
export async function countJobsForEmail(pool: Pool, email: string, keptDays: number): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs j WHERE ${KEPT_FOR_EMAIL}`, [email, keptDays]);
  return rows[0]!.n;
}
