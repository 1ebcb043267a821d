import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboundError, type OutboundPolicy, safeFetch } from '../src/index.js';

/** reach: listed-only — only the listed hosts, on every hop, and an unlisted name is never even resolved. */
let server: http.Server;
let port = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/away') {
      res.writeHead(302, { location: `http://localhost:${port}/data.csv` }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/csv' }).end('a,b\n1,2\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const policy: OutboundPolicy = { allowHosts: ['127.0.0.1:*'], allowHttp: 'allowed-hosts-only', reach: 'listed-only' };
const opts = { policy, deadlineMs: 5_000, maxBodyBytes: 1_000 };

describe('reach: listed-only', () => {
  it('fetches from a listed host', async () => {
    const res = await safeFetch(`http://127.0.0.1:${port}/data.csv`, opts);
    expect(res.body.toString()).toBe('a,b\n1,2\n');
  });

  it('refuses an unlisted host without resolving it, and a redirect to one', async () => {
    let resolved = 0;
    const resolver = async () => {
      resolved++;
      return [{ address: '93.184.216.34', family: 4 as const }];
    };
    const err = await safeFetch('https://exports.example.com/data.csv', { ...opts, resolver }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundError);
    expect((err as OutboundError).code).toBe('host_not_allowed');
    expect(resolved).toBe(0);
    const hop = await safeFetch(`http://127.0.0.1:${port}/away`, opts).catch((e: unknown) => e);
    expect((hop as OutboundError).code).toBe('host_not_allowed');
  });
});
