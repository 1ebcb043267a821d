import { inTransaction, type Pool, type PoolClient } from '../pool.js';

/** A webhook endpoint; its secrets as stored (encrypted by the domain, opaque here). */
export interface WebhookEndpointRecord {
  id: string;
  keyId: string | null;
  url: string;
  events: string[];
  secret: Buffer;
  /** The secrets rotated out whose grace has not ended (each still signs), the last to expire first. */
  oldSecrets: OldSecretRecord[];
  createdAt: Date;
  secretRotatedAt: Date | null;
  /** When the key that registered it was revoked (it then hears of nothing), or null. */
  keyRevokedAt: Date | null;
  /**
   * The key that registered it lacks WEBHOOK_SCOPE now (a PATCH took it away): it hears of nothing while so, as
   * the key can no longer see, remove or rotate it. False for an admin's endpoint.
   */
  keyLacksScope: boolean;
}

/**
 * The scope a key needs for its endpoints to hear of anything: the one that registers, removes and rotates them
 * (packages/jobs/src/keys/scopes.ts). Without it the key could not remove an endpoint that receives its job links.
 */
export const WEBHOOK_SCOPE = 'webhooks:write';

/** Why an endpoint hears of nothing, or null when it is enabled; from keyRevokedAt and keyLacksScope. */
export type EndpointDisabled = 'key_revoked' | 'key_scope_removed';

export function endpointDisabled(e: Pick<WebhookEndpointRecord, 'keyRevokedAt' | 'keyLacksScope'>): EndpointDisabled | null {
  return e.keyRevokedAt ? 'key_revoked' : e.keyLacksScope ? 'key_scope_removed' : null;
}

/** A secret rotated out of an endpoint: it signs too until `expiresAt`. */
export interface OldSecretRecord {
  secret: Buffer;
  expiresAt: Date;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

/** One try at a delivery: no outcome (duration, status, error) means it was cut short. */
export interface WebhookAttemptRecord {
  attempt: number;
  generation: number;
  startedAt: Date;
  /**
   * Whether the receiver took it (a 2xx answer) or not; null: cut short, no outcome. Kept apart from the status
   * so that it can be shown when the status and duration are not (an API key's attempts to internal receivers).
   */
  outcome: 'delivered' | 'failed' | null;
  durationMs: number | null;
  statusCode: number | null;
  error: string | null;
  response: string | null;
  /**
   * Why it failed, as a code: an OutboundError's code (`connect_failed`, `address_not_allowed`…), `http_status`
   * for an answer other than 2xx, `not_sent` when nothing could be sent, `unknown` for an old attempt whose
   * message was of no known form; null when it did not fail (or has no outcome).
   */
  errorCode: string | null;
  /** Whether it went to a non-public address (true), a public one (false), or is not known (null: made before this was recorded, or no outcome). */
  internal: boolean | null;
}

/** A delivery as listed (without its body), with its endpoint's URL and every attempt, newest first. */
export interface WebhookDeliveryRecord {
  id: string;
  endpointId: string;
  endpointUrl: string;
  keyId: string | null;
  jobId: string;
  event: string;
  status: DeliveryStatus;
  generation: number;
  nextAttemptAt: Date;
  createdAt: Date;
  finishedAt: Date | null;
  attempts: WebhookAttemptRecord[];
}

/** What one attempt needs: the delivery's encrypted body and its endpoint's URL and secrets. */
export interface DeliveryToSend {
  id: string;
  jobId: string;
  event: string;
  body: Buffer;
  status: DeliveryStatus;
  generation: number;
  endpoint: Pick<WebhookEndpointRecord, 'id' | 'keyId' | 'url' | 'secret' | 'oldSecrets' | 'keyRevokedAt' | 'keyLacksScope'>;
}

/** A delivery the queue must hold: its id, generation (part of the queue job's id) and when it is due. */
export interface PendingDelivery {
  id: string;
  generation: number;
  nextAttemptAt: Date;
}

/** The old secrets of endpoint `e` still within their grace, as two arrays in the same order (see withOldSecrets). */
const oldSecretColumns = `
  ARRAY(SELECT o.secret FROM webhook_old_secrets o WHERE o.endpoint_id = e.id AND o.expires_at > now()
        ORDER BY o.expires_at DESC, o.rotated_out_at DESC) AS "oldSecretValues",
  ARRAY(SELECT o.expires_at FROM webhook_old_secrets o WHERE o.endpoint_id = e.id AND o.expires_at > now()
        ORDER BY o.expires_at DESC, o.rotated_out_at DESC) AS "oldSecretExpiries"`;

/** Whether endpoint `e` is disabled, as the columns keyRevokedAt and keyLacksScope (read at every attempt: see endpointDisabled). */
const disabledColumns = `(SELECT k.revoked_at FROM api_keys k WHERE k.id = e.key_id) AS "keyRevokedAt",
  coalesce((SELECT NOT ('${WEBHOOK_SCOPE}' = ANY(k.scopes)) FROM api_keys k WHERE k.id = e.key_id), false) AS "keyLacksScope"`;

/** The columns of an endpoint row aliased `e`. */
const endpointColumns = `e.id, e.key_id AS "keyId", e.url, e.events, e.secret, e.created_at AS "createdAt",
  e.secret_rotated_at AS "secretRotatedAt", ${disabledColumns}, ${oldSecretColumns}`;

interface OldSecretColumns {
  oldSecretValues: Buffer[];
  oldSecretExpiries: Date[];
}
type EndpointRow = Omit<WebhookEndpointRecord, 'oldSecrets'> & OldSecretColumns;

function withOldSecrets<T extends OldSecretColumns>(row: T): Omit<T, keyof OldSecretColumns> & { oldSecrets: OldSecretRecord[] } {
  const { oldSecretValues, oldSecretExpiries, ...rest } = row;
  return { ...rest, oldSecrets: oldSecretValues.map((secret, i) => ({ secret, expiresAt: oldSecretExpiries[i]! })) };
}

export async function insertWebhookEndpoint(
  pool: Pool,
  e: { id: string; keyId: string | null; url: string; events: string[]; secret: Buffer },
): Promise<WebhookEndpointRecord> {
  const { rows } = await pool.query<EndpointRow>(
    `INSERT INTO webhook_endpoints AS e (id, key_id, url, events, secret) VALUES ($1, $2, $3, $4, $5) RETURNING ${endpointColumns}`,
    [e.id, e.keyId, e.url, e.events, e.secret],
  );
  return withOldSecrets(rows[0]!);
}

/** Every endpoint (`owner` undefined: an admin), or those a key registered; newest first. */
export async function listWebhookEndpoints(pool: Pool, owner?: { keyId: string }): Promise<WebhookEndpointRecord[]> {
  const { rows } = await pool.query<EndpointRow>(
    `SELECT ${endpointColumns} FROM webhook_endpoints e WHERE $1::uuid IS NULL OR e.key_id = $1 ORDER BY e.created_at DESC, e.id DESC`,
    [owner?.keyId ?? null],
  );
  return rows.map(withOldSecrets);
}

export async function countWebhookEndpoints(pool: Pool, keyId: string | null): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM webhook_endpoints WHERE key_id IS NOT DISTINCT FROM $1',
    [keyId],
  );
  return rows[0]?.n ?? 0;
}

export async function getWebhookEndpoint(pool: Pool, id: string): Promise<WebhookEndpointRecord | null> {
  const { rows } = await pool.query<EndpointRow>(`SELECT ${endpointColumns} FROM webhook_endpoints e WHERE e.id = $1`, [id]);
  return rows[0] ? withOldSecrets(rows[0]) : null;
}

/** Removes an endpoint with its deliveries and their attempts; false when there was none. */
export async function deleteWebhookEndpoint(pool: Pool, id: string): Promise<boolean> {
  const { rowCount } = await pool.query('DELETE FROM webhook_endpoints WHERE id = $1', [id]);
  return rowCount === 1;
}

/**
 * Replaces an endpoint's secret, with its row locked (two rotations at once follow each other). With
 * `currentExpiresAt`, the current secret joins the old ones and keeps signing until then, each old secret
 * until its own expiry (those past it are deleted); unless `maxOld` of them would then sign, in which case
 * nothing changes and the answer is `too_many` with the soonest expiry. Without (null), every old secret is
 * deleted: only the new one signs. Null when there is no such endpoint.
 */
export async function rotateWebhookSecret(
  pool: Pool,
  id: string,
  rotation: { secret: Buffer; currentExpiresAt: Date | null; maxOld: number },
): Promise<WebhookEndpointRecord | { tooMany: { soonestExpiry: Date } } | null> {
  return inTransaction(pool, async (client) => {
    const current = await client.query<{ secret: Buffer }>('SELECT secret FROM webhook_endpoints WHERE id = $1 FOR UPDATE', [id]);
    if (!current.rows[0]) return null;
    if (rotation.currentExpiresAt) {
      await client.query('DELETE FROM webhook_old_secrets WHERE endpoint_id = $1 AND expires_at <= now()', [id]);
      const { rows } = await client.query<{ n: number; soonest: Date | null }>(
        'SELECT count(*)::int AS n, min(expires_at) AS soonest FROM webhook_old_secrets WHERE endpoint_id = $1',
        [id],
      );
      if (rows[0]!.n >= rotation.maxOld) return { tooMany: { soonestExpiry: rows[0]!.soonest! } };
      await client.query('INSERT INTO webhook_old_secrets (endpoint_id, secret, expires_at) VALUES ($1, $2, $3)', [
        id,
        current.rows[0].secret,
        rotation.currentExpiresAt,
      ]);
    } else {
      await client.query('DELETE FROM webhook_old_secrets WHERE endpoint_id = $1', [id]);
    }
    const { rows } = await client.query<EndpointRow>(
      `UPDATE webhook_endpoints e SET secret = $2, secret_rotated_at = now() WHERE e.id = $1 RETURNING ${endpointColumns}`,
      [id, rotation.secret],
    );
    return withOldSecrets(rows[0]!);
  });
}

/**
 * The endpoints that hear of an event about a job: every admin endpoint subscribed to it, and those of the
 * key that submitted the job (`keyId`), unless that key has been revoked or lacks WEBHOOK_SCOPE now.
 */
export async function endpointsForEvent(pool: Pool, event: string, keyId: string | null): Promise<WebhookEndpointRecord[]> {
  const { rows } = await pool.query<EndpointRow>(
    `SELECT ${endpointColumns} FROM webhook_endpoints e
     WHERE $1 = ANY(e.events)
       AND (e.key_id IS NULL OR (e.key_id = $2 AND EXISTS (
             SELECT 1 FROM api_keys k WHERE k.id = e.key_id AND k.revoked_at IS NULL AND '${WEBHOOK_SCOPE}' = ANY(k.scopes))))
     ORDER BY e.created_at, e.id`,
    [event, keyId],
  );
  return rows.map(withOldSecrets);
}

/**
 * Records the deliveries of a job's end event, once: with the job's row locked, if its event was not recorded
 * yet, inserts each delivery (with the hash of the token its body's links carry) and marks the event
 * recorded. Returns the deliveries inserted; null when the event had already been recorded (or the job is gone).
 */
export async function recordJobEvent(
  pool: Pool,
  jobId: string,
  deliveries: { id: string; endpointId: string; event: string; body: Buffer; linkTokenHash: Buffer }[],
): Promise<PendingDelivery[] | null> {
  return inTransaction(pool, async (client) => {
    const job = await client.query<{ recorded: boolean }>(
      'SELECT events_recorded_at IS NOT NULL AS recorded FROM jobs WHERE id = $1 AND finished_at IS NOT NULL FOR UPDATE',
      [jobId],
    );
    if (!job.rows[0] || job.rows[0].recorded) return null;
    const inserted: PendingDelivery[] = [];
    for (const d of deliveries) {
      const { rows } = await client.query<PendingDelivery>(
        `INSERT INTO webhook_deliveries (id, endpoint_id, job_id, event, body) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO NOTHING RETURNING id, generation, next_attempt_at AS "nextAttemptAt"`,
        [d.id, d.endpointId, jobId, d.event, d.body],
      );
      if (!rows[0]) continue;
      inserted.push(rows[0]);
      await client.query(`INSERT INTO job_tokens (job_id, token_hash, purpose) VALUES ($1, $2, 'webhook')`, [jobId, d.linkTokenHash]);
    }
    await client.query('UPDATE jobs SET events_recorded_at = now() WHERE id = $1', [jobId]);
    return inserted;
  });
}

const pendingColumns = `id, generation, next_attempt_at AS "nextAttemptAt"`;

/** A job's deliveries still to make. */
export async function listPendingDeliveries(pool: Pool, jobId: string): Promise<PendingDelivery[]> {
  const { rows } = await pool.query<PendingDelivery>(
    `SELECT ${pendingColumns} FROM webhook_deliveries WHERE status = 'pending' AND job_id = $1 ORDER BY id`,
    [jobId],
  );
  return rows;
}

/** Every delivery still to make, a page at a time in id order after `after` (the reconciler checks each is queued). */
export async function pagePendingDeliveries(pool: Pool, after: string | null, limit: number): Promise<PendingDelivery[]> {
  const { rows } = await pool.query<PendingDelivery>(
    `SELECT ${pendingColumns} FROM webhook_deliveries WHERE status = 'pending' AND ($1::text IS NULL OR id > $1) ORDER BY id LIMIT $2`,
    [after, limit],
  );
  return rows;
}

/** A delivery with what its next attempt needs, its endpoint's disabled state read now (PostgreSQL decides it). */
export async function getDeliveryToSend(pool: Pool, id: string): Promise<DeliveryToSend | null> {
  const { rows } = await pool.query<
    Omit<DeliveryToSend, 'endpoint'> & { endpointId: string; url: string; secret: Buffer } & OldSecretColumns &
      Pick<WebhookEndpointRecord, 'keyId' | 'keyRevokedAt' | 'keyLacksScope'>
  >(
    `SELECT d.id, d.job_id AS "jobId", d.event, d.body, d.status, d.generation, e.id AS "endpointId", e.key_id AS "keyId", e.url,
       e.secret, ${disabledColumns}, ${oldSecretColumns}
     FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1`,
    [id],
  );
  const r = rows[0];
  if (!r) return null;
  const { endpointId, keyId, url, secret, oldSecrets, keyRevokedAt, keyLacksScope, ...delivery } = withOldSecrets(r);
  return { ...delivery, endpoint: { id: endpointId, keyId, url, secret, oldSecrets, keyRevokedAt, keyLacksScope } };
}

/** The two-key advisory lock class of delivery slots (with the owner's hash): its own space, apart from ADVISORY_LOCKS. */
const SLOT_LOCK_CLASS = 0x6263_7766;

/**
 * Takes a slot for one attempt of delivery `deliveryId` (a row of webhook_in_flight, counted until `ttlMs` from
 * now unless released before): only while its endpoint has fewer than `perEndpoint` attempts in flight and its
 * owner (a key's id, or 'admin') fewer than `perOwner`. The owner's advisory lock makes two workers count one after
 * the other. A slot past its expiry (its worker crashed) no longer counts and is deleted here, as is one of this
 * same delivery (an earlier run of it that died): a crash never holds a slot for longer than `ttlMs`.
 * False: no slot now.
 */
export async function claimDeliverySlot(
  pool: Pool,
  slot: { deliveryId: string; endpointId: string; owner: string; perEndpoint: number; perOwner: number; ttlMs: number },
): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SLOT_LOCK_CLASS, slot.owner]);
    await client.query('DELETE FROM webhook_in_flight WHERE (owner = $1 AND expires_at <= now()) OR delivery_id = $2', [
      slot.owner,
      slot.deliveryId,
    ]);
    const { rows } = await client.query<{ endpoint: number; owner: number }>(
      `SELECT (count(*) FILTER (WHERE endpoint_id = $2))::int AS endpoint, count(*)::int AS owner
       FROM webhook_in_flight WHERE owner = $1`,
      [slot.owner, slot.endpointId],
    );
    const taken = rows[0]!;
    if (taken.endpoint >= slot.perEndpoint || taken.owner >= slot.perOwner) return false;
    await client.query(
      `INSERT INTO webhook_in_flight (delivery_id, endpoint_id, owner, expires_at)
       VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')`,
      [slot.deliveryId, slot.endpointId, slot.owner, slot.ttlMs],
    );
    return true;
  });
}

/** Gives back a delivery's slot once its attempt has ended. */
export async function releaseDeliverySlot(pool: Pool, deliveryId: string): Promise<void> {
  await pool.query('DELETE FROM webhook_in_flight WHERE delivery_id = $1', [deliveryId]);
}

/**
 * Notes that an attempt starts (before anything is sent, so an attempt cut short by a crash is still seen).
 * Returns its number over the delivery's life and within the current generation; null when the generation
 * has had `max` attempts already.
 */
export async function startDeliveryAttempt(
  pool: Pool,
  id: string,
  generation: number,
  max: number,
): Promise<{ attempt: number; inGeneration: number } | null> {
  return inTransaction(pool, async (client) => {
    // The delivery's row, locked: two runs of one delivery (a stalled job taken twice) count one after the other.
    await client.query('SELECT 1 FROM webhook_deliveries WHERE id = $1 FOR UPDATE', [id]);
    const { rows } = await client.query<{ last: number; inGeneration: number }>(
      `SELECT coalesce(max(attempt), 0)::int AS last, (count(*) FILTER (WHERE generation = $2))::int AS "inGeneration"
       FROM webhook_attempts WHERE delivery_id = $1`,
      [id, generation],
    );
    const { last, inGeneration } = rows[0]!;
    if (inGeneration >= max) return null;
    await client.query('INSERT INTO webhook_attempts (delivery_id, attempt, generation) VALUES ($1, $2, $3)', [id, last + 1, generation]);
    return { attempt: last + 1, inGeneration: inGeneration + 1 };
  });
}

export async function finishDeliveryAttempt(
  pool: Pool,
  id: string,
  attempt: number,
  outcome: {
    durationMs: number;
    statusCode: number | null;
    error: string | null;
    errorCode: string | null;
    response: string | null;
    internal: boolean;
  },
): Promise<void> {
  await pool.query(
    `UPDATE webhook_attempts SET duration_ms = $3, status_code = $4, error = $5, error_code = $6, response = $7, internal = $8
     WHERE delivery_id = $1 AND attempt = $2`,
    [id, attempt, outcome.durationMs, outcome.statusCode, outcome.error, outcome.errorCode, outcome.response, outcome.internal],
  );
}

/** Ends a delivery of this generation (succeeded or given up); false when it had ended or been redelivered meanwhile. */
export async function finishDelivery(pool: Pool, id: string, generation: number, status: 'succeeded' | 'failed'): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE webhook_deliveries SET status = $3, finished_at = now() WHERE id = $1 AND generation = $2 AND status = 'pending'`,
    [id, generation, status],
  );
  return rowCount === 1;
}

/** When the next attempt of this generation is due (for the reconciler, and shown to people). */
export async function scheduleDeliveryAttempt(pool: Pool, id: string, generation: number, at: Date): Promise<void> {
  await pool.query(`UPDATE webhook_deliveries SET next_attempt_at = $3 WHERE id = $1 AND generation = $2 AND status = 'pending'`, [
    id,
    generation,
    at,
  ]);
}

/**
 * Starts a new series of attempts of an ended delivery (same webhook-id and body). Returns the new
 * pending state; `pending` when it is still being delivered; null when there is no such delivery.
 */
export async function redeliverDelivery(pool: Pool, id: string): Promise<PendingDelivery | 'pending' | null> {
  const { rows } = await pool.query<PendingDelivery>(
    `UPDATE webhook_deliveries SET status = 'pending', generation = generation + 1, next_attempt_at = now(), finished_at = NULL
     WHERE id = $1 AND status <> 'pending' RETURNING ${pendingColumns}`,
    [id],
  );
  if (rows[0]) return rows[0];
  const { rowCount } = await pool.query('SELECT 1 FROM webhook_deliveries WHERE id = $1', [id]);
  return rowCount ? 'pending' : null;
}

/** Where a page of deliveries starts: after this one. */
export interface DeliveryCursor {
  createdAt: string;
  id: string;
}

/**
 * Deliveries newest first, with their attempts: of one endpoint, or of every endpoint (the admin page).
 * Keyset pagination like listKeyJobs.
 */
export async function listDeliveries(
  pool: Pool,
  opts: { endpointId: string | null; limit: number; after: DeliveryCursor | null },
): Promise<{ deliveries: WebhookDeliveryRecord[]; cursor: DeliveryCursor | null }> {
  const { rows } = await pool.query<Omit<WebhookDeliveryRecord, 'attempts'> & { cursorAt: string }>(
    `SELECT d.id, d.endpoint_id AS "endpointId", e.url AS "endpointUrl", e.key_id AS "keyId", d.job_id AS "jobId", d.event, d.status,
       d.generation, d.next_attempt_at AS "nextAttemptAt", d.created_at AS "createdAt", d.finished_at AS "finishedAt",
       d.created_at::text AS "cursorAt"
     FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
     WHERE ($1::uuid IS NULL OR d.endpoint_id = $1)
       AND ($2::timestamptz IS NULL OR (d.created_at, d.id) < ($2::timestamptz, $3::text))
     ORDER BY d.created_at DESC, d.id DESC LIMIT $4`,
    [opts.endpointId, opts.after?.createdAt ?? null, opts.after?.id ?? null, opts.limit + 1],
  );
  const page = rows.slice(0, opts.limit);
  const attempts = await attemptsOf(
    pool,
    page.map((d) => d.id),
  );
  const last = page[page.length - 1];
  return {
    deliveries: page.map(({ cursorAt: _, ...d }) => ({ ...d, attempts: attempts.get(d.id) ?? [] })),
    cursor: rows.length > opts.limit && last ? { createdAt: last.cursorAt, id: last.id } : null,
  };
}

/** One delivery with its attempts, or null. */
export async function getDelivery(pool: Pool, id: string): Promise<WebhookDeliveryRecord | null> {
  const { rows } = await pool.query<Omit<WebhookDeliveryRecord, 'attempts'>>(
    `SELECT d.id, d.endpoint_id AS "endpointId", e.url AS "endpointUrl", e.key_id AS "keyId", d.job_id AS "jobId", d.event, d.status,
       d.generation, d.next_attempt_at AS "nextAttemptAt", d.created_at AS "createdAt", d.finished_at AS "finishedAt"
     FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1`,
    [id],
  );
  const d = rows[0];
  if (!d) return null;
  return { ...d, attempts: (await attemptsOf(pool, [d.id])).get(d.id) ?? [] };
}

async function attemptsOf(pool: Pool, ids: string[]): Promise<Map<string, WebhookAttemptRecord[]>> {
  const out = new Map<string, WebhookAttemptRecord[]>();
  if (ids.length === 0) return out;
  const { rows } = await pool.query<WebhookAttemptRecord & { deliveryId: string }>(
    `SELECT delivery_id AS "deliveryId", attempt, generation, started_at AS "startedAt",
       CASE WHEN duration_ms IS NULL THEN NULL WHEN status_code BETWEEN 200 AND 299 THEN 'delivered' ELSE 'failed' END AS outcome,
       duration_ms AS "durationMs",
       status_code AS "statusCode", error, error_code AS "errorCode", response, internal
     FROM webhook_attempts WHERE delivery_id = ANY($1::text[]) ORDER BY delivery_id, attempt DESC`,
    [ids],
  );
  for (const { deliveryId, ...a } of rows) {
    const list = out.get(deliveryId) ?? [];
    list.push(a);
    out.set(deliveryId, list);
  }
  return out;
}

/** A sealed value sealed again, or null to leave it as it is (already re-sealed, or unreadable). */
export type Reseal = (sealed: Buffer, endpointOrDeliveryId: string) => Buffer | null;

/** What one batch of a re-seal looked at: the last id (the next batch starts after it), rows seen and changed. */
export interface ResealBatch {
  last: string | null;
  seen: number;
  changed: number;
}

/** One re-seal batch of one kind of sealed value: the rows with ids after `after` (null: from the first), `limit` of them at most, not sealed with key `keyId`. */
export type ResealBatchOf = (pool: Pool, keyId: Buffer, after: string | null, limit: number, reseal: Reseal) => Promise<ResealBatch>;

/**
 * One re-seal batch in one transaction, as both re-seals run it: `select` locks the batch's rows (ids in order,
 * after the last batch's), `resealRow` writes one row's values sealed again and says how many it changed.
 */
async function resealBatch<Row extends { id: string }>(
  pool: Pool,
  select: (client: PoolClient) => Promise<{ rows: Row[] }>,
  resealRow: (client: PoolClient, row: Row) => Promise<number>,
): Promise<ResealBatch> {
  return inTransaction(pool, async (client) => {
    const { rows } = await select(client);
    let changed = 0;
    for (const row of rows) changed += await resealRow(client, row);
    return { last: rows.at(-1)?.id ?? null, seen: rows.length, changed };
  });
}

/**
 * One batch of endpoints (ids after `after`, in order) whose current secret or an old secret still signing was
 * not sealed with the key of id `keyId` (bytes 2–5 of a sealed value; see secret-box.ts): with their rows
 * locked, as a rotation locks them (a secret rotated meanwhile is never overwritten with the old one), each
 * secret is replaced by `reseal`'s answer, in one transaction.
 */
export const resealEndpointSecrets: ResealBatchOf = (pool, keyId, after, limit, reseal) =>
  resealBatch(
    pool,
    (client) =>
      client.query<{ id: string; secret: Buffer; old: Buffer[] }>(
        `SELECT e.id, e.secret,
              ARRAY(SELECT o.secret FROM webhook_old_secrets o WHERE o.endpoint_id = e.id AND o.expires_at > now()) AS old
       FROM webhook_endpoints e
       WHERE ($2::uuid IS NULL OR e.id > $2)
         AND (substring(e.secret FROM 2 FOR 4) <> $1
              OR EXISTS (SELECT 1 FROM webhook_old_secrets o
                         WHERE o.endpoint_id = e.id AND o.expires_at > now() AND substring(o.secret FROM 2 FOR 4) <> $1))
       ORDER BY e.id LIMIT $3 FOR UPDATE OF e`,
        [keyId, after, limit],
      ),
    async (client, row) => {
      let changed = 0;
      const secret = reseal(row.secret, row.id);
      if (secret) {
        await client.query('UPDATE webhook_endpoints SET secret = $2 WHERE id = $1', [row.id, secret]);
        changed++;
      }
      for (const old of row.old) {
        const sealed = reseal(old, row.id);
        if (!sealed) continue;
        await client.query('UPDATE webhook_old_secrets SET secret = $3 WHERE endpoint_id = $1 AND secret = $2', [row.id, old, sealed]);
        changed++;
      }
      return changed;
    },
  );

/** One batch of deliveries (ids after `after`, in order) whose body was not sealed with key `keyId`: locked, re-sealed, in one transaction. */
export const resealDeliveryBodies: ResealBatchOf = (pool, keyId, after, limit, reseal) =>
  resealBatch(
    pool,
    (client) =>
      client.query<{ id: string; body: Buffer }>(
        `SELECT id, body FROM webhook_deliveries
       WHERE ($2::text IS NULL OR id > $2) AND substring(body FROM 2 FOR 4) <> $1
       ORDER BY id LIMIT $3 FOR UPDATE`,
        [keyId, after, limit],
      ),
    async (client, row) => {
      const body = reseal(row.body, row.id);
      if (!body) return 0;
      await client.query('UPDATE webhook_deliveries SET body = $2 WHERE id = $1', [row.id, body]);
      return 1;
    },
  );
