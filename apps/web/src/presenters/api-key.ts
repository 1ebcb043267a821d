import type { ApiKey as ApiKeyView } from '@batchcast/contract';
import type { ApiKey } from '@batchcast/jobs';

/** An API key as the API shows it (never the key itself, except once, in the answer that creates it). */
export function describeApiKey(k: ApiKey): ApiKeyView {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    limits: k.limits,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  };
}
