import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { releaseMemoryAfterLargeTransfers } from '../src/http/release-memory.js';

/**
 * After a large body, the web process collects the young generation, and a full collection only while many
 * buffers are still held: a full one every time made V8 run full collections every few MB through the next
 * large upload. `gc` (V8's, with --expose-gc) is recorded here: vitest does not run with that flag.
 */
type GcCall = { type: 'minor' | 'major' } | undefined;
const g = globalThis as { gc?: (options?: { type: 'minor' | 'major' }) => void };
const realGc = g.gc;

afterEach(() => {
  g.gc = realGc;
});

async function postBody(bytes: number, minBytes: number): Promise<GcCall[]> {
  const calls: GcCall[] = [];
  g.gc = (options) => calls.push(options);
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  releaseMemoryAfterLargeTransfers(server, minBytes);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: Buffer.alloc(bytes) });
    await res.text();
    // The collection runs on setImmediate after the body ends.
    await new Promise((resolve) => setTimeout(resolve, 50));
    return calls;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('releaseMemoryAfterLargeTransfers', () => {
  it('collects the young generation only once a large body was read, with few buffers still held', async () => {
    expect(await postBody(2 * 1024 * 1024, 1024 * 1024)).toEqual([{ type: 'minor' }]);
  });

  it('leaves a small body alone', async () => {
    expect(await postBody(16 * 1024, 1024 * 1024)).toEqual([]);
  });

  it('adds a full collection while more than 32 MB of buffers are still held', async () => {
    const held = new ArrayBuffer(48 * 1024 * 1024);
    expect(await postBody(2 * 1024 * 1024, 1024 * 1024)).toEqual([{ type: 'minor' }, { type: 'major' }]);
    expect(held.byteLength).toBe(48 * 1024 * 1024);
  });
});
