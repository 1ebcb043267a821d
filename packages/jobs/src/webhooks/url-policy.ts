import { isIP } from 'node:net';
import type { Config } from '@batchcast/config';
import { checkUrl, OutboundError, type OutboundPolicy } from '@batchcast/outbound';
import type { Logger } from '@batchcast/log';
import { DomainError } from '../errors.js';

const policies = new WeakMap<Config['webhooks'], OutboundPolicy>();

/**
 * Where webhooks may go: public addresses over https://; hosts in WEBHOOK_ALLOW_HOSTS (internal receivers,
 * tests) may have any address and may use plain http://. Checked at registration and again at every
 * delivery (DNS can change), by @batchcast/outbound, which also pins the connection to the checked address.
 */
export function webhookPolicy(config: Pick<Config, 'webhooks'>): OutboundPolicy {
  let policy = policies.get(config.webhooks);
  if (!policy) {
    policy = { allowHosts: config.webhooks.allowHosts, allowHttp: 'allowed-hosts-only' };
    policies.set(config.webhooks, policy);
  }
  return policy;
}

const MAX_URL_CHARS = 2048;

/**
 * How an internal receiver is listed, said with every refusal: a host listed without a port is allowed on 443 and
 * 80 only, so a receiver on another port of a listed host is refused too, and whoever registers it should know
 * what to ask for. The same words whatever is listed (nothing about the list is told).
 */
const PORT_HINT = ', with its port: hooks.internal:8443 (a host listed without a port allows 443 and 80 only)';

/** The URL's host when it is a name to resolve, not an address written out (IPv4 or [IPv6]); else null. */
function hostNameOf(text: string): string | null {
  try {
    const host = new URL(text).hostname;
    return host === '' || isIP(host) !== 0 || host.startsWith('[') ? null : host;
  } catch {
    return null;
  }
}

/**
 * A receiver's URL as registered, or `unprocessable` saying what is wrong with it. A host name that does not
 * resolve and one that resolves to an internal address read the same to an API key (see below); the precise
 * reason goes to the log (`log`), and to the admin (`admin`), who may see the server's DNS anyway.
 */
export async function checkWebhookUrl(
  config: Pick<Config, 'webhooks'>,
  raw: string,
  opts: { admin?: boolean; log?: Logger } = {},
): Promise<URL> {
  const text = raw.trim();
  if (text.length === 0 || text.length > MAX_URL_CHARS) {
    throw new DomainError(
      'unprocessable',
      'invalid_url',
      `Give "url": the https:// address of your receiver (at most ${MAX_URL_CHARS} characters).`,
    );
  }
  // A fragment is never sent to a server (RFC 9110 §4.2.4): the receiver would not see it, so what it carries (a
  // route, a tenant, a token) would be lost silently. Refused rather than dropped.
  const hash = text.indexOf('#');
  if (hash >= 0) {
    const fragment = text.slice(hash, hash + 100);
    throw new DomainError(
      'unprocessable',
      'invalid_url',
      `The webhook "url" has a fragment (${JSON.stringify(fragment)}): fragments are never sent to servers, so your receiver would not get it. Remove it, and put what it carries in the path or the query (?…) instead.`,
      { fragment },
    );
  }
  try {
    await checkUrl(text, webhookPolicy(config), { deadlineMs: 10_000 });
  } catch (err) {
    if (!(err instanceof OutboundError)) throw err;
    // A host NAME that resolves to an internal address and one that does not resolve get the same answer:
    // telling them apart would let whoever may register webhooks map the server's internal DNS.
    const name = hostNameOf(text);
    opts.log?.info({ host: name ?? undefined, reason: err.code, detail: err.message }, 'webhook URL refused');
    if (name !== null && (err.code === 'address_not_allowed' || err.code === 'dns_failed')) {
      const why = opts.admin ? ` (Shown to administrators only: ${err.message})` : '';
      throw new DomainError(
        'unprocessable',
        'url_not_allowed',
        `${name} does not resolve to a public address from this server. Check the host name; webhook receivers must have public addresses (an administrator can allow an internal host with WEBHOOK_ALLOW_HOSTS${PORT_HINT}).${why}`,
      );
    }
    const hint: Record<string, string> = {
      address_not_allowed: ` Webhook receivers must have public addresses (not loopback, private, link-local or otherwise internal ones); an administrator can allow an internal host with WEBHOOK_ALLOW_HOSTS${PORT_HINT}.`,
      scheme_not_allowed: '',
    };
    const code = err.code === 'address_not_allowed' || err.code === 'scheme_not_allowed' ? 'url_not_allowed' : 'invalid_url';
    throw new DomainError('unprocessable', code, `${err.message}${hint[err.code] ?? ''}`);
  }
  return new URL(text);
}
