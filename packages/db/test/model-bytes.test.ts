import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getModelBytes, insertModelVersion, type Pool } from '../src/index.js';
import { scratchDatabase } from '../../../test/support/services.js';

/**
 * Reading a model's graph back from a real PostgreSQL. Read as a query's result, a bytea comes as hex text twice its
 * size, and a graph over 256 MiB passed V8's longest string: pg's parser threw where nothing could catch it, and the first
 * prediction with a 300 MB model (registered fine: MAX_MODEL_BYTES is 512 MiB) took the web process down.
 */
let pool: Pool;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ pool, close } = await scratchDatabase('model_bytes'));
});
afterAll(async () => {
  await close?.();
});

const insert = (name: string, sha256: string, onnx: Uint8Array) =>
  insertModelVersion(pool, {
    name,
    sha256,
    onnx,
    schema: {},
    description: '',
    sourceFile: null,
    original: { sha256: `original-${sha256}`, bytes: new Uint8Array([1]) },
  });

describe('getModelBytes', () => {
  it('reads a graph of 300 MiB, past what one hex string can hold, byte for byte', { timeout: 120_000 }, async () => {
    const graph = randomBytes(300 * 1024 * 1024);
    await insert('big', 'sha-big', graph);
    const read = await getModelBytes(pool, 'sha-big');
    expect(read.length).toBe(graph.length);
    expect(Buffer.from(read.buffer, read.byteOffset, read.byteLength).equals(graph)).toBe(true);
  });

  it('reads small and empty graphs as stored, and says when there is no such graph', async () => {
    const graph = randomBytes(10_000);
    await insert('small', 'sha-small', graph);
    expect(Buffer.from(await getModelBytes(pool, 'sha-small')).equals(graph)).toBe(true);
    await insert('empty', 'sha-empty', new Uint8Array(0));
    expect((await getModelBytes(pool, 'sha-empty')).length).toBe(0);
    await expect(getModelBytes(pool, 'sha-none')).rejects.toThrow('no model with sha256 sha-none');
    // A sha256 is spliced into the COPY as an escaped literal: a quote in it is only a character.
    await expect(getModelBytes(pool, "x' OR 'a' = 'a")).rejects.toThrow("no model with sha256 x' OR 'a' = 'a");
  });
});
