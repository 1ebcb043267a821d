import { COPY_SIGNATURE, COPY_TRAILER } from '../copy-binary.js';
import { copyIn, readByteaValues } from '../copy-streams.js';
import type { Pool, PoolClient } from '../pool.js';
import { inTransaction } from '../pool.js';

/**
 * Bytes to store that are not held in memory (a registration's uploaded file, its prepared graph on disk): their
 * length, and the bytes in pieces, in order. Stored by COPY, a piece at a time (see copyBytea).
 */
export interface StreamedBytes {
  size: number;
  pieces(): AsyncIterable<Buffer>;
}

/** Bytes in memory as bytes to store: one piece. */
const streamed = (b: Uint8Array | StreamedBytes): StreamedBytes =>
  b instanceof Uint8Array
    ? {
        size: b.byteLength,
        async *pieces() {
          yield Buffer.from(b.buffer, b.byteOffset, b.byteLength);
        },
      }
    : b;

/**
 * Copies `source` into a one-row temporary table `table` (bytes bytea), dropped at the end of the transaction, by
 * binary COPY: a query parameter would need the whole value in this process's memory (and pg's copy of it), COPY
 * takes it a piece at a time. The caller then inserts from the table (INSERT ... SELECT bytes FROM table).
 */
async function copyBytea(client: PoolClient, table: string, source: StreamedBytes): Promise<void> {
  await client.query(`CREATE TEMP TABLE ${table} (bytes bytea) ON COMMIT DROP`);
  async function* tuple(): AsyncIterable<Buffer> {
    const head = Buffer.alloc(6);
    head.writeInt16BE(1, 0); // one field
    head.writeInt32BE(source.size, 2); // of this many bytes
    yield Buffer.concat([COPY_SIGNATURE, head]);
    let sent = 0;
    for await (const piece of source.pieces()) {
      sent += piece.length;
      if (sent > source.size) break;
      yield piece;
    }
    if (sent !== source.size) throw new Error(`the bytes to store were ${sent} long, not the ${source.size} announced`);
    yield COPY_TRAILER;
  }
  await copyIn(client, `COPY ${table} (bytes) FROM STDIN (FORMAT binary)`, tuple());
}

/** A registered model version without its bytes (the ONNX graph and the original upload can be large). */
export interface ModelRecord {
  id: number;
  name: string;
  version: number;
  /** sha256 of the ONNX graph the workers run. */
  sha256: string;
  schema: unknown;
  description: string;
  sourceFile: string | null;
  createdAt: Date;
  /** The format found in the uploaded file ('onnx', 'sklearn-joblib' ...). */
  format: string;
  library: string | null;
  libraryVersion: string | null;
  /** jsonb: notes of what was converted into the graph. */
  converted: unknown;
  /** The uploaded file as it came (null for versions registered before originals were kept). */
  original: { sha256: string; size: number } | null;
  /** When an admin removed (retired) the version; null while it is offered. */
  removedAt: Date | null;
  /** The API key (with `models:write`) that registered the version, as it is named now; null: the admin. */
  registeredBy: { keyId: string; name: string; prefix: string } | null;
}

interface ModelRow extends Omit<ModelRecord, 'original' | 'registeredBy'> {
  originalSha256: string | null;
  originalSize: number | null;
  keyId: string | null;
  keyName: string | null;
  keyPrefix: string | null;
}

const columns = `m.id, m.name, m.version, m.sha256, m.schema, m.description, m.source_file AS "sourceFile", m.created_at AS "createdAt",
  m.format, m.library, m.library_version AS "libraryVersion", m.converted,
  m.original_sha256 AS "originalSha256", o.size AS "originalSize", m.removed_at AS "removedAt",
  k.id AS "keyId", k.name AS "keyName", k.prefix AS "keyPrefix"`;
// The join reads the originals' size only: their bytes are stored out of line and never fetched here.
const from = `models m LEFT JOIN model_originals o ON o.sha256 = m.original_sha256
  LEFT JOIN api_keys k ON k.id = m.registered_by_key_id`;

function record({ originalSha256, originalSize, keyId, keyName, keyPrefix, ...row }: ModelRow): ModelRecord {
  return {
    ...row,
    original: originalSha256 === null ? null : { sha256: originalSha256, size: originalSize ?? 0 },
    registeredBy: keyId === null ? null : { keyId, name: keyName ?? '', prefix: keyPrefix ?? '' },
  };
}

export interface NewModelVersion {
  name: string;
  sha256: string;
  /** The ONNX graph: in memory, or streamed (a registration's, prepared on disk). */
  onnx: Uint8Array | StreamedBytes;
  schema: unknown;
  description: string;
  sourceFile: string | null;
  /** What was uploaded (default 'onnx'), the library and version that wrote it, notes of what was converted. */
  format?: string;
  library?: string | null;
  libraryVersion?: string | null;
  converted?: string[];
  /** The uploaded file, kept once per distinct content (the registry always gives it; the benchmark does not). */
  original?: { sha256: string; bytes: Uint8Array | StreamedBytes } | null;
  /** The API key that registers it; null or left out: the admin. */
  registeredByKeyId?: string | null;
}

/**
 * Who a model name belongs to: whoever registered its first version (version 1, removed or not: a version's row
 * is never deleted), the API key's id or null for the admin; null when the name was never registered.
 */
export interface ModelNameOwner {
  keyId: string | null;
}

/** The owner of a name as it is now (see ModelNameOwner); a quick look before the work of a registration. */
export async function findModelNameOwner(pool: Pool | PoolClient, name: string): Promise<ModelNameOwner | null> {
  const { rows } = await pool.query<{ keyId: string | null }>(
    'SELECT registered_by_key_id AS "keyId" FROM models WHERE name = $1 ORDER BY version LIMIT 1',
    [name],
  );
  return rows[0] ? { keyId: rows[0].keyId } : null;
}

/**
 * Adds a model version (version 1 for a new name, else one more than the latest) with its original upload.
 * `checkOwner` sees the name's owner under the lock removals and registrations of the name take, and throws to
 * refuse: two keys registering a new name at once cannot both make it theirs.
 */
export async function insertModelVersion(
  pool: Pool,
  m: NewModelVersion,
  checkOwner: (owner: ModelNameOwner | null) => void = () => undefined,
): Promise<ModelRecord> {
  return inTransaction(pool, async (client) => {
    // Serialise versions of one name so two registrations at once cannot both pick the same number.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`model:${m.name}`]);
    checkOwner(await findModelNameOwner(client, m.name));
    // Both files go in by COPY (see copyBytea), streamed or in memory alike; the graph from its temporary table.
    if (m.original) {
      // A file kept already (registered before, under any name) is not sent again.
      const kept = await client.query('SELECT 1 FROM model_originals WHERE sha256 = $1', [m.original.sha256]);
      if (kept.rowCount === 0) {
        const original = streamed(m.original.bytes);
        await copyBytea(client, 'model_original_upload', original);
        await client.query(
          'INSERT INTO model_originals (sha256, size, bytes) SELECT $1, $2, bytes FROM model_original_upload ON CONFLICT (sha256) DO NOTHING',
          [m.original.sha256, original.size],
        );
      }
    }
    await copyBytea(client, 'model_onnx_upload', streamed(m.onnx));
    const { rows } = await client.query<{ id: number }>(
      `INSERT INTO models (name, version, sha256, onnx, schema, description, source_file, format, library, library_version, converted, original_sha256,
         registered_by_key_id)
       SELECT $1, coalesce(max(version), 0) + 1, $2, (SELECT bytes FROM model_onnx_upload), $3, $4, $5, $6, $7, $8, $9, $10, $11
       FROM models WHERE name = $1
       RETURNING id`,
      [
        m.name,
        m.sha256,
        JSON.stringify(m.schema),
        m.description,
        m.sourceFile,
        m.format ?? 'onnx',
        m.library ?? null,
        m.libraryVersion ?? null,
        JSON.stringify(m.converted ?? []),
        m.original?.sha256 ?? null,
        m.registeredByKeyId ?? null,
      ],
    );
    const inserted = await client.query<ModelRow>(`SELECT ${columns} FROM ${from} WHERE m.id = $1`, [rows[0]!.id]);
    return record(inserted.rows[0]!);
  });
}

/** The latest version of a name, or the given version; versions an admin removed are not found. */
export async function findModel(pool: Pool, name: string, version?: number): Promise<ModelRecord | null> {
  const { rows } = await pool.query<ModelRow>(
    version === undefined
      ? `SELECT ${columns} FROM ${from} WHERE m.name = $1 AND m.removed_at IS NULL ORDER BY m.version DESC LIMIT 1`
      : `SELECT ${columns} FROM ${from} WHERE m.name = $1 AND m.version = $2 AND m.removed_at IS NULL`,
    version === undefined ? [name] : [name, version],
  );
  return rows[0] ? record(rows[0]) : null;
}

/** The latest version of a name below `version` (the one before it); versions an admin removed are not found. */
export async function findModelBefore(pool: Pool, name: string, version: number): Promise<ModelRecord | null> {
  const { rows } = await pool.query<ModelRow>(
    `SELECT ${columns} FROM ${from} WHERE m.name = $1 AND m.version < $2 AND m.removed_at IS NULL ORDER BY m.version DESC LIMIT 1`,
    [name, version],
  );
  return rows[0] ? record(rows[0]) : null;
}

/**
 * A version an admin removed, as it is stored now: its original is null once the retention sweep deleted its files
 * (deleteRemovedModelFiles). For the admin's download of a removed version's file, which is kept until then.
 */
export async function findRemovedModelVersion(pool: Pool, name: string, version: number): Promise<ModelRecord | null> {
  const { rows } = await pool.query<ModelRow>(
    `SELECT ${columns} FROM ${from} WHERE m.name = $1 AND m.version = $2 AND m.removed_at IS NOT NULL`,
    [name, version],
  );
  return rows[0] ? record(rows[0]) : null;
}

/**
 * The given version if an admin removed it, or (no version) the name's most recently removed version: what a
 * refusal says ("removed on ...") when a reference finds nothing offered. Null when there never was one.
 */
export async function findRemovedModel(pool: Pool, name: string, version?: number): Promise<{ version: number; removedAt: Date } | null> {
  const { rows } = await pool.query<{ version: number; removedAt: Date }>(
    `SELECT version, removed_at AS "removedAt" FROM models WHERE name = $1 AND removed_at IS NOT NULL ${version === undefined ? '' : 'AND version = $2'}
     ORDER BY removed_at DESC, version DESC LIMIT 1`,
    version === undefined ? [name] : [name, version],
  );
  return rows[0] ?? null;
}

/**
 * Removes (retires) one version of a name, or every version still offered: each gets `removed_at`, nothing is
 * deleted (jobs that use them finish with them; version numbers are never reused). `check` sees the versions
 * still offered and those about to be removed, under the lock registrations take, and throws to refuse; `checkOwner`
 * sees the name's owner (ModelNameOwner) first, under the same lock.
 * Returns the versions removed: none when nothing offered matched.
 */
export async function removeModelVersions(
  pool: Pool,
  name: string,
  version: number | undefined,
  check: (offered: number[], removing: number[]) => void,
  checkOwner: (owner: ModelNameOwner | null) => void = () => undefined,
): Promise<{ version: number; removedAt: Date }[]> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`model:${name}`]);
    checkOwner(await findModelNameOwner(client, name));
    const { rows } = await client.query<{ version: number }>(
      'SELECT version FROM models WHERE name = $1 AND removed_at IS NULL ORDER BY version FOR UPDATE',
      [name],
    );
    const offered = rows.map((r) => r.version);
    const removing = version === undefined ? offered : offered.filter((v) => v === version);
    if (removing.length === 0) return [];
    check(offered, removing);
    const removed = await client.query<{ version: number; removedAt: Date }>(
      `UPDATE models SET removed_at = now() WHERE name = $1 AND version = ANY($2::int[]) AND removed_at IS NULL
       RETURNING version, removed_at AS "removedAt"`,
      [name, removing],
    );
    return removed.rows.sort((a, b) => a.version - b.version);
  });
}

/**
 * Deletes the stored files of removed versions no job refers to any more, removed more than `graceHours` ago
 * (a job whose model was resolved just before the removal may still be on its way into the jobs table): the
 * ONNX graph, and the original upload unless another version was registered from the same file. The row stays
 * (jobs' history, and so its version number is never given out again). Returns the versions whose files went.
 */
export async function deleteRemovedModelFiles(pool: Pool, graceHours: number): Promise<{ name: string; version: number }[]> {
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string; name: string; version: number; original: string | null }>(
      `SELECT m.id, m.name, m.version, m.original_sha256 AS original FROM models m
       WHERE m.removed_at < now() - make_interval(hours => $1) AND m.files_deleted_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.model_id = m.id)
       ORDER BY m.id FOR UPDATE SKIP LOCKED`,
      [graceHours],
    );
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    await client.query('UPDATE models SET onnx = NULL, original_sha256 = NULL, files_deleted_at = now() WHERE id = ANY($1::bigint[])', [
      ids,
    ]);
    const originals = [...new Set(rows.flatMap((r) => (r.original ? [r.original] : [])))];
    await client.query(
      `DELETE FROM model_originals o WHERE o.sha256 = ANY($1::text[])
         AND NOT EXISTS (SELECT 1 FROM models m WHERE m.original_sha256 = o.sha256)`,
      [originals],
    );
    return rows.map((r) => ({ name: r.name, version: r.version }));
  });
}

export async function getModelById(pool: Pool, id: number): Promise<ModelRecord | null> {
  const { rows } = await pool.query<ModelRow>(`SELECT ${columns} FROM ${from} WHERE m.id = $1`, [id]);
  return rows[0] ? record(rows[0]) : null;
}

/** The model versions of `ids` (any order; an id not there is left out): one query for many, as modelsByIds asks. */
export async function getModelsByIds(pool: Pool, ids: readonly number[]): Promise<ModelRecord[]> {
  if (ids.length === 0) return [];
  const { rows } = await pool.query<ModelRow>(`SELECT ${columns} FROM ${from} WHERE m.id = ANY($1::bigint[])`, [ids]);
  return rows.map(record);
}

/** Every version of every model still offered (not removed), newest version first within a name. */
export async function listModels(pool: Pool): Promise<ModelRecord[]> {
  const { rows } = await pool.query<ModelRow>(`SELECT ${columns} FROM ${from} WHERE m.removed_at IS NULL ORDER BY m.name, m.version DESC`);
  return rows.map(record);
}

/** The id of the latest version of every model name still offered: what a refusal of a file's columns looks through. */
export async function latestModelIds(pool: Pool): Promise<number[]> {
  const { rows } = await pool.query<{ id: string }>(
    'SELECT DISTINCT ON (name) id FROM models WHERE removed_at IS NULL ORDER BY name, version DESC',
  );
  return rows.map((r) => Number(r.id));
}

/** When a job last used each model name (any of its versions); names no job used are not in it. */
export async function lastUseByModelName(pool: Pool): Promise<Map<string, Date>> {
  // One pass over the jobs for all names (jobs.model_id has no index of its own).
  const { rows } = await pool.query<{ name: string; last: Date }>(
    'SELECT m.name, max(j.created_at) AS last FROM jobs j JOIN models m ON m.id = j.model_id GROUP BY m.name',
  );
  return new Map(rows.map((r) => [r.name, r.last]));
}

/** Every model version's id, content hash and schema (not its bytes), oldest first; not those whose files were deleted. */
export async function listModelSchemas(pool: Pool): Promise<{ id: number; sha256: string; schema: unknown }[]> {
  const { rows } = await pool.query<{ id: string; sha256: string; schema: unknown }>(
    'SELECT id, sha256, schema FROM models WHERE onnx IS NOT NULL ORDER BY id',
  );
  return rows.map((r) => ({ id: Number(r.id), sha256: r.sha256, schema: r.schema }));
}

/** Records in a model version's schema what checking the forest evaluator against ONNX Runtime found. */
export async function setModelForestVerdict(
  pool: Pool,
  id: number,
  verdict: { evaluator: number; onnxRuntime: string } | null,
): Promise<void> {
  await pool.query(`UPDATE models SET schema = jsonb_set(schema, '{forestVerified}', $2::jsonb, true) WHERE id = $1`, [
    id,
    JSON.stringify(verdict),
  ]);
}

/**
 * A model version's ONNX graph (the bytes the workers run). Read whole as a query's result, a graph over 256 MiB
 * (MAX_MODEL_BYTES is 512 MiB) took the web or worker process down on its first use: see readByteaValues.
 */
export async function getModelBytes(pool: Pool, sha256: string): Promise<Uint8Array> {
  const [bytes] = await readByteaValues(
    pool,
    (client) => `SELECT onnx FROM models WHERE sha256 = ${client.escapeLiteral(sha256)} AND onnx IS NOT NULL LIMIT 1`,
  );
  if (!bytes) throw new Error(`no model with sha256 ${sha256}`);
  return bytes;
}

/**
 * `length` bytes of an original upload from `offset` (fewer at its end; none past it). substring() on the
 * uncompressed out-of-line value reads only the pieces it covers, so a large file is sent without being loaded.
 */
export async function readModelOriginal(pool: Pool, sha256: string, offset: number, length: number): Promise<Buffer | null> {
  const { rows } = await pool.query<{ piece: Buffer }>(
    'SELECT substring(bytes FROM $2 FOR $3) AS piece FROM model_originals WHERE sha256 = $1',
    [sha256, offset + 1, length],
  );
  return rows[0]?.piece ?? null;
}
