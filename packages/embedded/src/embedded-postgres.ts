import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '@batchcast/log';
import pg from 'pg';
import { locatePostgresBinaries } from './postgres-binaries.js';
import { ensureReachable, POSTGRES_OS_USER, postgresRunAs, type RunAs } from './postgres-user.js';
import { choosePort } from './ports.js';
import { isServerOf, processCommand, processesUsingDir, signalProcess, waitForProcessExit } from './process-info.js';
import { type ServerProcess, spawnServer } from './server-process.js';
import type { EmbeddedServerOptions, StartedServer } from './server-types.js';
import { postgresStopSteps, stopProcess } from './stop-steps.js';

const run = promisify(execFile);

const READY_TIMEOUT_MS = 90_000;
export const EMBEDDED_DATABASE = 'batchcast';

/**
 * Starts the PostgreSQL of DATA_DIR/postgres (initialising it the first time) on 127.0.0.1 and a port of
 * its own, password-protected (scram-sha-256), with the `batchcast` database created. No unix socket: the
 * binaries' default socket directory (/tmp) would be shared with every other PostgreSQL on the machine.
 */
export async function startEmbeddedPostgres(opts: EmbeddedServerOptions): Promise<StartedServer> {
  const { log } = opts;
  const pgdata = path.join(opts.dataDir, 'postgres');
  const binaries = await locatePostgresBinaries();
  const runAs = await postgresRunAs(log);
  if (runAs) await ensureReachable(runAs, opts.dataDir, [binaries.postgres, binaries.initdb], log);
  await recoverLeftovers(pgdata, log);
  if (existsSync(path.join(pgdata, 'PG_VERSION'))) await assertSameMajor(pgdata, binaries.major, binaries.version);
  else await initialise(opts, pgdata, binaries.initdb, runAs, log);

  const logFile = path.join(opts.embeddedDir, 'postgres.log');
  const tried: number[] = [];
  for (;;) {
    const port = await choosePort(opts.embeddedDir, 'postgres', tried);
    tried.push(port);
    const server = spawnServer({
      command: binaries.postgres,
      args: [
        '-D',
        pgdata,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'logging_collector=off',
      ],
      cwd: pgdata,
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
      logFile,
      stopSteps: postgresStopSteps,
      label: opts.dataDir,
      onUnexpectedExit: opts.onUnexpectedExit,
    });
    const outcome = await waitUntilReady(pgdata, server);
    if (outcome === 'ready') {
      try {
        await ensureDatabase(port, opts.password, EMBEDDED_DATABASE);
      } catch (error) {
        await server.stop();
        throw error;
      }
      const url = `postgres://postgres:${opts.password}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`;
      return { url, port, pid: server.pid, version: binaries.version, dir: pgdata, logFile, process: server };
    }
    if (outcome === 'timeout') await server.stop();
    const tail = server.logTail();
    // Someone took the port between our check and the server's bind: try another one.
    if (tail.includes('Address already in use') && tried.length < 3) continue;
    throw new Error(
      `The embedded PostgreSQL in ${pgdata} did not start (${outcome === 'timeout' ? `not ready after ${READY_TIMEOUT_MS / 1000} s` : 'it exited'}); the end of ${logFile}:\n${tail}`,
    );
  }
}

/**
 * What a killed run leaves: a postmaster.pid, maybe a server still running (its supervisor died and its
 * watchdog was killed too), maybe backends of a killed postmaster. A server of ours still running is
 * stopped (fast shutdown), not reused: it is not our child, so we could not see it die, and it may run
 * with another port or settings than we would choose now. A postmaster.pid whose pid is dead is left to
 * PostgreSQL, which removes it itself after checking that no old backend still holds the shared memory;
 * one whose pid now belongs to another program (pids are reused, e.g. after a reboot) is removed, because
 * PostgreSQL would refuse to start if that program runs as the same user.
 */
async function recoverLeftovers(pgdata: string, log: Logger): Promise<void> {
  const pidFile = path.join(pgdata, 'postmaster.pid');
  const text = await readFile(pidFile, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const pid = Number(text.split('\n')[0]);
  if (isServerOf(pid, pgdata, ['postgres'])) {
    log.warn(
      { pid, pgdata },
      'an embedded PostgreSQL from an earlier run is still running on this DATA_DIR (its supervisor died): stopping it',
    );
    await stopProcess(pid, postgresStopSteps);
  } else if (pidIsFree(pid)) {
    log.info({ pid, pgdata }, 'the embedded PostgreSQL was not stopped cleanly last time: it will recover');
  } else {
    log.info({ pid, pgdata }, 'removing a stale postmaster.pid (its pid now belongs to another program)');
    await unlink(pidFile).catch(() => {});
  }
  // Backends of a killed postmaster exit on their own once they notice; give them a moment, then insist.
  // Only PostgreSQL processes: a shell someone left in that directory is none of our business.
  const backends = processesUsingDir(pgdata).filter((pid) => (processCommand(pid) ?? '').includes('postgres'));
  for (const backend of backends) {
    if (!(await waitForProcessExit(backend, 5_000))) signalProcess(backend, 'SIGKILL');
  }
}

/** true when no process at all has this pid. */
function pidIsFree(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function assertSameMajor(pgdata: string, major: number, version: string): Promise<void> {
  const dataMajor = Number((await readFile(path.join(pgdata, 'PG_VERSION'), 'utf8')).trim());
  if (dataMajor !== major) {
    throw new Error(
      `${pgdata} holds a PostgreSQL ${dataMajor} cluster, and the embedded PostgreSQL is ${version}: a major version cannot open another's files. ` +
        `Start batchcast with the version that made it and \`pg_dumpall\` the data, then move ${pgdata} away and restore into the new one; ` +
        'or, if the data is not needed, delete that directory.',
    );
  }
}

/**
 * initdb into DATA_DIR/postgres.init, then a rename: a crash half-way leaves a directory we know we may
 * delete, never a half-made DATA_DIR/postgres. The password goes through a file beside it (0600, owned by
 * the server user), deleted at once, never through argv (which every local user can read in ps).
 */
async function initialise(
  opts: EmbeddedServerOptions,
  pgdata: string,
  initdb: string,
  runAs: RunAs | undefined,
  log: Logger,
): Promise<void> {
  if (existsSync(pgdata)) {
    if ((await readdir(pgdata)).length > 0) {
      throw new Error(
        `${pgdata} is not empty but holds no PostgreSQL cluster (no PG_VERSION): move it away, or set DATA_DIR to another directory.`,
      );
    }
    await rm(pgdata, { recursive: true });
  }
  const started = Date.now();
  const initDir = `${pgdata}.init`;
  const pwFile = `${pgdata}.pwfile`;
  await rm(initDir, { recursive: true, force: true });
  await mkdir(initDir, { mode: 0o700 });
  await writeFile(pwFile, `${opts.password}\n`, { mode: 0o600 });
  if (runAs) {
    await chown(initDir, runAs.uid, runAs.gid);
    await chown(pwFile, runAs.uid, runAs.gid);
  }
  try {
    await run(
      initdb,
      [
        '-D',
        initDir,
        '-U',
        POSTGRES_OS_USER,
        `--pwfile=${pwFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--no-locale',
        '--no-instructions',
      ],
      runAs ? { uid: runAs.uid, gid: runAs.gid } : {},
    );
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`initdb failed for the embedded PostgreSQL in ${initDir}: ${(stderr || (error as Error).message).trim()}`);
  } finally {
    await rm(pwFile, { force: true });
  }
  await rename(initDir, pgdata);
  log.info({ pgdata, ms: Date.now() - started }, 'initialised the embedded PostgreSQL cluster');
}

/** Ready when postmaster.pid names our process and says "ready" (what `pg_ctl -w` waits for; no log parsing). */
async function waitUntilReady(pgdata: string, server: ServerProcess): Promise<'ready' | 'exited' | 'timeout'> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.hasExited()) return 'exited';
    const lines = (await readFile(path.join(pgdata, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n');
    if (lines[0] === String(server.pid) && lines[7]?.trim() === 'ready') return 'ready';
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return 'timeout';
}

async function ensureDatabase(port: number, password: string, name: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: POSTGRES_OS_USER, password, database: 'postgres' });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `The embedded PostgreSQL started but refused the password kept in DATA_DIR/embedded/secrets.json (${(error as Error).message}). ` +
        'Was that file replaced or deleted? Restore it, or move DATA_DIR/postgres away to start a new cluster.',
    );
  }
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}
