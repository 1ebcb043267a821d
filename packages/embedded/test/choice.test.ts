import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_DATABASE_URL,
  DEFAULT_REDIS_URL,
  type EmbeddedService,
  probeApart,
  RedisNotFoundError,
  resolveServices,
  type ServerExit,
} from '../src/index.js';
import { processesUsingDir } from '../src/process-info.js';
import { redisInstallCommand } from '../src/install-hint.js';
import { cleanupDataDirs, closedPort, log, makeDataDir, sql, waitFor, withRedis } from './helpers.js';

const execFileAsync = promisify(execFile);

/** One server probed through probeApart. */
async function probeOne(service: 'postgres' | 'redis', url: string) {
  return (await probeApart({ [service]: url }))[service];
}

afterEach(cleanupDataDirs);

describe('where the services come from', () => {
  it('unset: the machine PostgreSQL and Redis on their default local addresses, when they answer', async () => {
    const dataDir = await makeDataDir();
    const services = await resolveServices({}, { dataDir, log });
    expect(services).toMatchObject({
      database: 'local-default',
      redis: 'local-default',
      databaseUrl: DEFAULT_DATABASE_URL,
      redisUrl: DEFAULT_REDIS_URL,
    });
    expect(services.summary).toBe(
      'PostgreSQL: local, as DATABASE_URL is unset and 127.0.0.1:5432 answered; Redis: local, as REDIS_URL is unset and 127.0.0.1:6379 answered',
    );
    await services.stop();
    // Nothing embedded: DATA_DIR is not touched.
    expect(existsSync(path.join(dataDir, 'embedded'))).toBe(false);
  });

  it('unset, with nothing answering on the default addresses: the embedded ones, saying why', async () => {
    const dataDir = await makeDataDir();
    const [pgPort, redisPort] = [await closedPort(), await closedPort()];
    const exits: [EmbeddedService, ServerExit][] = [];
    const services = await resolveServices(
      { DATABASE_URL: '', REDIS_URL: undefined },
      {
        dataDir,
        log,
        localDefaults: { databaseUrl: `postgres://postgres@127.0.0.1:${pgPort}/batchcast`, redisUrl: `redis://127.0.0.1:${redisPort}/0` },
        onUnexpectedExit: (service, exit) => exits.push([service, exit]),
      },
    );
    try {
      expect(services.database).toBe('embedded');
      expect(services.redis).toBe('embedded');
      expect(services.reasons.database).toMatch(
        new RegExp(
          `^PostgreSQL: embedded 18\\.\\d+ on 127\\.0\\.0\\.1:\\d+, data in .*postgres, because DATABASE_URL is unset and 127\\.0\\.0\\.1:${pgPort} did not answer \\(nothing listens there\\)$`,
        ),
      );
      expect(services.reasons.redis).toContain(
        `because REDIS_URL is unset and 127.0.0.1:${redisPort} did not answer (nothing listens there)`,
      );
      expect(await sql(services.databaseUrl, 'SELECT current_database() AS db')).toEqual([{ db: 'batchcast' }]);
      expect(await withRedis(services.redisUrl, (redis) => redis.ping())).toBe('PONG');
      // A Redis that wants a password we do not have does not count as answering.
      const withoutPassword = new URL(services.redisUrl);
      withoutPassword.password = '';
      expect(await probeOne('redis', withoutPassword.toString())).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/refused the login.*NOAUTH/),
      });

      // A server that dies under the platform is reported; stop() still stops the other and leaves nothing.
      process.kill(services.embedded.redis!.pid, 'SIGKILL');
      await waitFor(() => exits.length > 0, 10_000, 'the exit of the killed Redis to be reported');
      expect(exits).toEqual([['redis', { code: null, signal: 'SIGKILL' }]]);
    } finally {
      await services.stop();
    }
    expect(processesUsingDir(dataDir)).toEqual([]);
  });

  it('a URL is used as it is, without a probe or a fallback', async () => {
    const dataDir = await makeDataDir();
    const unreachable = `postgres://someone:secret@127.0.0.1:${await closedPort()}/elsewhere`;
    const services = await resolveServices({ DATABASE_URL: unreachable, REDIS_URL: DEFAULT_REDIS_URL }, { dataDir, log });
    expect(services).toMatchObject({ database: 'external', redis: 'external', databaseUrl: unreachable, redisUrl: DEFAULT_REDIS_URL });
    expect(services.summary).not.toContain('secret');
    await services.stop();
  });

  it('a server that answers but refuses the login does not count as answering', async () => {
    expect(await probeOne('postgres', 'postgres://no_such_role@127.0.0.1:5432/batchcast')).toMatchObject({
      ok: false,
      refused: true,
      detail: expect.stringMatching(/refused the login/),
    });
    expect(await probeOne('postgres', DEFAULT_DATABASE_URL)).toMatchObject({ ok: true });
    expect(await probeOne('postgres', 'postgres://postgres@127.0.0.1:5432/no_such_database_here')).toMatchObject({ ok: true });
    expect(await probeOne('redis', DEFAULT_REDIS_URL)).toEqual({ ok: true, detail: 'it answered' });
    expect(await probeOne('redis', `redis://127.0.0.1:${await closedPort()}/0`)).toMatchObject({
      ok: false,
      detail: 'nothing listens there',
    });
  });

  it('a Redis without the database index the URL names is unfit, saying how many it has (ioredis went on in database 0)', async () => {
    const url = new URL(DEFAULT_REDIS_URL);
    url.pathname = '/99';
    expect(await probeOne('redis', url.toString())).toEqual({
      ok: false,
      unfit: true,
      detail:
        "has no database 99, the index REDIS_URL names (this server has 16, 0 to 15): batchcast's queues would go to database 0 instead, " +
        "shared with whatever else uses it. Set the index in REDIS_URL to one from 0 to 15, or raise `databases` in the server's configuration",
    });
    url.pathname = '/15';
    expect(await probeOne('redis', url.toString())).toEqual({ ok: true, detail: 'it answered' });
  });

  it('probing loads neither pg nor ioredis into the process that asks (the supervisor holds on to what it loads)', async () => {
    const script = [
      `const embedded = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});`,
      `const probed = await embedded.probeApart({ postgres: ${JSON.stringify(DEFAULT_DATABASE_URL)}, redis: ${JSON.stringify(DEFAULT_REDIS_URL)} });`,
      'const answers = [probed.postgres, probed.redis];',
      `const { createRequire } = await import('node:module');`,
      `const loaded = Object.keys(createRequire(process.cwd() + '/').cache).filter((f) => /node_modules\\/(pg|ioredis)\\//.test(f));`,
      `console.log(JSON.stringify({ answers: answers.map((a) => a.ok), loaded }));`,
    ].join('\n');
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script]);
    expect(JSON.parse(stdout)).toEqual({ answers: [true, true], loaded: [] });
  });
});

describe('no Redis server on PATH', () => {
  it('refuses in one line that says how to install one on this machine, before starting PostgreSQL', async () => {
    const dataDir = await makeDataDir();
    const emptyBin = await mkdtemp(path.join(os.tmpdir(), 'batchcast-empty-path-'));
    const savedPath = process.env.PATH;
    process.env.PATH = emptyBin;
    try {
      const refusal = resolveServices({ DATABASE_URL: 'embedded', REDIS_URL: 'embedded' }, { dataDir, log });
      await expect(refusal).rejects.toBeInstanceOf(RedisNotFoundError);
      const message = ((await refusal.catch((error: unknown) => error)) as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toMatch(
        /^REDIS_URL=embedded, and there is no redis-server \(or valkey-server\) on PATH to run one: install it with `.+`, or set REDIS_URL/,
      );
      const osRelease = await readFile('/etc/os-release', 'utf8').catch(() => '');
      if (/^(ID|ID_LIKE)=.*debian/m.test(osRelease)) expect(message).toContain('apt install redis-server');
      expect(existsSync(path.join(dataDir, 'postgres'))).toBe(false);
    } finally {
      process.env.PATH = savedPath;
      await rm(emptyBin, { recursive: true, force: true });
    }
  });

  it('names the package manager of each kind of machine', () => {
    const os = (text: string) => redisInstallCommand('linux', text, true);
    expect(os('ID=debian\nVERSION_ID="12"')).toBe('apt install redis-server');
    expect(os('ID=ubuntu\nID_LIKE=debian')).toBe('apt install redis-server');
    expect(os('ID=linuxmint\nID_LIKE="ubuntu debian"')).toBe('apt install redis-server');
    expect(os('ID=alpine')).toBe('apk add redis');
    expect(os('ID=fedora\nVERSION_ID=40')).toBe('dnf install redis');
    expect(os('ID=fedora\nVERSION_ID=41')).toBe('dnf install valkey');
    expect(os('ID="rocky"\nID_LIKE="rhel centos fedora"')).toBe('dnf install redis');
    expect(os('ID=arch')).toBe('pacman -S valkey');
    expect(os('ID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"')).toBe('zypper install redis');
    expect(os('ID=gentoo')).toBeUndefined();
    expect(redisInstallCommand('linux', 'ID=debian', false)).toBe('sudo apt install redis-server');
    expect(redisInstallCommand('darwin', undefined, false)).toBe('brew install redis');
  });
});
