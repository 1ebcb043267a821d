import { inTransaction, type Pool, type PoolClient } from '../pool.js';

/** An API key as PostgreSQL holds it: never the key, only its display prefix and sha256. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  prefix: string;
  keyHash: Buffer;
  scopes: string[];
  requestsPerMinute: number | null;
  rowsPerDay: number | null;
  concurrentJobs: number | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** What a key has used of its quotas: jobs not ended yet (uploads still arriving too), and rows of the jobs it submitted since `since` (deleted ones too). */
export interface KeyUsage {
  revoked: boolean;
  activeJobs: number;
  rowsSince: number;
}

const columns = `id, name, prefix, key_hash AS "keyHash", scopes, requests_per_minute AS "requestsPerMinute",
  rows_per_day AS "rowsPerDay", concurrent_jobs AS "concurrentJobs", created_at AS "createdAt",
  last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`;

/** The key not revoked that already has this name (case ignored), other than `exceptId`. */
export interface KeyNameTaken {
  nameTaken: { id: string; prefix: string; name: string };
}

/**
 * Holds the name for the rest of the transaction (two keys made at once with one name would both find it
 * free), and answers the key not revoked that has it, if any. Names are compared ignoring case.
 */
async function keyNamed(client: PoolClient, name: string, exceptId: string | null): Promise<KeyNameTaken | null> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('api_key_name:' || lower($1)))`, [name]);
  const { rows } = await client.query<{ id: string; prefix: string; name: string }>(
    `SELECT id, prefix, name FROM api_keys WHERE lower(name) = lower($1) AND revoked_at IS NULL AND id IS DISTINCT FROM $2
     ORDER BY created_at LIMIT 1`,
    [name, exceptId],
  );
  return rows[0] ? { nameTaken: rows[0] } : null;
}

/**
 * Adds a key; null when its prefix is taken (the caller makes another key), `nameTaken` when a key not revoked
 * has its name already: the CLI and the admin page address keys by name too, and two of one name were told
 * apart only by their ids.
 */
export async function insertApiKey(
  pool: Pool,
  key: Omit<ApiKeyRecord, 'createdAt' | 'lastUsedAt' | 'revokedAt'>,
): Promise<ApiKeyRecord | KeyNameTaken | null> {
  return inTransaction(pool, async (client) => {
    const taken = await keyNamed(client, key.name, null);
    if (taken) return taken;
    const { rows } = await client.query<ApiKeyRecord>(
      `INSERT INTO api_keys (id, name, prefix, key_hash, scopes, requests_per_minute, rows_per_day, concurrent_jobs)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (prefix) DO NOTHING RETURNING ${columns}`,
      [key.id, key.name, key.prefix, key.keyHash, key.scopes, key.requestsPerMinute, key.rowsPerDay, key.concurrentJobs],
    );
    return rows[0] ?? null;
  });
}

/** The key with this display prefix (revoked ones too: the caller tells them apart). */
export async function findApiKeyByPrefix(pool: Pool, prefix: string): Promise<ApiKeyRecord | null> {
  const { rows } = await pool.query<ApiKeyRecord>(`SELECT ${columns} FROM api_keys WHERE prefix = $1`, [prefix]);
  return rows[0] ?? null;
}

export async function getApiKey(pool: Pool, id: string): Promise<ApiKeyRecord | null> {
  const { rows } = await pool.query<ApiKeyRecord>(`SELECT ${columns} FROM api_keys WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

/** Keys not revoked, newest first; with `includeRevoked`, the revoked ones too (the admin's list of keys). */
export async function listApiKeys(pool: Pool, opts: { includeRevoked?: boolean } = {}): Promise<ApiKeyRecord[]> {
  const { rows } = await pool.query<ApiKeyRecord>(
    `SELECT ${columns} FROM api_keys ${opts.includeRevoked ? '' : 'WHERE revoked_at IS NULL '}ORDER BY created_at DESC, id DESC`,
  );
  return rows;
}

/**
 * Changes a key's name, scopes or limits (fields left undefined stay); null when there is no such key, or it was
 * revoked; `nameTaken` when another key not revoked has the new name.
 */
export async function updateApiKey(
  pool: Pool,
  id: string,
  changes: Partial<Pick<ApiKeyRecord, 'name' | 'scopes' | 'requestsPerMinute' | 'rowsPerDay' | 'concurrentJobs'>>,
): Promise<ApiKeyRecord | KeyNameTaken | null> {
  return inTransaction(pool, async (client) => {
    // A new name another key not revoked has is refused, as at creation.
    const taken = changes.name === undefined ? null : await keyNamed(client, changes.name, id);
    if (taken) return taken;
    const params: unknown[] = [id];
    const set = (column: string, value: unknown) => (value === undefined ? column : `$${params.push(value)}`);
    const { rows } = await client.query<ApiKeyRecord>(
      `UPDATE api_keys SET name = ${set('name', changes.name)}, scopes = ${set('scopes', changes.scopes)},
         requests_per_minute = ${set('requests_per_minute', changes.requestsPerMinute)}, rows_per_day = ${set('rows_per_day', changes.rowsPerDay)},
         concurrent_jobs = ${set('concurrent_jobs', changes.concurrentJobs)}
       WHERE id = $1 AND revoked_at IS NULL RETURNING ${columns}`,
      params,
    );
    return rows[0] ?? null;
  });
}

/** Revokes a key; false when there is none, or it was revoked already. */
/**
 * Revokes a key and, in the same transaction, ends the links made from it: its jobs' tokens of purpose
 * `upload` are the ones derived from the key (see keyJobToken), which whoever holds the key could make again
 * for any of its jobs. Links sent by email or webhook are random tokens and stay. Null when there is no
 * such key (or it was revoked already); else how many links ended.
 */
export async function revokeApiKey(pool: Pool, id: string): Promise<{ linksEnded: number } | null> {
  return inTransaction(pool, async (client) => {
    const { rowCount } = await client.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
    if (rowCount !== 1) return null;
    const ended = await client.query(
      `DELETE FROM job_tokens WHERE purpose = 'upload' AND job_id IN (SELECT id FROM jobs WHERE key_id = $1)`,
      [id],
    );
    return { linksEnded: ended.rowCount ?? 0 };
  });
}

/** Notes that a key was used; at most one write a minute per key, so a busy key does not write on every request. */
export async function touchApiKey(pool: Pool, id: string): Promise<void> {
  await pool.query(
    `UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
    [id],
  );
}

// Rows of deleted jobs count too (their tombstones remember key, rows and submission time, migration 029):
// deleting a job, by its owner or by retention, gives nothing back of the day's quota.
// A job still receiving its upload (migration 013) counts too, from the moment it is recorded: workers already
// score its chunks, so it holds one of the key's concurrent jobs, and its rows so far count towards the day's.
// Unless its lease has passed (receiving_until < now(), as listLapsedReceivingJobs finds them): its upload will
// never end (the web process died) and the reconciler removes it, so it holds nothing for longer than its lease.
// $3, when given, is a job left out: a receiving job checked at the end of its own upload is not counted
// against itself (its rows are then counted whole, by the caller).
const usageSql = `SELECT count(*) FILTER (WHERE status IN ('receiving', 'queued', 'running'))::int AS "activeJobs",
    (coalesce(sum(rows_total) FILTER (WHERE created_at >= $2), 0)
      + (SELECT coalesce(sum(e.rows_total), 0) FROM expired_jobs e WHERE e.key_id = $1 AND e.created_at >= $2))::bigint AS "rowsSince"
  FROM jobs WHERE key_id = $1 AND (status IN ('receiving', 'queued', 'running') OR created_at >= $2)
    AND (status <> 'receiving' OR receiving_until >= now()) AND id IS DISTINCT FROM $3::uuid`;

/** A key's usage now (a first check before an upload is even read; createJob checks again, exactly). */
export async function keyUsage(pool: Pool, keyId: string, since: Date): Promise<KeyUsage> {
  const { rows } = await pool.query<Omit<KeyUsage, 'revoked'>>(usageSql, [keyId, since, null]);
  return { revoked: false, activeJobs: rows[0]?.activeJobs ?? 0, rowsSince: rows[0]?.rowsSince ?? 0 };
}

/**
 * Inside a job's insert transaction: locks the key's row (so two uploads of one key are counted one after
 * the other, and a quota cannot be overrun by racing them) and reads its usage: without job `leaving out`, the
 * receiving job whose upload ends (completeReceivingJob), so that it is not counted against itself.
 */
export async function lockKeyUsage(client: PoolClient, keyId: string, since: Date, leavingOut: string | null = null): Promise<KeyUsage> {
  const key = await client.query<{ revoked: boolean }>('SELECT revoked_at IS NOT NULL AS revoked FROM api_keys WHERE id = $1 FOR UPDATE', [
    keyId,
  ]);
  const { rows } = await client.query<Omit<KeyUsage, 'revoked'>>(usageSql, [keyId, since, leavingOut]);
  return { revoked: key.rows[0]?.revoked ?? true, activeJobs: rows[0]?.activeJobs ?? 0, rowsSince: rows[0]?.rowsSince ?? 0 };
}
