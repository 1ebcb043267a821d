import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '@batchcast/config';
import { StartError } from '@batchcast/runtime';

/**
 * DATA_DIR tried once before anything starts, when this host writes there: the uploads (BLOB_STORE=fs) and
 * the development outbox (no SMTP_URL). A DATA_DIR that could not be written (a file in its path, a read-only
 * volume, another user's directory) let the platform start, answer /healthz "ok", and then refuse every upload
 * with a 500 "something went wrong on our side" that no one uploading could act on.
 */
export async function checkDataDir(config: Config): Promise<void> {
  const { dataDir, blobStore } = config.storage;
  const uses = [
    ...(blobStore === 'fs' ? ['the uploads (BLOB_STORE=fs)'] : []),
    ...(config.mail.smtpUrl ? [] : ['the development outbox (no SMTP_URL)']),
  ];
  if (uses.length === 0) return;
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    // Creating something is the only test that holds for every reason (permissions, read-only mounts, ACLs, root).
    await rm(await mkdtemp(path.join(dataDir, '.write-check-')), { recursive: true });
  } catch (err) {
    const uid = process.getuid?.();
    throw new StartError(
      `DATA_DIR ${dataDir} cannot be written (${(err as Error).message}); it keeps ${uses.join(' and ')}. ` +
        `Make it a directory the user running batchcast${uid === undefined ? '' : ` (uid ${uid})`} can write, or set DATA_DIR to one.`,
    );
  }
}
