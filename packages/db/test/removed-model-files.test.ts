import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteRemovedModelFiles, getModelBytes, insertModelVersion, type Pool, removeModelVersions } from '../src/index.js';
import { scratchDatabase } from '../../../test/support/services.js';

/**
 * The retention sweep's part for removed model versions, against a real PostgreSQL: files go only once no job
 * refers to the version and its removal is past the grace; the row (and so its version number) stays.
 */
let pool: Pool;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ pool, close } = await scratchDatabase('removed_model_files'));
});
afterAll(async () => {
  await close?.();
});

const bytes = (text: string) => new TextEncoder().encode(text);

async function version(name: string, sha: string, original: string) {
  return insertModelVersion(pool, {
    name,
    sha256: sha,
    onnx: bytes(`graph ${sha}`),
    schema: {},
    description: '',
    sourceFile: null,
    original: { sha256: original, bytes: bytes(`file ${original}`) },
  });
}

/** A finished job made with the version (only the columns the table requires). */
async function jobOn(modelId: number): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO jobs (id, model_id, status, filename, upload_key, bytes, layout, targets, rows_total, chunk_count)
     VALUES (gen_random_uuid(), $1, 'succeeded', 'f.csv', 'uploads/x', 1, '{}', '[]', 1, 1) RETURNING id`,
    [modelId],
  );
  return rows[0]!.id;
}

/** Moves a removal back in time, as the 24-hour grace would have passed. */
const removedHoursAgo = (id: number, hours: number) =>
  pool.query(`UPDATE models SET removed_at = now() - make_interval(hours => $2) WHERE id = $1`, [id, hours]);

const originals = async () =>
  (await pool.query<{ sha256: string }>('SELECT sha256 FROM model_originals ORDER BY sha256')).rows.map((r) => r.sha256);

describe('deleteRemovedModelFiles', () => {
  it('keeps a removed version’s files while a job refers to it or within the grace, then deletes them and keeps the row', async () => {
    const v1 = await version('m', 'sha-a', 'orig-shared');
    const v2 = await version('m', 'sha-b', 'orig-shared');
    const v3 = await version('m', 'sha-c', 'orig-own');
    const job = await jobOn(v1.id);
    await removeModelVersions(pool, 'm', 1, () => undefined);
    await removeModelVersions(pool, 'm', 3, () => undefined);

    // Removed just now: within the grace, nothing goes.
    expect(await deleteRemovedModelFiles(pool, 24)).toEqual([]);
    await removedHoursAgo(v1.id, 25);
    await removedHoursAgo(v3.id, 25);
    // v1 is still used by a job; v3 is not.
    expect(await deleteRemovedModelFiles(pool, 24)).toEqual([{ name: 'm', version: 3 }]);
    await expect(getModelBytes(pool, 'sha-c')).rejects.toThrow(/no model with sha256 sha-c/);
    expect(await originals()).toEqual(['orig-shared']);

    // The job is gone (retention): v1's graph goes, but its original stays, v2 (offered) was made from it.
    await pool.query('DELETE FROM jobs WHERE id = $1', [job]);
    expect(await deleteRemovedModelFiles(pool, 24)).toEqual([{ name: 'm', version: 1 }]);
    await expect(getModelBytes(pool, 'sha-a')).rejects.toThrow();
    expect(Buffer.from(await getModelBytes(pool, 'sha-b')).toString()).toBe('graph sha-b');
    expect(await originals()).toEqual(['orig-shared']);
    expect(v2.removedAt).toBeNull();

    // The rows stay, so a new registration never reuses their numbers.
    expect((await version('m', 'sha-d', 'orig-new')).version).toBe(4);
    expect(await deleteRemovedModelFiles(pool, 24)).toEqual([]);
  });
});
