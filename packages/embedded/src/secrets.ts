import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface EmbeddedSecrets {
  postgresPassword: string;
  redisPassword: string;
}

/**
 * The passwords of the embedded servers, made once and kept in DATA_DIR/embedded/secrets.json (0600, in a
 * 0700 directory): the servers listen on 127.0.0.1, which every local user can reach, so the password is
 * what keeps other users out. base64url, so they go into URLs without escaping.
 */
export async function loadOrCreateSecrets(embeddedDir: string): Promise<EmbeddedSecrets> {
  const file = path.join(embeddedDir, 'secrets.json');
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as Partial<EmbeddedSecrets>;
    if (typeof value.postgresPassword === 'string' && typeof value.redisPassword === 'string') {
      return { postgresPassword: value.postgresPassword, redisPassword: value.redisPassword };
    }
    throw new Error(`${file} does not hold the passwords of the embedded servers (postgresPassword, redisPassword).`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secrets: EmbeddedSecrets = { postgresPassword: newPassword(), redisPassword: newPassword() };
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
  return secrets;
}

function newPassword(): string {
  return randomBytes(24).toString('base64url');
}
