/**
 * What an API key may do. `jobs:write` submits and cancels jobs, `jobs:read` lists them and reads their
 * status and results; `webhooks:write` registers, removes and rotates the key's webhook endpoints and
 * redelivers (it includes `webhooks:read`: seeing them and their deliveries).
 */
export const SCOPES = ['jobs:read', 'jobs:write', 'webhooks:read', 'webhooks:write'] as const;
export type Scope = (typeof SCOPES)[number];

export const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);

/** Whether `scopes` grant `wanted` (write includes read for webhooks). */
export function grants(scopes: readonly string[], wanted: Scope): boolean {
  return scopes.includes(wanted) || (wanted === 'webhooks:read' && scopes.includes('webhooks:write'));
}
