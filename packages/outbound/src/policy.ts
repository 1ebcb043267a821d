/**
 * Which URLs the server may request: the scheme, the host and every address the host resolves to.
 */
import ipaddr from 'ipaddr.js';
import { classifyAddress, parseIp } from './address-class.js';
import { displayUrl, OutboundError } from './errors.js';
import { resolveHost } from './resolve.js';
import type { Resolver, ResolvedAddress } from './resolve.js';

export interface OutboundPolicy {
  /**
   * Hosts that may have non-public addresses (an internal webhook receiver, a file server on the LAN, tests):
   * host names (exact, case-insensitive; `*.example.internal` for every subdomain of example.internal), IP
   * addresses and CIDR blocks (`10.1.0.0/16`, `fd00::/8`). Any of them may name one port: `hooks.internal:8443`,
   * `127.0.0.1:8080`, `[::1]:8080`, `*.corp:443`, `10.0.0.0/8:443`, `[fd00::/8]:443`; then only URLs on that port
   * are let through by it. `:*` lets every port through (`127.0.0.1:*`, `[::1]:*`). An entry without a port lets
   * only the URL's default port through (443 for https://, 80 for http://): a forgotten port must not open every
   * service of an internal host (PostgreSQL, Redis, an admin API) to whoever registers a URL. Empty: only public
   * addresses are reached.
   */
  allowHosts: readonly string[];
  /** `allowed-hosts-only`: plain http:// only for hosts in allowHosts, everything else needs https://. */
  allowHttp: 'always' | 'allowed-hosts-only';
  /**
   * `listed-only`: only hosts in allowHosts may be requested at all, on every redirect too (schedule sources:
   * an admin names the servers exports come from). Default `public-or-listed`: any public host, plus those listed.
   */
  reach?: 'public-or-listed' | 'listed-only';
}

/**
 * The port an allowHosts entry lets through: a number (`host:8443`), `any` (`host:*`), or `default` (no port
 * written: the URL's scheme's own port only, 443 for https://, 80 for http://).
 */
type EntryPort = number | 'any' | 'default';

/** One allowHosts entry, read. */
export type AllowEntry =
  | { kind: 'name'; name: string; port: EntryPort }
  /** `*.example.internal`: `suffix` is `.example.internal`. */
  | { kind: 'suffix'; suffix: string; port: EntryPort }
  | { kind: 'range'; range: [ipaddr.IPv4 | ipaddr.IPv6, number]; port: EntryPort };

/** A policy checked once: its allowHosts split into names, suffixes and ranges, each with its port. */
export interface CompiledPolicy {
  readonly policy: OutboundPolicy;
  readonly names: ReadonlyMap<string, readonly EntryPort[]>;
  readonly suffixes: readonly [string, EntryPort][];
  readonly ranges: readonly [ipaddr.IPv4 | ipaddr.IPv6, number, EntryPort][];
}

const portOf = (raw: string, text: string): EntryPort => {
  if (text === '*') return 'any';
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new TypeError(`allowHosts: "${raw}" names the port "${text}": a port is a number from 1 to 65535, or * for every port.`);
  }
  return port;
};

/**
 * Reads one allowHosts entry (a TypeError says what is wrong with it): a host name, `*.suffix`, an IP address
 * or a CIDR block, optionally followed by `:port` or `:*` (an IPv6 address or block in brackets then: `[::1]:8080`).
 */
export function parseAllowEntry(raw: string): AllowEntry {
  const entry = raw.trim().toLowerCase();
  if (entry === '') throw new TypeError('allowHosts: an entry is empty.');
  const notAHost = () =>
    new TypeError(
      `allowHosts: "${raw}" is not a host: give a host name, *.suffix, IP address or CIDR block, optionally with :port or :* (e.g. hooks.internal:8443), without scheme, path or user.`,
    );
  if (entry.includes('://') || /[?#@\s\\]/.test(entry)) throw notAHost();
  let host = entry;
  let port: EntryPort = 'default';
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(entry);
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2] !== undefined) port = portOf(raw, bracketed[2]);
    const bare = host.split('/')[0]!;
    if (!parseIp(bare) || parseIp(bare)!.kind() !== 'ipv6') {
      throw new TypeError(`allowHosts: "${raw}": only an IPv6 address or block goes in brackets (e.g. [::1]:8080, [fd00::/8]:443).`);
    }
  } else if (entry.startsWith('[')) {
    throw new TypeError(`allowHosts: "${raw}" is not a valid [IPv6]:port (e.g. [::1]:8080).`);
  } else if ((entry.match(/:/g) ?? []).length === 1) {
    // One colon: host:port. (More than one is an IPv6 address without a port, which needs brackets to have one.)
    const at = entry.lastIndexOf(':');
    host = entry.slice(0, at);
    port = portOf(raw, entry.slice(at + 1));
  }
  const ip = parseIp(host);
  if (ip) return { kind: 'range', range: [ip, ip.kind() === 'ipv4' ? 32 : 128], port };
  if (host.includes('/')) {
    if (!parseIp(host.slice(0, host.indexOf('/')))) throw notAHost();
    if (!ipaddr.isValidCIDR(host)) throw new TypeError(`allowHosts: "${raw}" is not a valid CIDR block (e.g. 10.0.0.0/8).`);
    return { kind: 'range', range: ipaddr.parseCIDR(host), port };
  }
  if (host.startsWith('*.') && isHostName(host.slice(2))) return { kind: 'suffix', suffix: stripDot(host.slice(1)), port };
  if (isHostName(host)) return { kind: 'name', name: stripDot(host), port };
  throw new TypeError(`allowHosts: "${raw}" is neither a host name, an IP address nor a CIDR block (each optionally with :port or :*).`);
}

const compiled = new WeakMap<OutboundPolicy, CompiledPolicy>();

/** Validates a policy (a TypeError names a bad allowHosts entry); cached per policy object. */
export function compilePolicy(policy: OutboundPolicy): CompiledPolicy {
  const hit = compiled.get(policy);
  if (hit) return hit;
  if (policy.reach !== undefined && policy.reach !== 'public-or-listed' && policy.reach !== 'listed-only') {
    throw new TypeError(`reach must be 'public-or-listed' or 'listed-only' (got ${JSON.stringify(policy.reach)}).`);
  }
  if (policy.allowHttp !== 'always' && policy.allowHttp !== 'allowed-hosts-only') {
    throw new TypeError(`allowHttp must be 'always' or 'allowed-hosts-only' (got ${JSON.stringify(policy.allowHttp)}).`);
  }
  const names = new Map<string, EntryPort[]>();
  const suffixes: [string, EntryPort][] = [];
  const ranges: [ipaddr.IPv4 | ipaddr.IPv6, number, EntryPort][] = [];
  for (const raw of policy.allowHosts) {
    if (raw.trim() === '') continue;
    const entry = parseAllowEntry(raw);
    if (entry.kind === 'range') ranges.push([...entry.range, entry.port]);
    else if (entry.kind === 'suffix') suffixes.push([entry.suffix, entry.port]);
    else names.set(entry.name, [...(names.get(entry.name) ?? []), entry.port]);
  }
  const result: CompiledPolicy = { policy, names, suffixes, ranges };
  compiled.set(policy, result);
  return result;
}

const stripDot = (host: string) => (host.endsWith('.') ? host.slice(0, -1) : host);
const isHostName = (s: string) => /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/.test(s);

/** The port a URL is on, and whether that is its scheme's own (443 for https://, 80 for http://). */
interface UrlPort {
  port: number;
  isDefault: boolean;
}

/**
 * Whether an entry's port lets the URL's port through. An entry without one (`default`) lets only the scheme's
 * own port through, so `https://host:80/` is not let through by a bare `host`: that is a port nobody listed.
 */
const portMatches = (entryPort: EntryPort, at: UrlPort) =>
  entryPort === 'any' || (entryPort === 'default' ? at.isDefault : entryPort === at.port);

function nameAllowed(p: CompiledPolicy, hostname: string, port: UrlPort): boolean {
  const host = stripDot(hostname.toLowerCase());
  return (
    (p.names.get(host) ?? []).some((e) => portMatches(e, port)) || p.suffixes.some(([s, e]) => host.endsWith(s) && portMatches(e, port))
  );
}

function addressInRanges(p: CompiledPolicy, address: string, port: UrlPort): boolean {
  const ip = parseIp(address);
  if (!ip) return false;
  // An IPv4-mapped IPv6 address is the IPv4 address, for ranges too.
  const plain = ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress() ? (ip as ipaddr.IPv6).toIPv4Address() : ip;
  return p.ranges.some(([net, bits, e]) => net.kind() === plain.kind() && plain.match(net, bits) && portMatches(e, port));
}

/**
 * Why a URL's host and port are not let through where only listed hosts may be requested (reach: listed-only, the
 * admin's schedule sources), naming both (`127.0.0.1:3310`): a host that is listed, but with other ports, is said
 * to be one this server may request on those ports only, so that nobody adds a host that is there already. An IP
 * literal counts as listed when a listed address or block holds it. (address_not_allowed, which webhooks registered
 * by API keys get, tells nothing of the list.)
 */
function hostNotAllowed(p: CompiledPolicy, url: URL, hostname: string, at: UrlPort, literal: boolean): string {
  return otherPortsOnly(p, url, hostname, at, literal) ?? `${url.hostname}:${at.port} is not one of the hosts this server may request.`;
}

/** For a host listed with other ports than the URL's: the refusal, saying so; otherwise null. */
function otherPortsOnly(p: CompiledPolicy, url: URL, hostname: string, at: UrlPort, literal: boolean): string | null {
  const where = `${url.hostname}:${at.port}`;
  const host = stripDot(hostname.toLowerCase());
  const ip = literal ? parseIp(hostname) : null;
  const plain = ip && ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress() ? (ip as ipaddr.IPv6).toIPv4Address() : ip;
  const entryPorts: EntryPort[] = plain
    ? p.ranges.filter(([net, bits]) => net.kind() === plain.kind() && plain.match(net, bits)).map(([, , e]) => e)
    : [...(p.names.get(host) ?? []), ...p.suffixes.filter(([suffix]) => host.endsWith(suffix)).map(([, e]) => e)];
  // An entry without a port means the scheme's own; 'any' would have let the URL through.
  const schemePort = url.protocol === 'https:' ? 443 : 80;
  const ports = [...new Set(entryPorts.map((e) => (e === 'default' ? schemePort : e)).filter((e): e is number => typeof e === 'number'))]
    .sort((a, b) => a - b)
    .map(String);
  if (ports.length === 0) return null;
  const list = ports.length === 1 ? `port ${ports[0]}` : `ports ${ports.slice(0, -1).join(', ')} and ${ports.at(-1)}`;
  return `${where} is not allowed: the port is what is refused. ${url.hostname} is one of the hosts this server may request, on ${list} only, not on port ${at.port}.`;
}

/** A URL that passed the checks: where to connect, and the addresses the connection is pinned to. */
export interface CheckedTarget {
  url: URL;
  /** Host name or IP literal as it appears in the URL, without IPv6 brackets. */
  hostname: string;
  port: number;
  /** Every address the host resolved to (the literal itself for an IP host); all of them passed. */
  addresses: ResolvedAddress[];
}

/** Parses a URL and applies the scheme rule that does not need DNS. */
export function parseTarget(raw: string | URL): URL {
  let url: URL;
  try {
    url = new URL(String(raw));
  } catch {
    // Quoted for the user, with anything that may be a user name and password left out.
    const shown = String(raw)
      .slice(0, 200)
      .replace(/\/\/[^/@\s]*@/, '//…@');
    throw new OutboundError('invalid_url', `"${shown}" is not a valid absolute URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundError('scheme_not_allowed', `Only http:// and https:// URLs can be requested (got ${url.protocol}//).`, {
      url: displayUrl(url),
    });
  }
  if (url.username || url.password) {
    throw new OutboundError('invalid_url', 'The URL must not carry a user name or password; send credentials in a header instead.', {
      url: displayUrl(url),
    });
  }
  if (url.hostname === '') throw new OutboundError('invalid_url', `"${displayUrl(url)}" has no host.`);
  return url;
}

/**
 * Checks scheme, host and every resolved address of a URL against the policy. A refused address says
 * only that: which class it was, or that the name resolved at all to something internal, is not told.
 */
export async function checkTarget(
  raw: string | URL,
  policy: OutboundPolicy,
  opts: { resolver?: Resolver | undefined; signal: AbortSignal },
): Promise<CheckedTarget> {
  const p = compilePolicy(policy);
  const url = parseTarget(raw);
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const schemePort = url.protocol === 'https:' ? 443 : 80;
  // The URL parser drops a port equal to the scheme's, so url.port is '' for https://h:443/ as for https://h/.
  const port = url.port ? Number(url.port) : schemePort;
  const at: UrlPort = { port, isDefault: port === schemePort };
  const literal = parseIp(hostname);
  const named = !literal && nameAllowed(p, hostname, at);
  // Before any DNS lookup: a host that is not listed is not even resolved.
  if (p.policy.reach === 'listed-only' && !named && !(literal && addressInRanges(p, hostname, at))) {
    throw new OutboundError('host_not_allowed', hostNotAllowed(p, url, hostname, at, !!literal), { url: displayUrl(url) });
  }
  const addresses: ResolvedAddress[] = literal
    ? [{ address: hostname, family: literal.kind() === 'ipv4' ? 4 : 6 }]
    : await resolveHost(hostname, url, opts);
  // Said alike whatever is listed: a webhook's refusal reaches API keys, who are told nothing about the list.
  const refused = () =>
    new OutboundError('address_not_allowed', `The address of ${url.hostname} is not allowed.`, { url: displayUrl(url) });
  for (const a of addresses) {
    let cls: string;
    try {
      cls = classifyAddress(a.address);
    } catch {
      throw refused();
    }
    if (cls !== 'public' && !named && !addressInRanges(p, a.address, at)) throw refused();
  }
  if (url.protocol === 'http:' && p.policy.allowHttp === 'allowed-hosts-only') {
    const allowed = named || addresses.every((a) => addressInRanges(p, a.address, at));
    if (!allowed) {
      throw new OutboundError(
        'scheme_not_allowed',
        `Use https:// for ${url.host}: plain http:// is only allowed for the configured hosts.`,
        {
          url: displayUrl(url),
        },
      );
    }
  }
  return { url, hostname, port, addresses };
}
