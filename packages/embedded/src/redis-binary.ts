import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { redisInstallCommand, redisNotFoundMessage } from './install-hint.js';

const run = promisify(execFile);

export interface RedisBinary {
  path: string;
  /** e.g. "7.0.15" */
  version: string;
  flavor: 'redis' | 'valkey';
}

/** BullMQ refuses older servers; it recommends 6.2 and warns below it. */
const MINIMUM_VERSION = [5, 0, 0];

/** Thrown when no Redis server binary is on PATH; its message is the one-line install hint. */
export class RedisNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisNotFoundError';
  }
}

/** The first `redis-server`, else `valkey-server`, on PATH (Debian, Homebrew, Alpine and Fedora put them there). */
export async function findRedisServer(reason: string, searchPath = process.env.PATH ?? ''): Promise<RedisBinary> {
  for (const name of ['redis-server', 'valkey-server'] as const) {
    for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
      const candidate = path.join(dir, name);
      try {
        await access(candidate, constants.X_OK);
      } catch {
        continue;
      }
      const { stdout } = await run(candidate, ['--version']);
      const version = /v=(\d+\.\d+\.\d+)/.exec(stdout)?.[1];
      if (!version) throw new Error(`Unexpected answer from ${candidate} --version: ${stdout.trim()}`);
      const parts = version.split('.').map(Number);
      if (compare(parts, MINIMUM_VERSION) < 0) {
        throw new Error(
          `${candidate} is Redis ${version}; BullMQ needs 5.0 or newer (6.2 or newer recommended): upgrade it, or set REDIS_URL to a newer Redis.`,
        );
      }
      return { path: candidate, version, flavor: name === 'valkey-server' ? 'valkey' : 'redis' };
    }
  }
  const osRelease = process.platform === 'linux' ? await readFile('/etc/os-release', 'utf8').catch(() => undefined) : undefined;
  throw new RedisNotFoundError(redisNotFoundMessage(redisInstallCommand(process.platform, osRelease, process.getuid?.() === 0), reason));
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
