import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Config } from '@batchcast/config';

/**
 * Encryption at rest of what webhooks must be able to read back: signing secrets (a receiver's HMAC key
 * cannot be stored as a hash: we sign with it) and delivery bodies (they carry job links with a token).
 * AES-256-GCM under a key derived (HKDF-SHA256) from WEBHOOK_SECRET_KEY — its own variable rather than one
 * derived from ADMIN_TOKEN, so that changing the admin token (which ends admin sessions) never makes the
 * secrets unreadable, and a database dump alone reveals none of them.
 *
 * WEBHOOK_SECRET_KEY may list several keys while rotating it: the first seals, every one opens (each sealed
 * value names its key by a short id). What is still sealed with another key is re-sealed with the first by
 * reseal.ts when a worker starts with several keys, so that the others can then be dropped. `context` (e.g. the endpoint's id) is authenticated with the value, so a
 * value copied onto another row does not open there.
 *
 * Layout: version (1 byte) | key id (4) | IV (12) | GCM tag (16) | ciphertext.
 */
const VERSION = 1;
const HEADER = 1 + 4 + 12 + 16;

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/**
 * What a sealed value is, for the message when it cannot be opened: a person must learn which record is
 * unreadable and what would fix it (a delivery's body cannot be made again by rotating a secret).
 */
export type SealedWhat = 'endpoint secret' | 'delivery body' | 'stored secret';

const UNKNOWN_KEY: Record<SealedWhat, string> = {
  'endpoint secret':
    'the endpoint\u2019s signing secret was encrypted with a WEBHOOK_SECRET_KEY that is no longer configured: add that key back (after the current one) and restart, or rotate the endpoint\u2019s secret',
  'delivery body':
    'this delivery\u2019s body was encrypted with a WEBHOOK_SECRET_KEY that is no longer configured (it was removed before a worker had re-encrypted what it sealed): add that key back after the current one and restart the workers; rotating the endpoint\u2019s secret does not help, the body can only be read with that key',
  'stored secret':
    'a stored secret was encrypted with a WEBHOOK_SECRET_KEY that is no longer configured: add that key back (after the current one)',
};

interface DerivedKey {
  id: Buffer;
  key: Buffer;
}

export class SecretBox {
  private readonly keys: DerivedKey[];

  constructor(secretKeys: readonly string[]) {
    if (secretKeys.length === 0) throw new TypeError('SecretBox needs at least one key');
    this.keys = secretKeys.map((k) => ({
      id: Buffer.from(hkdfSync('sha256', k, 'batchcast', 'webhook-secret-box key id', 4)),
      key: Buffer.from(hkdfSync('sha256', k, 'batchcast', 'webhook-secret-box v1', 32)),
    }));
  }

  seal(plaintext: Buffer | string, context: string): Buffer {
    const { id, key } = this.keys[0]!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), id, iv, cipher.getAuthTag(), body]);
  }

  /** The id the first key (the one that seals) writes into what it seals: bytes 2 to 5 of a sealed value. */
  get sealingKeyId(): Buffer {
    return Buffer.from(this.keys[0]!.id);
  }

  /** Whether more than one key is configured (a rotation of WEBHOOK_SECRET_KEY under way). */
  get rotating(): boolean {
    return this.keys.length > 1;
  }

  /** Whether `sealed` was sealed with the first key (nothing to re-seal). */
  sealedWithFirst(sealed: Buffer): boolean {
    return sealed.length >= HEADER && sealed[0] === VERSION && sealed.subarray(1, 5).equals(this.keys[0]!.id);
  }

  /** `sealed` sealed again with the first key (same plaintext, same context); null when it already is. */
  reseal(sealed: Buffer, context: string, what: SealedWhat = 'stored secret'): Buffer | null {
    if (this.sealedWithFirst(sealed)) return null;
    return this.seal(this.open(sealed, context, what), context);
  }

  open(sealed: Buffer, context: string, what: SealedWhat = 'stored secret'): Buffer {
    if (sealed.length < HEADER || sealed[0] !== VERSION) throw new SecretBoxError(`the ${what} is not in a format this version reads`);
    const id = sealed.subarray(1, 5);
    const entry = this.keys.find((k) => k.id.equals(id));
    if (!entry) throw new SecretBoxError(UNKNOWN_KEY[what]);
    const decipher = createDecipheriv('aes-256-gcm', entry.key, sealed.subarray(5, 17));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(sealed.subarray(17, HEADER));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(HEADER)), decipher.final()]);
    } catch {
      throw new SecretBoxError(`the ${what} does not decrypt: it was changed, or belongs to another record`);
    }
  }
}

const boxes = new Map<string, SecretBox>();

/** The process's box for its configuration (null when WEBHOOK_SECRET_KEY is not set). */
export function secretBoxOf(config: Pick<Config, 'webhooks'>): SecretBox | null {
  const keys = config.webhooks.secretKeys;
  if (!keys || keys.length === 0) return null;
  const cacheKey = keys.join('\n');
  let box = boxes.get(cacheKey);
  if (!box) {
    box = new SecretBox(keys);
    boxes.set(cacheKey, box);
  }
  return box;
}
