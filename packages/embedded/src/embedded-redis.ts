import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@batchcast/log';
import { Redis } from 'ioredis';
import { choosePort } from './ports.js';
import { isServerOf, processCommand, processesUsingDir } from './process-info.js';
import type { RedisBinary } from './redis-binary.js';
import { spawnServer } from './server-process.js';
import type { EmbeddedServerOptions, StartedServer } from './server-types.js';
import { redisStopSteps, stopProcess } from './stop-steps.js';

const READY_TIMEOUT_MS = 60_000;
const SERVER_NAMES = ['redis-server', 'valkey-server'];

/**
 * Starts the Redis (or Valkey) found on PATH with its data in DATA_DIR/redis, on 127.0.0.1 and a port of
 * its own, with a password. The settings BullMQ needs and the platform relies on:
 * - `appendonly yes`, fsync every second: queued jobs survive a restart or a kill of the server (the
 *   AOF is written before a client gets its answer, so only a machine crash loses the last second, and
 *   the reconciler re-enqueues from PostgreSQL what is lost). No RDB snapshots (`save ""`): the AOF
 *   (with its RDB preamble on rewrite) is the one copy, and fork-and-dump pauses are not needed.
 * - `maxmemory-policy noeviction`: evicting keys would silently drop jobs; a full Redis must fail loudly.
 * - `protected-mode yes` and `requirepass`: only 127.0.0.1 is bound, and the password keeps other local
 *   users out. The password is in redis.conf (0600), never in argv, which every local user can read.
 */
export async function startEmbeddedRedis(opts: EmbeddedServerOptions & { binary: RedisBinary }): Promise<StartedServer> {
  const { log } = opts;
  const dir = path.join(opts.dataDir, 'redis');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await recoverLeftovers(dir, log);
  const logFile = path.join(opts.embeddedDir, 'redis.log');
  const configFile = path.join(dir, 'redis.conf');
  const tried: number[] = [];
  for (;;) {
    const port = await choosePort(opts.embeddedDir, 'redis', tried);
    tried.push(port);
    await writeFile(configFile, redisConfig(dir, port, opts.password), { mode: 0o600 });
    const server = spawnServer({
      command: opts.binary.path,
      args: [configFile],
      cwd: dir,
      logFile,
      stopSteps: redisStopSteps,
      label: opts.dataDir,
      onUnexpectedExit: opts.onUnexpectedExit,
    });
    const outcome = await waitUntilReady(port, opts.password, () => server.hasExited());
    if (outcome === 'ready') {
      const url = `redis://:${opts.password}@127.0.0.1:${port}/0`;
      return { url, port, pid: server.pid, version: `${opts.binary.flavor} ${opts.binary.version}`, dir, logFile, process: server };
    }
    if (outcome === 'timeout') await server.stop();
    const tail = server.logTail();
    if (tail.includes('Address already in use') && tried.length < 3) continue;
    throw new Error(
      `The embedded Redis (${opts.binary.path}) in ${dir} did not start (${outcome === 'timeout' ? `not ready after ${READY_TIMEOUT_MS / 1000} s` : 'it exited'}); the end of ${logFile}:\n${tail}`,
    );
  }
}

function redisConfig(dir: string, port: number, password: string): string {
  const quoted = (value: string) => JSON.stringify(value);
  return [
    '# Written by batchcast at every start of its embedded Redis: changes here are overwritten.',
    'bind 127.0.0.1',
    `port ${port}`,
    'protected-mode yes',
    `requirepass ${password}`,
    `dir ${quoted(dir)}`,
    `pidfile ${quoted(path.join(dir, 'redis.pid'))}`,
    'daemonize no',
    'logfile ""',
    'appendonly yes',
    'appendfsync everysec',
    'save ""',
    'maxmemory-policy noeviction',
    '',
  ].join('\n');
}

/**
 * A Redis of ours still running from an earlier run (its supervisor and watchdog were killed) is shut
 * down (SIGTERM, which fsyncs the AOF), never reused, for the reasons given for PostgreSQL; two servers
 * appending to one AOF would corrupt it. Found by its pid file, or on Linux by its working directory in
 * case the pid file is gone. A pid file whose process is gone is simply removed.
 */
async function recoverLeftovers(dir: string, log: Logger): Promise<void> {
  const pidFile = path.join(dir, 'redis.pid');
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  const orphans = new Set<number>();
  if (isServerOf(pid, dir, SERVER_NAMES)) orphans.add(pid);
  for (const other of processesUsingDir(dir)) {
    const command = processCommand(other) ?? '';
    if (SERVER_NAMES.some((name) => command.includes(name))) orphans.add(other);
  }
  for (const orphan of orphans) {
    log.warn(
      { pid: orphan, dir },
      'an embedded Redis from an earlier run is still running on this DATA_DIR (its supervisor died): stopping it',
    );
    await stopProcess(orphan, redisStopSteps);
  }
  await unlink(pidFile).catch(() => {});
}

/** Ready once it answers PING with our password; ioredis' ready check also waits while the AOF is loading. */
async function waitUntilReady(port: number, password: string, exited: () => boolean): Promise<'ready' | 'exited' | 'timeout'> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited()) return 'exited';
    const client = new Redis({
      host: '127.0.0.1',
      port,
      password,
      lazyConnect: true,
      connectTimeout: 1_000,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      return 'ready';
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    } finally {
      client.disconnect();
    }
  }
  return 'timeout';
}
