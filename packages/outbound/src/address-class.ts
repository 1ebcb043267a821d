/**
 * What kind of address an IP is, for deciding whether the server may connect to it on someone else's behalf.
 *
 * ipaddr.js parses and matches; the table is ours, because what matters here is "can this reach something
 * that is not the public internet": ipaddr.js's own `range()` calls 192.0.0.0/24 and 198.18.0.0/15 both
 * "reserved", names no 0.0.0.0/8 beyond "unspecified" and does not look inside IPv6 addresses that carry an
 * IPv4 address (mapped, compatible, NAT64, 6to4, Teredo), which the kernel or a relay turns into that IPv4.
 * IPv6 is an allow-list: only global unicast (2000::/3) outside the special blocks is public.
 */
import ipaddr from 'ipaddr.js';

export type AddressClass =
  | 'public'
  /** 0.0.0.0/8 ("this network": 0.0.0.0 reaches the local host on Linux) and :: */
  | 'unspecified'
  | 'loopback'
  /** 10/8, 172.16/12, 192.168/16, and local-use NAT64 64:ff9b:1::/48 */
  | 'private'
  /** 169.254/16 (cloud metadata at 169.254.169.254) and fe80::/10 */
  | 'link-local'
  /** fc00::/7 */
  | 'unique-local'
  /** fec0::/10, deprecated but still routed by some networks */
  | 'site-local'
  /** 100.64/10, carrier-grade NAT: the provider's own network */
  | 'cgnat'
  | 'multicast'
  | 'broadcast'
  /** 192.0.0/24 and 2001::/23 outside Teredo: IETF protocol assignments */
  | 'ietf-protocol'
  /** 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20 */
  | 'documentation'
  /** 198.18/15, 2001:2::/48 */
  | 'benchmark'
  /** 240/4, 192.88.99/24, and every IPv6 address outside 2000::/3 or in a special-purpose block */
  | 'reserved';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

const v4 = (cidr: string): Range => ipaddr.IPv4.parseCIDR(cidr);
const v6 = (cidr: string): Range => ipaddr.IPv6.parseCIDR(cidr);

/** Most specific first; anything not listed is public. */
const IPV4_TABLE: [Range, AddressClass][] = [
  [v4('255.255.255.255/32'), 'broadcast'],
  [v4('0.0.0.0/8'), 'unspecified'],
  [v4('10.0.0.0/8'), 'private'],
  [v4('100.64.0.0/10'), 'cgnat'],
  [v4('127.0.0.0/8'), 'loopback'],
  [v4('169.254.0.0/16'), 'link-local'],
  [v4('172.16.0.0/12'), 'private'],
  [v4('192.0.0.0/24'), 'ietf-protocol'],
  [v4('192.0.2.0/24'), 'documentation'],
  [v4('192.88.99.0/24'), 'reserved'], // former 6to4 relay anycast
  [v4('192.168.0.0/16'), 'private'],
  [v4('198.18.0.0/15'), 'benchmark'],
  [v4('198.51.100.0/24'), 'documentation'],
  [v4('203.0.113.0/24'), 'documentation'],
  [v4('224.0.0.0/4'), 'multicast'],
  [v4('240.0.0.0/4'), 'reserved'],
];

/** IPv6 blocks that are not public in themselves (embedded-IPv4 blocks are handled before this table). */
const UNSPECIFIED6 = v6('::/128');
const LOOPBACK6 = v6('::1/128');
const IPV6_TABLE: [Range, AddressClass][] = [
  [UNSPECIFIED6, 'unspecified'],
  [LOOPBACK6, 'loopback'],
  [v6('64:ff9b:1::/48'), 'private'],
  [v6('100::/64'), 'reserved'], // discard-only
  [v6('2001:2::/48'), 'benchmark'],
  [v6('2001:db8::/32'), 'documentation'],
  [v6('2001::/23'), 'ietf-protocol'],
  [v6('3fff::/20'), 'documentation'],
  [v6('5f00::/16'), 'reserved'], // segment routing SIDs
  [v6('fc00::/7'), 'unique-local'],
  [v6('fe80::/10'), 'link-local'],
  [v6('fec0::/10'), 'site-local'],
  [v6('ff00::/8'), 'multicast'],
];
const GLOBAL_UNICAST = v6('2000::/3');

const IPV4_MAPPED = v6('::ffff:0:0/96');
const IPV4_TRANSLATED = v6('::ffff:0:0:0/96'); // RFC 2765 (SIIT)
const IPV4_COMPATIBLE = v6('::/96'); // deprecated; :: and ::1 are matched first
const NAT64 = v6('64:ff9b::/96');
const SIX_TO_FOUR = v6('2002::/16');
const TEREDO = v6('2001::/32');

function classifyV4(ip: ipaddr.IPv4): AddressClass {
  for (const [range, cls] of IPV4_TABLE) if (ip.match(range)) return cls;
  return 'public';
}

function v4FromBytes(bytes: number[], at: number): ipaddr.IPv4 {
  return new ipaddr.IPv4(bytes.slice(at, at + 4));
}

function classifyV6(ip: ipaddr.IPv6): AddressClass {
  const bytes = ip.toByteArray();
  if (ip.match(IPV4_MAPPED) || ip.match(IPV4_TRANSLATED)) return classifyV4(v4FromBytes(bytes, 12));
  if (ip.match(NAT64)) return classifyV4(v4FromBytes(bytes, 12));
  if (ip.match(IPV4_COMPATIBLE) && !ip.match(UNSPECIFIED6) && !ip.match(LOOPBACK6)) {
    const embedded = classifyV4(v4FromBytes(bytes, 12));
    return embedded === 'public' ? 'reserved' : embedded;
  }
  if (ip.match(SIX_TO_FOUR)) return classifyV4(v4FromBytes(bytes, 2));
  if (ip.match(TEREDO)) {
    // 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC, server in the clear, client bit-inverted.
    const server = classifyV4(v4FromBytes(bytes, 4));
    if (server !== 'public') return server;
    return classifyV4(new ipaddr.IPv4(bytes.slice(12, 16).map((b) => b ^ 0xff)));
  }
  for (const [range, cls] of IPV6_TABLE) if (ip.match(range)) return cls;
  return ip.match(GLOBAL_UNICAST) ? 'public' : 'reserved';
}

/** Parses a textual IP in its standard form (dotted quad, or IPv6 with an optional zone); null otherwise. */
export function parseIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return ipaddr.IPv4.parse(bare);
  if (!bare.includes(':')) return null;
  const hex = dottedTailToHex(bare);
  if (hex === null || !ipaddr.IPv6.isValid(hex)) return null;
  return ipaddr.IPv6.parse(hex);
}

/**
 * `::8.8.8.8` -> `::808:808`. ipaddr.js reads an IPv6 address ending in a dotted quad after `::` as IPv4-mapped
 * (`::ffff:8.8.8.8`), which is another address; so the tail is turned into two hex groups first.
 */
function dottedTailToHex(text: string): string | null {
  const m = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(%.*)?$/.exec(text);
  if (!m) return text.includes('.') && !text.includes('%') ? null : text;
  const octets = [m[2], m[3], m[4], m[5]].map(Number);
  if (octets.some((o) => o > 255)) return null;
  const [a, b, c, d] = octets as [number, number, number, number];
  return `${m[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}${m[6] ?? ''}`;
}

/** The class of an IPv4 or IPv6 address (standard textual form). Throws a TypeError for anything else. */
export function classifyAddress(ip: string): AddressClass {
  const parsed = parseIp(ip);
  if (!parsed) throw new TypeError(`Not an IP address: ${JSON.stringify(ip.slice(0, 100))}`);
  return parsed.kind() === 'ipv4' ? classifyV4(parsed as ipaddr.IPv4) : classifyV6(parsed as ipaddr.IPv6);
}

export function isPublicAddress(ip: string): boolean {
  return classifyAddress(ip) === 'public';
}
