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
 * value names its key by a short id). `context` (e.g. the endpoint's id) is authenticated with the value, so a
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

  open(sealed: Buffer, context: string): Buffer {
    if (sealed.length < HEADER || sealed[0] !== VERSION) throw new SecretBoxError('a stored secret is not in a format this version reads');
    const id = sealed.subarray(1, 5);
    const entry = this.keys.find((k) => k.id.equals(id));
    if (!entry) {
      throw new SecretBoxError(
        'a stored secret was encrypted with a WEBHOOK_SECRET_KEY that is no longer configured: add that key back (after the current one), or rotate the endpoint\u2019s secret',
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', entry.key, sealed.subarray(5, 17));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(sealed.subarray(17, HEADER));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(HEADER)), decipher.final()]);
    } catch {
      throw new SecretBoxError('a stored secret does not decrypt: it was changed, or belongs to another record');
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
