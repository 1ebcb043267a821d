import type { Config } from '@batchcast/config';
import { checkUrl, OutboundError, type OutboundPolicy } from '@batchcast/outbound';
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

/** A receiver's URL as registered, or `unprocessable` saying what is wrong with it. */
export async function checkWebhookUrl(config: Pick<Config, 'webhooks'>, raw: string): Promise<URL> {
  const text = raw.trim();
  if (text.length === 0 || text.length > MAX_URL_CHARS) {
    throw new DomainError(
      'unprocessable',
      'invalid_url',
      `Give "url": the https:// address of your receiver (at most ${MAX_URL_CHARS} characters).`,
    );
  }
  try {
    await checkUrl(text, webhookPolicy(config), { deadlineMs: 10_000 });
  } catch (err) {
    if (!(err instanceof OutboundError)) throw err;
    const hint: Record<string, string> = {
      address_not_allowed:
        ' Webhook receivers must have public addresses (not loopback, private, link-local or otherwise internal ones); an administrator can allow an internal host with WEBHOOK_ALLOW_HOSTS.',
      scheme_not_allowed: '',
      dns_failed: ' Check the host name.',
    };
    const code =
      err.code === 'address_not_allowed' || err.code === 'scheme_not_allowed'
        ? 'url_not_allowed'
        : err.code === 'dns_failed'
          ? 'url_unresolvable'
          : 'invalid_url';
    throw new DomainError('unprocessable', code, `${err.message}${hint[err.code] ?? ''}`);
  }
  const url = new URL(text);
  url.hash = '';
  return url;
}
