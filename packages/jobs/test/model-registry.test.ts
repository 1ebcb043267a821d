import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Pool } from '@batchcast/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, findModelVersion, openModelOriginal, registerModel } from '../src/index.js';
import { examples, repoRoot } from '../../../test/support/platform.js';
import { scratchDatabase } from '../../../test/support/services.js';

/**
 * The registry against a real PostgreSQL: what a registration keeps besides the graph (format, library, notes, the
 * original file), originals read back in pieces and kept once per content, refusals that store nothing.
 */
const NATIVE = path.join(repoRoot, 'packages/importers/test/fixtures/native');
let pool: Pool;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ pool, close } = await scratchDatabase('models'));
});
afterAll(async () => {
  await close?.();
});

async function originalBytes(name: string, version: number): Promise<{ bytes: Buffer; pieces: number; filename: string; size: number }> {
  const original = await openModelOriginal(pool, name, version);
  const parts: Buffer[] = [];
  for await (const piece of original.pieces()) parts.push(piece);
  return { bytes: Buffer.concat(parts), pieces: parts.length, filename: original.filename, size: original.size };
}

describe('registerModel', () => {
  it('keeps the format, library, version and notes found in the file, and the file itself', async () => {
    const bytes = await readFile(path.join(NATIVE, 'churn-hgb.joblib'));
    const m = await registerModel(pool, { name: 'churn', bytes, sourceFile: 'models/churn-hgb.joblib' });
    expect(m).toMatchObject({ name: 'churn', version: 1, format: 'sklearn-joblib', library: 'scikit-learn', libraryVersion: '1.2.1' });
    expect(m.converted[0]).toMatch(/^Pipeline\(ColumnTransformer/);
    expect(m.original).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: bytes.length });
    expect(m.original!.sha256).not.toBe(m.sha256);
    const read = await originalBytes('churn', 1);
    expect(read.bytes.equals(bytes)).toBe(true);
    expect(read.filename).toBe('churn-hgb.joblib'); // the last path segment of the uploaded name
    expect(await findModelVersion(pool, 'churn')).toMatchObject({ format: 'sklearn-joblib', converted: m.converted });
  });

  it('reads a large original back in pieces, byte for byte', async () => {
    // A valid ONNX model with a 9 MiB doc_string (ModelProto field 6) appended: three 4 MiB pieces.
    const onnx = await readFile(path.join(examples, 'models/iris-logreg.onnx'));
    const doc = Buffer.alloc(9 * 1024 * 1024 + 123, 'batchcast ');
    const length = doc.length;
    const varint = [(length & 0x7f) | 0x80, ((length >> 7) & 0x7f) | 0x80, ((length >> 14) & 0x7f) | 0x80, (length >> 21) & 0x7f];
    const bytes = Buffer.concat([onnx, Buffer.from([0x32, ...varint]), doc]);
    const m = await registerModel(pool, { name: 'iris-large', bytes, sourceFile: null });
    expect(m.format).toBe('onnx');
    const read = await originalBytes('iris-large', 1);
    expect(read.pieces).toBe(3);
    expect(read.size).toBe(bytes.length);
    expect(read.bytes.equals(bytes)).toBe(true);
    expect(read.filename).toBe('iris-large-v1.onnx');
  });

  it('keeps one copy of a file registered twice, each version pointing at it', async () => {
    const bytes = await readFile(path.join(NATIVE, 'diabetes-xgb.ubj'));
    const a = await registerModel(pool, { name: 'diabetes-a', bytes });
    const b = await registerModel(pool, { name: 'diabetes-b', bytes });
    expect(a.original).toEqual(b.original);
    expect((await originalBytes('diabetes-b', 1)).bytes.equals(bytes)).toBe(true);
  });

  it('refuses what the importer refuses, as a 422-kind DomainError with its code, and stores nothing', async () => {
    const evil = await readFile(path.join(NATIVE, 'evil.pkl'));
    const err = await registerModel(pool, { name: 'evil', bytes: evil }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ kind: 'unprocessable', code: 'unsafe_pickle' });
    expect((err as Error).message).toMatch(/(posix|os)\.system/);
    expect(await findModelVersion(pool, 'evil')).toBeNull();
  });

  it('answers not_found for a version that does not exist', async () => {
    for (const [name, version] of [
      ['churn', 2],
      ['churn', 0],
      ['nope', 1],
    ] as const) {
      await expect(openModelOriginal(pool, name, version)).rejects.toMatchObject({ kind: 'not_found' });
    }
  });
});
