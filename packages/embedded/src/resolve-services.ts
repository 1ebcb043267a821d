import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@batchcast/log';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js';
import { savePorts } from './ports.js';
import { probeApart } from './probe-apart.js';
import { addressOf, type ProbeResult } from './probe-result.js';
import { findRedisServer, type RedisBinary } from './redis-binary.js';
import { loadOrCreateSecrets } from './secrets.js';
import type { ServerExit } from './server-process.js';
import type { StartedServer } from './server-types.js';

/** Where a service came from: started by us, a URL the operator gave, or the machine's own on its default port. */
export type ServiceSource = 'embedded' | 'external' | 'local-default';

export type EmbeddedService = 'postgres' | 'redis';

/** The raw environment values: undefined or '' means "not set" (so pass process.env, not the parsed config with its defaults). */
export interface ServicesEnv {
  DATABASE_URL?: string;
  REDIS_URL?: string;
}

export interface ResolveServicesOptions {
  /** DATA_DIR; the embedded servers keep their data in DATA_DIR/postgres and DATA_DIR/redis. */
  dataDir: string;
  log: Logger;
  /** What an unset variable tries first; defaults: DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL. */
  localDefaults?: { databaseUrl?: string; redisUrl?: string };
  /** An embedded server died while the platform runs (default: an error log line naming its log file). */
  onUnexpectedExit?: (service: EmbeddedService, exit: ServerExit) => void;
}

export interface EmbeddedServerInfo {
  pid: number;
  port: number;
  version: string;
  dir: string;
  logFile: string;
}

export interface ResolvedServices {
  databaseUrl: string;
  redisUrl: string;
  database: ServiceSource;
  redis: ServiceSource;
  /** One line for the start-up log: what was chosen and why. Never contains a password. */
  summary: string;
  /** The same, per service. */
  reasons: { database: string; redis: string };
  /** The servers we started (absent for the others). */
  embedded: { postgres?: EmbeddedServerInfo; redis?: EmbeddedServerInfo };
  /**
   * Stops the embedded servers (PostgreSQL fast shutdown, Redis SHUTDOWN with AOF fsync), each bounded
   * (then immediate shutdown / SIGKILL), and releases DATA_DIR. Idempotent; a no-op without embedded servers.
   */
  stop(): Promise<void>;
}

export const EMBEDDED = 'embedded';
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/batchcast';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379/0';

interface Choice {
  source: ServiceSource;
  url?: string;
  reason: string;
}

/**
 * Decides where PostgreSQL and Redis come from, and starts the embedded ones:
 * - `embedded`: started from DATA_DIR (data kept across restarts);
 * - a URL: used as it is;
 * - unset: the machine's own server on its default local address if it answers (connect + auth, a second
 *   at most), else the embedded one.
 * Throws, having stopped whatever it had started, when an embedded server cannot run (with what to do).
 */
export async function resolveServices(env: ServicesEnv, opts: ResolveServicesOptions): Promise<ResolvedServices> {
  const { log } = opts;
  const dataDir = path.resolve(opts.dataDir);
  const databaseDefault = opts.localDefaults?.databaseUrl ?? DEFAULT_DATABASE_URL;
  const redisDefault = opts.localDefaults?.redisUrl ?? DEFAULT_REDIS_URL;
  // The local defaults of the unset ones, probed together.
  const probed = await probeApart({
    postgres: settingOf(env.DATABASE_URL) === '' ? databaseDefault : undefined,
    redis: settingOf(env.REDIS_URL) === '' ? redisDefault : undefined,
  });
  const database = choose('DATABASE_URL', env.DATABASE_URL, databaseDefault, probed.postgres);
  const redis = choose('REDIS_URL', env.REDIS_URL, redisDefault, probed.redis);
  // Before anything starts: a missing redis-server must not leave a PostgreSQL started for nothing.
  const redisBinary = redis.source === 'embedded' ? await findRedisServer(redis.reason) : undefined;

  let started: { postgres?: StartedServer; redis?: StartedServer; lock?: DataDirLock } = {};
  if (database.source === 'embedded' || redisBinary) {
    started = await startEmbedded(dataDir, database.source === 'embedded', redisBinary, opts);
  }
  const databaseUrl = started.postgres?.url ?? database.url!;
  const redisUrl = started.redis?.url ?? redis.url!;
  const reasons = {
    database: describe('PostgreSQL', database, started.postgres),
    redis: describe('Redis', redis, started.redis),
  };

  let stopping: Promise<void> | undefined;
  return {
    databaseUrl,
    redisUrl,
    database: database.source,
    redis: redis.source,
    summary: `${reasons.database}; ${reasons.redis}`,
    reasons,
    embedded: { postgres: info(started.postgres), redis: info(started.redis) },
    stop() {
      stopping ??= stopEmbedded(started, log);
      return stopping;
    },
  };
}

const settingOf = (value: string | undefined): string => value?.trim() ?? '';

/** Where a service comes from, given its variable and, when it is unset, the probe of its local default. */
function choose(name: string, value: string | undefined, localDefault: string, probe: ProbeResult | undefined): Choice {
  const setting = settingOf(value);
  if (setting.toLowerCase() === EMBEDDED) return { source: 'embedded', reason: `${name}=embedded` };
  if (setting !== '') return { source: 'external', url: setting, reason: `${name} (${addressOf(setting)})` };
  const result = probe ?? { ok: false, detail: 'it was not probed' };
  if (result.ok) return { source: 'local-default', url: localDefault, reason: `${name} is unset and ${addressOf(localDefault)} answered` };
  return { source: 'embedded', reason: `${name} is unset and ${addressOf(localDefault)} did not answer (${result.detail})` };
}

function describe(service: string, choice: Choice, server: StartedServer | undefined): string {
  if (!server) return `${service}: ${choice.source === 'external' ? 'from' : 'local, as'} ${choice.reason}`;
  return `${service}: embedded ${server.version} on 127.0.0.1:${server.port}, data in ${displayPath(server.dir)}, because ${choice.reason}`;
}

function displayPath(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : dir;
}

function info(server: StartedServer | undefined): EmbeddedServerInfo | undefined {
  return server && { pid: server.pid, port: server.port, version: server.version, dir: server.dir, logFile: server.logFile };
}

async function startEmbedded(
  dataDir: string,
  withPostgres: boolean,
  redisBinary: RedisBinary | undefined,
  opts: ResolveServicesOptions,
): Promise<{ postgres?: StartedServer; redis?: StartedServer; lock?: DataDirLock }> {
  const { log } = opts;
  const startedAt = Date.now();
  const embeddedDir = path.join(dataDir, 'embedded');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await mkdir(embeddedDir, { recursive: true, mode: 0o700 });
  await chmod(embeddedDir, 0o700);
  const lock = await acquireDataDirLock(dataDir, log);
  const onUnexpectedExit =
    opts.onUnexpectedExit ??
    ((service: EmbeddedService, exit: ServerExit) =>
      log.error(
        { service, ...exit, logFile: path.join(embeddedDir, `${service}.log`) },
        `the embedded ${service} exited while the platform was running`,
      ));
  try {
    // Imported only to start them: both load their clients (pg, ioredis), which a platform on servers of its
    // own should not hold in its supervisor (see probeApart).
    const [{ startEmbeddedPostgres }, { startEmbeddedRedis }] = await Promise.all([
      import('./embedded-postgres.js'),
      import('./embedded-redis.js'),
    ]);
    const secrets = await loadOrCreateSecrets(embeddedDir);
    const common = { dataDir, embeddedDir, log };
    const [postgres, redis] = await Promise.allSettled([
      withPostgres
        ? startEmbeddedPostgres({
            ...common,
            password: secrets.postgresPassword,
            onUnexpectedExit: (exit) => onUnexpectedExit('postgres', exit),
          })
        : undefined,
      redisBinary
        ? startEmbeddedRedis({
            ...common,
            binary: redisBinary,
            password: secrets.redisPassword,
            onUnexpectedExit: (exit) => onUnexpectedExit('redis', exit),
          })
        : undefined,
    ]);
    const started = {
      postgres: postgres.status === 'fulfilled' ? postgres.value : undefined,
      redis: redis.status === 'fulfilled' ? redis.value : undefined,
      lock,
    };
    const failure = [postgres, redis].find((outcome) => outcome.status === 'rejected');
    if (failure) {
      await stopEmbedded(started, log);
      throw failure.reason;
    }
    await savePorts(embeddedDir, { postgres: started.postgres?.port, redis: started.redis?.port });
    log.info({ ms: Date.now() - startedAt, postgres: info(started.postgres), redis: info(started.redis) }, 'embedded services started');
    return started;
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function stopEmbedded(started: { postgres?: StartedServer; redis?: StartedServer; lock?: DataDirLock }, log: Logger): Promise<void> {
  if (!started.postgres && !started.redis && !started.lock) return;
  const startedAt = Date.now();
  await Promise.all([started.postgres?.process.stop(), started.redis?.process.stop()]);
  await started.lock?.release();
  if (started.postgres || started.redis) log.info({ ms: Date.now() - startedAt }, 'embedded services stopped');
}
