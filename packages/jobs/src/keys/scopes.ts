/**
 * What an API key may do. `jobs:write` submits and cancels jobs, `jobs:read` lists them and reads their
 * status and results; `webhooks:write` registers, removes and rotates the key's webhook endpoints and
 * redelivers (it includes `webhooks:read`: seeing them and their deliveries). `models:write` registers new
 * versions of any model name and removes versions: so that publishing models needs no ADMIN_TOKEN, which
 * opens every job, key and address. It grants nothing else an admin may do: not the original files
 * models were registered from (they may be someone else's work), not jobs, keys or the admin pages.
 */
export const SCOPES = ['jobs:read', 'jobs:write', 'webhooks:read', 'webhooks:write', 'models:write'] as const;
export type Scope = (typeof SCOPES)[number];

export const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);

/** Whether `scopes` grant `wanted` (write includes read for webhooks). */
export function grants(scopes: readonly string[], wanted: Scope): boolean {
  return scopes.includes(wanted) || (wanted === 'webhooks:read' && scopes.includes('webhooks:write'));
}
