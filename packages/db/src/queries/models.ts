import type { Pool } from '../pool.js';
import { inTransaction } from '../pool.js';

/** A registered model version without its bytes (which can be large). */
export interface ModelRecord {
  id: number;
  name: string;
  version: number;
  sha256: string;
  schema: unknown;
  description: string;
  sourceFile: string | null;
  createdAt: Date;
}

const columns = `id, name, version, sha256, schema, description, source_file AS "sourceFile", created_at AS "createdAt"`;

/** Adds a model version: version 1 for a new name, else one more than the latest. */
export async function insertModelVersion(
  pool: Pool,
  m: { name: string; sha256: string; onnx: Uint8Array; schema: unknown; description: string; sourceFile: string | null },
): Promise<ModelRecord> {
  return inTransaction(pool, async (client) => {
    // Serialise versions of one name so two registrations at once cannot both pick the same number.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`model:${m.name}`]);
    const { rows } = await client.query<ModelRecord>(
      `INSERT INTO models (name, version, sha256, onnx, schema, description, source_file)
       SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5, $6 FROM models WHERE name = $1
       RETURNING ${columns}`,
      [m.name, m.sha256, Buffer.from(m.onnx), JSON.stringify(m.schema), m.description, m.sourceFile],
    );
    return rows[0]!;
  });
}

/** The latest version of a name, or the given version. */
export async function findModel(pool: Pool, name: string, version?: number): Promise<ModelRecord | null> {
  const { rows } = await pool.query<ModelRecord>(
    version === undefined
      ? `SELECT ${columns} FROM models WHERE name = $1 ORDER BY version DESC LIMIT 1`
      : `SELECT ${columns} FROM models WHERE name = $1 AND version = $2`,
    version === undefined ? [name] : [name, version],
  );
  return rows[0] ?? null;
}

export async function getModelById(pool: Pool, id: number): Promise<ModelRecord | null> {
  const { rows } = await pool.query<ModelRecord>(`SELECT ${columns} FROM models WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

/** Every version of every model, newest version first within a name. */
export async function listModels(pool: Pool): Promise<ModelRecord[]> {
  const { rows } = await pool.query<ModelRecord>(`SELECT ${columns} FROM models ORDER BY name, version DESC`);
  return rows;
}

export async function getModelBytes(pool: Pool, sha256: string): Promise<Uint8Array> {
  const { rows } = await pool.query<{ onnx: Buffer }>('SELECT onnx FROM models WHERE sha256 = $1 LIMIT 1', [sha256]);
  if (!rows[0]) throw new Error(`no model with sha256 ${sha256}`);
  return rows[0].onnx;
}
