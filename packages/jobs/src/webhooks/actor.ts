import type { ApiKey } from '../keys/api-keys.js';

/**
 * Who manages webhooks: an admin (ADMIN_TOKEN or the admin session), whose endpoints hear of every job and
 * who sees every endpoint; or an API key, whose endpoints hear of its own jobs and which sees only those.
 */
export type WebhookActor = { kind: 'admin' } | { kind: 'key'; key: ApiKey };

export const ADMIN: WebhookActor = { kind: 'admin' };

/** The owner column of what an actor registers: the key's id, or null for an admin. */
export const ownerKeyId = (actor: WebhookActor): string | null => (actor.kind === 'key' ? actor.key.id : null);

/** Whether an actor may see and manage an endpoint registered by `keyId` (null: an admin's). */
export const mayManage = (actor: WebhookActor, keyId: string | null): boolean => actor.kind === 'admin' || actor.key.id === keyId;
