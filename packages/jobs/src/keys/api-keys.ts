import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { API_KEY_PREFIX } from '@batchcast/config';
import {
  type ApiKeyRecord,
  findApiKeyByPrefix,
  getApiKey,
  insertApiKey,
  listApiKeys as listKeyRows,
  revokeApiKey as revokeKeyRow,
  touchApiKey,
  updateApiKey as updateKeyRow,
} from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { DomainError, notFound } from '../errors.js';
import { grants, isScope, SCOPES, type Scope } from './scopes.js';

/** Per-key limits; null: none. */
export interface ApiKeyLimits {
  requestsPerMinute: number | null;
  rowsPerDay: number | null;
  concurrentJobs: number | null;
}

/** An API key as everyone but its holder sees it: never the key itself. */
export interface ApiKey {
  id: string;
  name: string;
  /** The key's first characters (bck_ and 8 more), to tell keys apart. */
  prefix: string;
  scopes: Scope[];
  limits: ApiKeyLimits;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** When it was revoked; null while it is valid (only the admin's list of keys shows revoked ones). */
  revokedAt: Date | null;
}

/** The key a request authenticated with: its record, and the key as presented (kept for this request only). */
export interface ApiKeyPrincipal extends ApiKey {
  secret: string;
}

export interface ApiKeyInput {
  name: string;
  scopes: string[];
  limits?: Partial<ApiKeyLimits> | undefined;
}

/** Requests a minute a key may make when its creator says nothing (null: no limit). */
export const DEFAULT_REQUESTS_PER_MINUTE = 600;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 43 characters of 62: 256 bits. */
const SECRET_CHARS = 43;
const PREFIX_CHARS = API_KEY_PREFIX.length + 8;
const KEY_PATTERN = new RegExp(`^${API_KEY_PREFIX}[A-Za-z0-9]{${SECRET_CHARS}}$`);

/** Random letters and digits (no `-` or `_`: a key is selected whole by a double click and needs no quoting). */
function randomAlphanumeric(n: number): string {
  let out = '';
  while (out.length < n) {
    for (const b of randomBytes(n * 2)) {
      if (b >= 248) continue; // 248 = 4 x 62: keeps every character equally likely
      out += ALPHABET[b % 62];
      if (out.length === n) break;
    }
  }
  return out;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

export function describeKey(row: ApiKeyRecord): ApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes.filter(isScope),
    limits: { requestsPerMinute: row.requestsPerMinute, rowsPerDay: row.rowsPerDay, concurrentJobs: row.concurrentJobs },
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

/**
 * Creates a key (admin). The key is returned this once; PostgreSQL keeps its prefix and sha256 only (a
 * 256-bit random secret needs no slow hash: there is nothing to guess from its digest).
 */
export async function createApiKey(ctx: JobsContext, input: ApiKeyInput): Promise<ApiKey & { key: string }> {
  const name = checkName(input.name);
  const scopes = checkScopes(input.scopes);
  const limits = checkLimits({
    requestsPerMinute: input.limits?.requestsPerMinute === undefined ? DEFAULT_REQUESTS_PER_MINUTE : input.limits.requestsPerMinute,
    rowsPerDay: input.limits?.rowsPerDay ?? null,
    concurrentJobs: input.limits?.concurrentJobs ?? null,
  });
  for (;;) {
    const key = API_KEY_PREFIX + randomAlphanumeric(SECRET_CHARS);
    const row = await insertApiKey(ctx.pool, {
      id: randomUUID(),
      name,
      prefix: key.slice(0, PREFIX_CHARS),
      keyHash: sha256(key),
      scopes,
      ...limits,
    });
    // null: another key has this prefix (48 random bits: it does not happen, but it must not fail if it does).
    if (!row) continue;
    if ('nameTaken' in row) throw nameTaken(row.nameTaken);
    ctx.log.info({ keyId: row.id, prefix: row.prefix, scopes }, 'API key created');
    return { ...describeKey(row), key };
  }
}

/**
 * Changes a key's name, scopes or limits (admin); what is not given stays. Takes effect at the key's next
 * request. `not_found` for an unknown or revoked key.
 */
export async function updateApiKey(ctx: JobsContext, id: string, input: Partial<ApiKeyInput>): Promise<ApiKey> {
  const limits = input.limits ? checkLimits(input.limits) : {};
  const row = isUuid(id)
    ? await updateKeyRow(ctx.pool, id, {
        ...(input.name !== undefined ? { name: checkName(input.name) } : {}),
        ...(input.scopes !== undefined ? { scopes: checkScopes(input.scopes) } : {}),
        ...limits,
      })
    : null;
  if (!row) throw notFound('API key');
  if ('nameTaken' in row) throw nameTaken(row.nameTaken);
  ctx.log.info({ keyId: id, scopes: row.scopes }, 'API key changed');
  return describeKey(row);
}

/**
 * Two keys not revoked never share a name (case ignored): the CLI and the admin page address a key by its name
 * as well as its id, and a second "crm-sync" made the name say nothing. To replace a key, make the new one
 * under another name (or rename the old one first), then revoke the old one.
 */
function nameTaken(other: { id: string; prefix: string; name: string }): DomainError {
  return new DomainError(
    'conflict',
    'key_name_taken',
    `An API key named "${other.name}" exists already (id ${other.id}, ${other.prefix}…): give this one another name, ` +
      'or rename or revoke that one first (a revoked key’s name is free again).',
    { keyId: other.id },
  );
}

function checkName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0 || name.length > 100 || /[\p{Cc}]/u.test(name)) {
    throw new DomainError(
      'unprocessable',
      'invalid_name',
      'A key\u2019s "name" is 1 to 100 characters without control characters (e.g. "crm-sync").',
    );
  }
  return name;
}

function checkScopes(raw: string[]): Scope[] {
  const unknown = raw.filter((s) => !isScope(s));
  if (raw.length === 0 || unknown.length > 0) {
    throw new DomainError(
      'unprocessable',
      'invalid_scopes',
      `${unknown.length ? `Unknown scope${unknown.length > 1 ? 's' : ''} ${unknown.map((s) => `"${s.slice(0, 40)}"`).join(', ')}. ` : 'Give at least one scope. '}` +
        `"scopes" lists what the key may do: ${SCOPES.join(', ')}.`,
    );
  }
  return SCOPES.filter((s) => raw.includes(s));
}

/**
 * The largest value of each limit: what its PostgreSQL column holds (integer; rows a day bigint, kept to what
 * JSON numbers count exactly). A larger one was a 500 ("out of range for type integer"); "no limit" is null.
 */
const LIMIT_MAX: Record<keyof ApiKeyLimits, number> = {
  requestsPerMinute: 2_147_483_647,
  concurrentJobs: 2_147_483_647,
  rowsPerDay: Number.MAX_SAFE_INTEGER,
};

function checkLimits<L extends Partial<ApiKeyLimits>>(limits: L): L {
  for (const [field, value] of Object.entries(limits)) {
    const max = LIMIT_MAX[field as keyof ApiKeyLimits] ?? Number.MAX_SAFE_INTEGER;
    if (value !== null && value !== undefined && (!Number.isSafeInteger(value) || value < 1 || value > max)) {
      throw new DomainError(
        'unprocessable',
        'invalid_limits',
        `"limits.${field}" is a whole number from 1 to ${max.toLocaleString('en-US')}, or null for no limit.`,
      );
    }
  }
  return limits;
}

/** Keys not revoked, newest first; with `includeRevoked` (the admin page's list), the revoked ones too. */
export async function listApiKeys(ctx: JobsContext, opts: { includeRevoked?: boolean } = {}): Promise<ApiKey[]> {
  return (await listKeyRows(ctx.pool, opts)).map(describeKey);
}

/**
 * Revokes a key (401 revoked_api_key from then on) and ends the links of its jobs that were made from it:
 * whoever still holds the key could otherwise make them again and read those jobs until their retention ends.
 */
export async function revokeApiKey(ctx: JobsContext, id: string): Promise<void> {
  const revoked = isUuid(id) ? await revokeKeyRow(ctx.pool, id) : null;
  if (!revoked) throw notFound('API key');
  ctx.log.info({ keyId: id, linksEnded: revoked.linksEnded }, 'API key revoked');
}

export async function findApiKey(ctx: JobsContext, id: string): Promise<ApiKey | null> {
  const row = isUuid(id) ? await getApiKey(ctx.pool, id) : null;
  return row && !row.revokedAt ? describeKey(row) : null;
}

/** Whether a bearer credential is meant as an API key (rather than a job token or the admin token). */
export const looksLikeApiKey = (presented: string): boolean => presented.startsWith(API_KEY_PREFIX);

/**
 * The key a request presents, or `unauthorized`: found by its prefix, its sha256 compared in constant time.
 * A revoked key is told as such (only its holder can present it).
 */
export async function authenticateApiKey(ctx: JobsContext, presented: string): Promise<ApiKeyPrincipal> {
  const invalid = () =>
    new DomainError('unauthorized', 'invalid_api_key', 'This API key is not valid: check that it was copied whole (it starts with bck_).');
  if (!KEY_PATTERN.test(presented)) throw invalid();
  const row = await findApiKeyByPrefix(ctx.pool, presented.slice(0, PREFIX_CHARS));
  if (!row || !timingSafeEqual(sha256(presented), row.keyHash)) throw invalid();
  if (row.revokedAt) {
    throw new DomainError(
      'unauthorized',
      'revoked_api_key',
      `This API key (${row.prefix}…) was revoked on ${row.revokedAt.toISOString().slice(0, 10)}. Ask an administrator for a new one.`,
    );
  }
  // When a key was last used is for people; a failure to note it must not refuse the request.
  touchApiKey(ctx.pool, row.id).catch((err) => ctx.log.warn({ keyId: row.id, err: (err as Error).message }, 'could not note key use'));
  return { ...describeKey(row), secret: presented };
}

/** Refuses (403) a key without the scope an endpoint needs. */
export function requireScope(key: ApiKey, scope: Scope): void {
  if (!grants(key.scopes, scope)) {
    throw new DomainError(
      'forbidden',
      'insufficient_scope',
      `This API key (${key.prefix}…) lacks the scope "${scope}" (it has: ${key.scopes.join(', ')}). Ask an administrator for a key with it.`,
      { scope },
    );
  }
}

/**
 * The access token of a job a key submitted: derived from the key and the job id (HMAC-SHA256), so the
 * key's holder gets the same links whenever it lists its jobs, while PostgreSQL keeps only the token's hash
 * and no secret from which it could be made again.
 */
export function keyJobToken(key: string, jobId: string): string {
  const token = createHmac('sha256', key).update(`batchcast job token\n${jobId}`).digest('base64url');
  // Job tokens never start with the API key prefix (see @batchcast/access newJobToken).
  return token.startsWith(API_KEY_PREFIX) ? `B${token.slice(1)}` : token;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID.test(s);
