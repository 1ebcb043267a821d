import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebContext } from '../src/context.js';
import { devOutboxApp, isLoopbackHost } from '../src/routes/outbox.js';

/**
 * The loopback outbox holds job links and answers without a token, so a page that rebinds its own name to
 * 127.0.0.1 must not be able to read it: only a Host naming this machine is answered.
 */
let server: http.Server;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'outbox-'));
  const ctx = { config: { storage: { dataDir } } } as unknown as WebContext;
  server = devOutboxApp(ctx).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

function get(host: string): Promise<{ status: number; body: string }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', headers: { host, accept: 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the loopback development outbox', () => {
  it('answers a Host that names this machine, and 421 to any other name (DNS rebinding)', async () => {
    const { port } = server.address() as AddressInfo;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, 'localhost']) {
      const res = await get(host);
      expect(res.status, host).toBe(200);
      expect(JSON.parse(res.body), host).toEqual({ messages: [] });
    }
    for (const host of [`rebind.attacker.example:${port}`, `127.0.0.1.nip.io:${port}`, `localhost.attacker.example`]) {
      const res = await get(host);
      expect(res.status, host).toBe(421);
      expect(res.body).not.toContain('messages');
    }
  });

  it('tells loopback names from names that only start or end like one', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('[::1]:3001')).toBe(true);
    expect(isLoopbackHost('127.0.0.1.evil:3001')).toBe(false);
    expect(isLoopbackHost('evil-localhost:3001')).toBe(false);
    expect(isLoopbackHost('localhost:3001:1')).toBe(false);
    expect(isLoopbackHost(undefined)).toBe(false);
  });
});
