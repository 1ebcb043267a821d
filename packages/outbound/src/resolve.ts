/**
 * Host name resolution for outbound requests: every A and AAAA record, once per hop, bounded by the request's
 * deadline. The addresses found here are the only ones the request may connect to (see safe-fetch.ts).
 */
import { lookup } from 'node:dns/promises';
import { displayUrl, OutboundError } from './errors.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Resolves a host name to all its addresses. The default is the system resolver (getaddrinfo, as every
 * other client in the process uses, so /etc/hosts and search domains behave as expected); tests and
 * special deployments pass their own.
 */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) => {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** Resolves, or fails with dns_failed; the signal (deadline or caller) wins over a resolver that never answers. */
export async function resolveHost(
  hostname: string,
  url: URL,
  opts: { resolver?: Resolver | undefined; signal: AbortSignal },
): Promise<ResolvedAddress[]> {
  const { signal } = opts;
  signal.throwIfAborted();
  const resolver = opts.resolver ?? systemResolver;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const addresses = await Promise.race([resolver(hostname), aborted]);
    if (addresses.length === 0) throw Object.assign(new Error('no addresses'), { code: 'ENODATA' });
    return addresses;
  } catch (err) {
    if (signal.aborted && err === signal.reason) throw err;
    const code = (err as { code?: unknown }).code;
    throw new OutboundError(
      'dns_failed',
      `Could not resolve the host ${url.hostname}${typeof code === 'string' && /^[A-Z_]+$/.test(code) ? ` (${code})` : ''}.`,
      { url: displayUrl(url) },
    );
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    aborted.catch(() => undefined);
  }
}
