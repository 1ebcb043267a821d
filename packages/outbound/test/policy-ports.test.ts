import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkUrl, OutboundError, type OutboundPolicy, parseAllowEntry, safeFetch } from '../src/index.js';

/**
 * allowHosts entries with a port (`host:port`, `[v6]:port`): the listed host is let through on that port only,
 * against two real servers on 127.0.0.1, one listed with its port and one not. `host:*` lets every port through;
 * an entry without a port only the URL's default one (443 for https://, 80 for http://).
 */
const servers: http.Server[] = [];
let listed = 0;
let unlisted = 0;
beforeAll(async () => {
  for (const body of ['listed', 'unlisted']) {
    const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
  }
  listed = (servers[0]!.address() as AddressInfo).port;
  unlisted = (servers[1]!.address() as AddressInfo).port;
});
afterAll(() => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))));

const resolver = async (name: string) => {
  if (name === 'hooks.internal' || name === 'a.corp') return [{ address: '127.0.0.1', family: 4 as const }];
  throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
};

const fetchWith = (allowHosts: string[], url: string, extra: Partial<OutboundPolicy> = {}) =>
  safeFetch(url, {
    policy: { allowHosts, allowHttp: 'allowed-hosts-only', ...extra },
    deadlineMs: 5_000,
    maxBodyBytes: 1_000,
    resolver,
  });

const codeOf = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OutboundError);
  return (err as OutboundError).code;
};

describe('an allowHosts entry with a port', () => {
  it('lets its host through on that port and no other (IP, name, *.suffix, CIDR)', async () => {
    for (const [entry, host] of [
      [`127.0.0.1:${listed}`, '127.0.0.1'],
      [`hooks.internal:${listed}`, 'hooks.internal'],
      [`*.corp:${listed}`, 'a.corp'],
      [`127.0.0.0/8:${listed}`, '127.0.0.1'],
    ] as const) {
      const ok = await fetchWith([entry], `http://${host}:${listed}/`);
      expect(ok.body.toString(), entry).toBe('listed');
      // The other port has a server answering too: the refusal is the policy's, not a failed connection.
      expect(await codeOf(fetchWith([entry], `http://${host}:${unlisted}/`)), entry).toBe('address_not_allowed');
      // Nor on the scheme's default port, which the entry does not name either.
      expect(
        await codeOf(checkUrl(`https://${host}/`, { allowHosts: [entry], allowHttp: 'allowed-hosts-only' }, { resolver })),
        entry,
      ).toBe('address_not_allowed');
    }
  });

  it('is "not listed" for reach: listed-only on another port', async () => {
    expect(await codeOf(fetchWith([`127.0.0.1:${listed}`], `http://127.0.0.1:${unlisted}/`, { reach: 'listed-only' }))).toBe(
      'host_not_allowed',
    );
    expect((await fetchWith([`127.0.0.1:${listed}`], `http://127.0.0.1:${listed}/`, { reach: 'listed-only' })).body.toString()).toBe(
      'listed',
    );
  });

  it('a refusal names the host and port, and says it is the port when the host is listed with others', async () => {
    const messageOf = async (p: Promise<unknown>) =>
      (
        (await p.then(
          () => null,
          (e: unknown) => e,
        )) as OutboundError
      ).message;
    for (const [entry, host] of [
      [`127.0.0.1:${listed}`, '127.0.0.1'],
      [`hooks.internal:${listed}`, 'hooks.internal'],
      [`127.0.0.0/8:${listed}`, '127.0.0.1'],
    ] as const) {
      expect(await messageOf(fetchWith([entry], `http://${host}:${unlisted}/`, { reach: 'listed-only' })), entry).toBe(
        `${host}:${unlisted} is not allowed: the port is what is refused. ${host} is one of the hosts this server may request, on port ${listed} only, not on port ${unlisted}.`,
      );
      // Where public hosts may be requested too (webhooks, registered by API keys), nothing of the list is told.
      expect(await messageOf(fetchWith([entry], `http://${host}:${unlisted}/`)), entry).toBe(`The address of ${host} is not allowed.`);
    }
    // Listed on two ports, asked on a third; and an entry without a port (the scheme's own).
    const two = await messageOf(
      fetchWith(['127.0.0.1:1', `127.0.0.1:${listed}`], `http://127.0.0.1:${unlisted}/`, { reach: 'listed-only' }),
    );
    expect(two).toContain(`on ports 1 and ${listed} only, not on port ${unlisted}`);
    const bare = await messageOf(fetchWith(['127.0.0.1'], `http://127.0.0.1:${unlisted}/`, { reach: 'listed-only' }));
    expect(bare).toContain(`on port 80 only, not on port ${unlisted}`);
    // A host not listed at all: host and port named, no word of ports.
    expect(await messageOf(fetchWith(['hooks.internal'], `http://127.0.0.1:${unlisted}/`, { reach: 'listed-only' }))).toBe(
      `127.0.0.1:${unlisted} is not one of the hosts this server may request.`,
    );
  });

  it('several ports of one host are several entries; host:* allows every port (IP, name, *.suffix, CIDR)', async () => {
    const both = [`127.0.0.1:${listed}`, `127.0.0.1:${unlisted}`];
    expect((await fetchWith(both, `http://127.0.0.1:${unlisted}/`)).body.toString()).toBe('unlisted');
    for (const [entry, host] of [
      ['127.0.0.1:*', '127.0.0.1'],
      ['hooks.internal:*', 'hooks.internal'],
      ['*.corp:*', 'a.corp'],
      ['127.0.0.0/8:*', '127.0.0.1'],
    ] as const) {
      expect((await fetchWith([entry], `http://${host}:${unlisted}/`)).body.toString(), entry).toBe('unlisted');
      expect((await fetchWith([entry], `http://${host}:${listed}/`, { reach: 'listed-only' })).body.toString(), entry).toBe('listed');
    }
  });

  it("an entry without a port allows only the URL's default port, not every port of its host", async () => {
    for (const [entry, host] of [
      ['127.0.0.1', '127.0.0.1'],
      ['hooks.internal', 'hooks.internal'],
      ['*.corp', 'a.corp'],
      ['127.0.0.0/8', '127.0.0.1'],
    ] as const) {
      // A server answers on that port: the refusal is the policy's.
      expect(await codeOf(fetchWith([entry], `http://${host}:${unlisted}/`)), entry).toBe('address_not_allowed');
      expect(await codeOf(fetchWith([entry], `http://${host}:${unlisted}/`, { reach: 'listed-only' })), entry).toBe('host_not_allowed');
      // The scheme's own port, written or not, passes the policy (nothing need listen there: checkUrl connects nowhere).
      const policy: OutboundPolicy = { allowHosts: [entry], allowHttp: 'allowed-hosts-only' };
      for (const url of [`https://${host}/`, `https://${host}:443/`, `http://${host}/`, `http://${host}:80/`]) {
        await expect(checkUrl(url, policy, { resolver }), `${entry} ${url}`).resolves.toBeUndefined();
      }
      // The other scheme's default port is not this URL's default: https:// on 80 and http:// on 443 are refused.
      expect(await codeOf(checkUrl(`https://${host}:80/`, policy, { resolver })), entry).toBe('address_not_allowed');
      expect(await codeOf(checkUrl(`http://${host}:443/`, policy, { resolver })), entry).toBe('address_not_allowed');
    }
  });

  it('reads host:port, [v6]:port and the rest; refuses what is not a host with a message saying so', () => {
    expect(parseAllowEntry('Hooks.Internal:8443')).toEqual({ kind: 'name', name: 'hooks.internal', port: 8443 });
    expect(parseAllowEntry('hooks.internal')).toEqual({ kind: 'name', name: 'hooks.internal', port: 'default' });
    expect(parseAllowEntry('hooks.internal:*')).toEqual({ kind: 'name', name: 'hooks.internal', port: 'any' });
    expect(parseAllowEntry('*.corp:*')).toEqual({ kind: 'suffix', suffix: '.corp', port: 'any' });
    expect(parseAllowEntry('[::1]:*')).toMatchObject({ kind: 'range', port: 'any' });
    expect(parseAllowEntry('10.0.0.0/8:*')).toMatchObject({ kind: 'range', port: 'any' });
    expect(parseAllowEntry('*.corp:443')).toEqual({ kind: 'suffix', suffix: '.corp', port: 443 });
    expect(parseAllowEntry('[::1]:8080')).toMatchObject({ kind: 'range', port: 8080 });
    expect(parseAllowEntry('[fd00::/8]:443')).toMatchObject({ kind: 'range', port: 443 });
    expect(parseAllowEntry('::1')).toMatchObject({ kind: 'range', port: 'default' });
    expect(parseAllowEntry('fd00::/8')).toMatchObject({ kind: 'range', port: 'default' });
    expect(parseAllowEntry('10.0.0.0/8:443')).toMatchObject({ kind: 'range', port: 443 });
    const message = (entry: string) => {
      try {
        parseAllowEntry(entry);
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(message('127.0.0.1:0')).toContain('a port is a number from 1 to 65535');
    expect(message('127.0.0.1:65536')).toContain('a port is a number from 1 to 65535');
    expect(message('hooks.internal:')).toContain('a port is a number from 1 to 65535');
    expect(message('hooks.internal:https')).toContain('a port is a number from 1 to 65535, or * for every port');
    expect(message('hooks.internal:**')).toContain('a port is a number from 1 to 65535, or * for every port');
    expect(message('*:*')).toContain('is neither a host name');
    expect(message('http://hooks.internal:8080')).toContain('without scheme, path or user');
    expect(message('hooks.internal/path')).toContain('without scheme, path or user');
    expect(message('[hooks.internal]:80')).toContain('only an IPv6 address or block goes in brackets');
    expect(message('[::1:80')).toContain('[IPv6]:port');
    expect(message('10.0.0.0/99')).toContain('not a valid CIDR block');
    expect(message('exa mple')).toContain('without scheme, path or user');
  });
});
