import { randomUUID } from 'node:crypto';
import {
  countWebhookEndpoints,
  deleteWebhookEndpoint,
  type EndpointDisabled,
  endpointDisabled,
  getWebhookEndpoint,
  insertWebhookEndpoint,
  listWebhookEndpoints,
  rotateWebhookSecret as rotateSecretRow,
  type WebhookEndpointRecord,
} from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { DomainError, notFound } from '../errors.js';
import { isUuid } from '../keys/api-keys.js';
import { mayManage, ownerKeyId, type WebhookActor } from './actor.js';
import { type SecretBox, secretBoxOf } from './secret-box.js';
import { newSigningSecret } from './signing.js';
import { checkWebhookUrl } from './url-policy.js';

/** What a job's end is told as. */
export const WEBHOOK_EVENTS = ['job.succeeded', 'job.failed', 'job.cancelled'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** An endpoint as its owner sees it (its secret only when made or rotated). */
export interface WebhookEndpoint {
  id: string;
  url: string;
  events: WebhookEvent[];
  /** The key that registered it (it hears of that key's jobs); null: an admin's (it hears of every job). */
  keyId: string | null;
  createdAt: Date;
  secretRotatedAt: Date | null;
  /** Until when each secret rotated out still signs too (one more signature each), the last to expire first. */
  previousSecretsExpireAt: Date[];
  /** Until when more than the current secret signs (the last of `previousSecretsExpireAt`), or null. */
  previousSecretExpiresAt: Date | null;
  /**
   * Why it hears of nothing any more, or null: `key_revoked` once the key that registered it was revoked (a
   * revoked key's access ends, and deliveries carry links with job tokens: none is made for it from then on);
   * `key_scope_removed` while that key lacks `webhooks:write`.
   */
  disabled: EndpointDisabled | null;
}

/** Endpoints one owner (a key, or the admins together) may have. */
export const MAX_ENDPOINTS_PER_OWNER = 25;
/** How long a rotated-out secret keeps signing by default: receivers have a day to switch. */
export const DEFAULT_ROTATION_GRACE_SECONDS = 24 * 3600;
export const MAX_ROTATION_GRACE_SECONDS = 7 * 24 * 3600;
/** Secrets rotated out that may sign at once (each delivery carries one signature per secret). */
export const MAX_OLD_SECRETS = 10;

/** The context a secret is sealed with: the endpoint's own, so a sealed secret copied to another row does not open. */
export const secretContext = (endpointId: string): string => `webhook secret ${endpointId}`;

export function describeEndpoint(row: WebhookEndpointRecord, now = new Date()): WebhookEndpoint {
  const expiries = row.oldSecrets.map((o) => o.expiresAt).filter((at) => at > now);
  expiries.sort((a, b) => b.getTime() - a.getTime());
  return {
    id: row.id,
    url: row.url,
    events: row.events.filter((e): e is WebhookEvent => (WEBHOOK_EVENTS as readonly string[]).includes(e)),
    keyId: row.keyId,
    createdAt: row.createdAt,
    secretRotatedAt: row.secretRotatedAt,
    previousSecretsExpireAt: expiries,
    previousSecretExpiresAt: expiries[0] ?? null,
    disabled: endpointDisabled(row),
  };
}

/** The box that seals secrets, or `forbidden` (`webhooks_disabled`) when WEBHOOK_SECRET_KEY is not set. */
export function requireSecretBox(ctx: JobsContext): SecretBox {
  const box = secretBoxOf(ctx.config);
  if (!box) {
    throw new DomainError(
      'forbidden',
      'webhooks_disabled',
      'Webhooks are disabled on this server: an administrator must start batchcast with WEBHOOK_SECRET_KEY set (32 or more random characters, e.g. from `openssl rand -base64 32`).',
    );
  }
  return box;
}

function checkEvents(events: readonly string[]): WebhookEvent[] {
  const unknown = events.filter((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e));
  if (events.length === 0 || unknown.length > 0) {
    throw new DomainError(
      'unprocessable',
      'invalid_events',
      `${unknown.length ? `Unknown event${unknown.length > 1 ? 's' : ''} ${unknown.map((e) => `"${e.slice(0, 40)}"`).join(', ')}. ` : 'Give at least one event. '}` +
        `"events" lists what to be told of: ${WEBHOOK_EVENTS.join(', ')}.`,
    );
  }
  return WEBHOOK_EVENTS.filter((e) => events.includes(e));
}

/**
 * Registers a receiver: its URL must be https:// with a public address (or a host in WEBHOOK_ALLOW_HOSTS).
 * The signing secret is returned this once (it is stored encrypted).
 */
export async function registerWebhook(
  ctx: JobsContext,
  actor: WebhookActor,
  input: { url: string; events: string[] },
): Promise<WebhookEndpoint & { secret: string }> {
  const box = requireSecretBox(ctx);
  const events = checkEvents(input.events);
  const url = await checkWebhookUrl(ctx.config, input.url, { admin: actor.kind === 'admin', log: ctx.log });
  const keyId = ownerKeyId(actor);
  if ((await countWebhookEndpoints(ctx.pool, keyId)) >= MAX_ENDPOINTS_PER_OWNER) {
    throw new DomainError(
      'conflict',
      'too_many_webhooks',
      `${keyId ? 'This API key has' : 'The admins have'} ${MAX_ENDPOINTS_PER_OWNER} webhook endpoints already, the most allowed: remove one first.`,
    );
  }
  const id = randomUUID();
  const secret = newSigningSecret();
  const row = await insertWebhookEndpoint(ctx.pool, { id, keyId, url: url.href, events, secret: box.seal(secret, secretContext(id)) });
  ctx.log.info({ endpointId: id, keyId, host: url.host, events }, 'webhook endpoint registered');
  return { ...describeEndpoint(row), secret };
}

export async function listWebhooks(ctx: JobsContext, actor: WebhookActor): Promise<WebhookEndpoint[]> {
  const rows = await listWebhookEndpoints(ctx.pool, actor.kind === 'key' ? { keyId: actor.key.id } : undefined);
  return rows.map((r) => describeEndpoint(r));
}

/** An endpoint the actor may see, or `not_found` (another key's endpoint is not revealed). */
export async function findWebhook(ctx: JobsContext, actor: WebhookActor, id: string): Promise<WebhookEndpointRecord> {
  const row = isUuid(id) ? await getWebhookEndpoint(ctx.pool, id.toLowerCase()) : null;
  if (!row || !mayManage(actor, row.keyId)) throw notFound('webhook endpoint');
  return row;
}

export async function getWebhook(ctx: JobsContext, actor: WebhookActor, id: string): Promise<WebhookEndpoint> {
  return describeEndpoint(await findWebhook(ctx, actor, id));
}

/** Removes an endpoint, its deliveries and their attempts; deliveries still queued are dropped when taken. */
export async function removeWebhook(ctx: JobsContext, actor: WebhookActor, id: string): Promise<void> {
  const row = await findWebhook(ctx, actor, id);
  if (!(await deleteWebhookEndpoint(ctx.pool, row.id))) throw notFound('webhook endpoint');
  ctx.log.info({ endpointId: row.id }, 'webhook endpoint removed');
}

/**
 * Gives an endpoint a new secret, returned this once. The current one keeps signing for `graceSeconds`
 * (default a day), and so does every secret rotated out before whose own grace has not ended: each delivery
 * meanwhile carries one signature per secret, as the specification allows, so a receiver verifies with
 * whichever it has while it switches (rotating twice in a day leaves receivers of the first secret working).
 * `graceSeconds` 0 (e.g. after a leak): from now on only the new secret signs, every old one stops at once.
 */
export async function rotateWebhookSecret(
  ctx: JobsContext,
  actor: WebhookActor,
  id: string,
  graceSeconds = DEFAULT_ROTATION_GRACE_SECONDS,
): Promise<WebhookEndpoint & { secret: string }> {
  const box = requireSecretBox(ctx);
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_ROTATION_GRACE_SECONDS) {
    throw new DomainError(
      'unprocessable',
      'invalid_grace',
      `"graceSeconds" is a whole number of seconds from 0 to ${MAX_ROTATION_GRACE_SECONDS} (7 days): how long the current secret keeps signing.`,
    );
  }
  const row = await findWebhook(ctx, actor, id);
  const secret = newSigningSecret();
  const updated = await rotateSecretRow(ctx.pool, row.id, {
    secret: box.seal(secret, secretContext(row.id)),
    currentExpiresAt: graceSeconds > 0 ? new Date(Date.now() + graceSeconds * 1000) : null,
    maxOld: MAX_OLD_SECRETS,
  });
  if (!updated) throw notFound('webhook endpoint');
  if ('tooMany' in updated) {
    throw new DomainError(
      'conflict',
      'too_many_secrets',
      `This endpoint has ${MAX_OLD_SECRETS} secrets rotated out that still sign, the most allowed; the first stops signing at ` +
        `${updated.tooMany.soonestExpiry.toISOString()}. Rotate again after that, or now with "graceSeconds": 0 (only the new secret will sign).`,
    );
  }
  ctx.log.info({ endpointId: row.id, graceSeconds }, 'webhook secret rotated');
  return { ...describeEndpoint(updated), secret };
}
