import type { Pool } from '../pool.js';
import { inTransaction } from '../pool.js';

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
}

interface ModelRow extends Omit<ModelRecord, 'original'> {
  originalSha256: string | null;
  originalSize: number | null;
}

const columns = `m.id, m.name, m.version, m.sha256, m.schema, m.description, m.source_file AS "sourceFile", m.created_at AS "createdAt",
  m.format, m.library, m.library_version AS "libraryVersion", m.converted,
  m.original_sha256 AS "originalSha256", o.size AS "originalSize"`;
// The join reads the originals' size only: their bytes are stored out of line and never fetched here.
const from = 'models m LEFT JOIN model_originals o ON o.sha256 = m.original_sha256';

function record({ originalSha256, originalSize, ...row }: ModelRow): ModelRecord {
  return { ...row, original: originalSha256 === null ? null : { sha256: originalSha256, size: originalSize ?? 0 } };
}

export interface NewModelVersion {
  name: string;
  sha256: string;
  onnx: Uint8Array;
  schema: unknown;
  description: string;
  sourceFile: string | null;
  /** What was uploaded (default 'onnx'), the library and version that wrote it, notes of what was converted. */
  format?: string;
  library?: string | null;
  libraryVersion?: string | null;
  converted?: string[];
  /** The uploaded file, kept once per distinct content (the registry always gives it; the benchmark does not). */
  original?: { sha256: string; bytes: Uint8Array } | null;
}

/** Adds a model version (version 1 for a new name, else one more than the latest) with its original upload. */
export async function insertModelVersion(pool: Pool, m: NewModelVersion): Promise<ModelRecord> {
  return inTransaction(pool, async (client) => {
    // Serialise versions of one name so two registrations at once cannot both pick the same number.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`model:${m.name}`]);
    if (m.original) {
      const original = Buffer.from(m.original.bytes.buffer, m.original.bytes.byteOffset, m.original.bytes.byteLength);
      await client.query('INSERT INTO model_originals (sha256, size, bytes) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING', [
        m.original.sha256,
        original.length,
        original,
      ]);
    }
    const { rows } = await client.query<{ id: number }>(
      `INSERT INTO models (name, version, sha256, onnx, schema, description, source_file, format, library, library_version, converted, original_sha256)
       SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM models WHERE name = $1
       RETURNING id`,
      [
        m.name,
        m.sha256,
        Buffer.from(m.onnx),
        JSON.stringify(m.schema),
        m.description,
        m.sourceFile,
        m.format ?? 'onnx',
        m.library ?? null,
        m.libraryVersion ?? null,
        JSON.stringify(m.converted ?? []),
        m.original?.sha256 ?? null,
      ],
    );
    const inserted = await client.query<ModelRow>(`SELECT ${columns} FROM ${from} WHERE m.id = $1`, [rows[0]!.id]);
    return record(inserted.rows[0]!);
  });
}

/** The latest version of a name, or the given version. */
export async function findModel(pool: Pool, name: string, version?: number): Promise<ModelRecord | null> {
  const { rows } = await pool.query<ModelRow>(
    version === undefined
      ? `SELECT ${columns} FROM ${from} WHERE m.name = $1 ORDER BY m.version DESC LIMIT 1`
      : `SELECT ${columns} FROM ${from} WHERE m.name = $1 AND m.version = $2`,
    version === undefined ? [name] : [name, version],
  );
  return rows[0] ? record(rows[0]) : null;
}

export async function getModelById(pool: Pool, id: number): Promise<ModelRecord | null> {
  const { rows } = await pool.query<ModelRow>(`SELECT ${columns} FROM ${from} WHERE m.id = $1`, [id]);
  return rows[0] ? record(rows[0]) : null;
}

/** Every version of every model, newest version first within a name. */
export async function listModels(pool: Pool): Promise<ModelRecord[]> {
  const { rows } = await pool.query<ModelRow>(`SELECT ${columns} FROM ${from} ORDER BY m.name, m.version DESC`);
  return rows.map(record);
}

/** When a job last used each model name (any of its versions); names no job used are not in it. */
export async function lastUseByModelName(pool: Pool): Promise<Map<string, Date>> {
  // One pass over the jobs for all names (jobs.model_id has no index of its own).
  const { rows } = await pool.query<{ name: string; last: Date }>(
    'SELECT m.name, max(j.created_at) AS last FROM jobs j JOIN models m ON m.id = j.model_id GROUP BY m.name',
  );
  return new Map(rows.map((r) => [r.name, r.last]));
}

/** Every model version's id, content hash and schema (not its bytes), oldest first. */
export async function listModelSchemas(pool: Pool): Promise<{ id: number; sha256: string; schema: unknown }[]> {
  const { rows } = await pool.query<{ id: string; sha256: string; schema: unknown }>('SELECT id, sha256, schema FROM models ORDER BY id');
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

export async function getModelBytes(pool: Pool, sha256: string): Promise<Uint8Array> {
  const { rows } = await pool.query<{ onnx: Buffer }>('SELECT onnx FROM models WHERE sha256 = $1 LIMIT 1', [sha256]);
  if (!rows[0]) throw new Error(`no model with sha256 ${sha256}`);
  return rows[0].onnx;
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
