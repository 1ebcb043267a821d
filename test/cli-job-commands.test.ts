import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WatchedCli, watchCli } from './support/cli.js';
import { csvObjects } from './support/csv.js';
import { ADMIN_TOKEN, examples, freePort, Platform } from './support/platform.js';
import { pg } from './support/services.js';

/**
 * The CLI's commands on one job (status, download, cancel) by its id with an API key as well as by its link,
 * and what the CLI says of a wrong --out, --delimiter, a closed stdout, a server that stops answering, an https
 * URL at a plain http server: a real CLI process against a real platform.
 */
const iris = path.join(examples, 'data/iris.csv');
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
let platform: Platform;
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'batchcast-cli-jobs-'));
  platform = await new Platform({ workers: 1 }).start();
});
afterAll(async () => {
  // A test that failed while its command still waited (for a server that never answers) leaves it running.
  for (const child of children) if (child.exitCode === null) child.kill();
  await platform?.stop();
  await rm(tmp, { recursive: true, force: true });
});

const children: ChildProcess[] = [];

function start(args: string[], env: Record<string, string> = {}, opts: { closeStdout?: boolean } = {}): WatchedCli {
  const run = watchCli(platform.baseUrl, args, { env, cwd: tmp, ...opts });
  children.push(run.child);
  return run;
}

const cli = (args: string[], env: Record<string, string> = {}) => start(args, env).done;

async function createKey(name: string, scopes: string[]): Promise<string> {
  const res = await fetch(platform.url('/api/keys'), {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ name, scopes }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

/** Runs `body` with the score queue paused: a job submitted meanwhile stays queued. */
async function paused<T>(body: () => Promise<T>): Promise<T> {
  expect((await fetch(platform.url('/admin/queues/api/queues/score/pause'), { method: 'PUT', headers: admin })).status).toBe(200);
  try {
    return await body();
  } finally {
    await fetch(platform.url('/admin/queues/api/queues/score/resume'), { method: 'PUT', headers: admin });
  }
}

const idOf = (page: string) => new URL(page).pathname.split('/').pop()!;

describe('batchcast status, download and cancel', () => {
  it('take a job id with the API key that submitted it, and jobs says so; cancel cancels', async () => {
    const key = await createKey('cli-by-id', ['jobs:read', 'jobs:write']);
    await paused(async () => {
      const submitted = await cli(['submit', iris, '--model', 'iris-logreg', '--key', key]);
      expect(submitted.code, submitted.stderr).toBe(0);
      const id = idOf(submitted.stdout.trim());

      const listed = await cli(['jobs', '--key', key]);
      expect(listed.stdout).toContain(id);
      expect(listed.stderr).toContain('batchcast status|download|cancel ID with this key');

      const status = await cli(['status', id, '--key', key]);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/^status\s+queued$/m);
      // The key from the environment, as jobs and submit take it.
      expect((await cli(['status', id], { BATCHCAST_API_KEY: key })).stdout).toMatch(/^status\s+queued$/m);

      const keyless = await cli(['status', id]);
      expect(keyless.code).toBe(2);
      expect(keyless.stderr).toContain('give --key KEY or set BATCHCAST_API_KEY');
      const wrongUrl = await cli(['status', submitted.stdout.trim(), '--url', platform.baseUrl]);
      expect(wrongUrl.code).toBe(2);
      expect(wrongUrl.stderr).toContain('leave out --url');

      const cancelled = await cli(['cancel', id, '--key', key]);
      expect(cancelled.code, cancelled.stderr).toBe(0);
      expect(cancelled.stderr).toContain(`job ${id} cancelled`);
      expect((await cli(['status', id, '--key', key])).stdout).toMatch(/^status\s+cancelled$/m);
      const again = await cli(['cancel', id, '--key', key]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('already_finished');

      // By its link, without a key.
      const anonymous = (await cli(['submit', iris, '--model', 'iris-logreg'])).stdout.trim();
      const byLink = await cli(['cancel', anonymous]);
      expect(byLink.code, byLink.stderr).toBe(0);
      expect(byLink.stderr).toContain('cancelled');
    });

    const scored = await cli(['submit', iris, '--model', 'iris-logreg', '--key', key, '--wait']);
    expect(scored.code, scored.stderr).toBe(0);
    const out = path.join(tmp, 'by-id.txt');
    const downloaded = await cli(['download', idOf(scored.stdout.trim()), '--key', key, '--out', out]);
    expect(downloaded.code, downloaded.stderr).toBe(0);
    // A .txt name gets CSV, and the command says so.
    expect(downloaded.stderr).toMatch(/results written to .*by-id\.txt \(csv, /);
    expect(csvObjects(await readFile(out, 'utf8')).rows).toHaveLength(150);
  });

  it('Ctrl-C while submit --wait waits says the command that cancels the job', async () => {
    await paused(async () => {
      const run = start(['submit', iris, '--model', 'iris-logreg', '--wait']);
      await run.saw('\n', 'stdout');
      run.child.kill('SIGINT');
      const { code, stdout, stderr } = await run.done;
      expect(code).toBe(130);
      const page = stdout.trim();
      expect(stderr).toContain(`to cancel it: batchcast cancel '${page}'`);
      const cancelled = await cli(['cancel', page]);
      expect(cancelled.code, cancelled.stderr).toBe(0);
    });
  });
});

describe('batchcast download output', () => {
  let page: string;
  beforeAll(async () => {
    const r = await cli(['submit', iris, '--model', 'iris-logreg', '--wait']);
    expect(r.code, r.stderr).toBe(0);
    page = r.stdout.trim();
  });

  it('refuses an --out extension naming a format results are not written in, before anything is sent', async () => {
    for (const [args, ext] of [
      [['download', page, '--out', path.join(tmp, 'r.csv.gz')], '.gz'],
      [['download', page, '--out', path.join(tmp, 'r.xls')], '.xls'],
      [['download', page, '--out', path.join(tmp, 'r.json')], '.json'],
      [['submit', iris, '--model', 'iris-logreg', '--out', path.join(tmp, 'r.csv.zst')], '.zst'],
    ] as const) {
      const r = await cli([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`${ext} names`);
      expect(r.stderr).toContain('--format csv|xlsx|parquet|jsonl');
      expect(r.stdout).toBe('');
    }
    // --format says it for any name.
    const chosen = await cli(['download', page, '--out', path.join(tmp, 'plain.csv.gz'), '--format', 'csv']);
    expect(chosen.code, chosen.stderr).toBe(0);
    expect(chosen.stderr).toContain('(csv, ');
  });

  /**
   * A real TCP hop in front of the platform, as a web process restarting looks to a client: the first connection
   * gets the answer's headers and the first bytes of its body, then is cut (the process killed); then nothing
   * listens (connections refused) until `reopen()`; after that every connection goes through.
   */
  async function restartingHop(): Promise<{ url: string; reopen: () => void; connections: () => number; close: () => Promise<void> }> {
    let connections = 0;
    let port = 0;
    const hop = net.createServer((client) => {
      const upstream = net.connect(platform.port, '127.0.0.1');
      client.on('error', () => undefined);
      upstream.on('error', () => undefined);
      client.pipe(upstream);
      if (++connections > 1) {
        upstream.pipe(client);
        return;
      }
      let got = Buffer.alloc(0);
      upstream.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        const headersEnd = got.indexOf('\r\n\r\n');
        if (headersEnd < 0 || got.length < headersEnd + 4 + 300) return;
        client.write(got.subarray(0, headersEnd + 4 + 300), () => {
          client.destroy();
          upstream.destroy();
        });
        hop.close();
      });
    });
    await new Promise<void>((resolve) => hop.listen(0, '127.0.0.1', resolve));
    port = (hop.address() as net.AddressInfo).port;
    return {
      url: `http://127.0.0.1:${port}`,
      reopen: () => hop.listen(port, '127.0.0.1'),
      connections: () => connections,
      close: () => new Promise<void>((resolve) => hop.close(() => resolve())),
    };
  }

  it('a server restarting mid-download (cut, then refusing connections) is waited for; the file appears only whole', async () => {
    const whole = await (await fetch(new URL(`/api${new URL(page).pathname}/results.csv${new URL(page).search}`, platform.baseUrl))).text();
    expect(csvObjects(whole).rows).toHaveLength(150);
    const hop = await restartingHop();
    const dir = await mkdtemp(path.join(tmp, 'restart-download-'));
    const out = path.join(dir, 'results.csv');
    const link = new URL(page);
    const through = `${hop.url}${link.pathname}${link.search}`;
    try {
      const run = start(['download', through, '--out', out]);
      await run.saw('downloading again from the start in 1 s (attempt 2 of 6)');
      // Cut after part of the results: nothing under the final name, and no temporary file left behind.
      expect(await readdir(dir)).toEqual([]);
      await run.saw('(connection refused); downloading again from the start in 2 s (attempt 3 of 6)');
      hop.reopen();
      const r = await run.done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/the download from http:\/\/127\.0\.0\.1:\d+ was cut off after \d+ bytes/);
      expect(r.stderr).toContain(`results written to ${out}`);
      expect(await readFile(out, 'utf8')).toBe(whole);
      expect(await readdir(dir)).toEqual(['results.csv']);
      expect(hop.connections()).toBe(2); // the cut one and the whole one: refused connections never reached it
    } finally {
      await hop.close().catch(() => undefined);
    }
  });

  it('a download to stdout cut after part of the results fails, saying stdout has only their start', async () => {
    const hop = await restartingHop();
    const link = new URL(page);
    try {
      const run = start(['download', `${hop.url}${link.pathname}${link.search}`, '--out', '-']);
      const r = await run.done;
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('stdout has only the start of the results; download them again');
      expect(r.stderr).not.toContain('downloading again');
      expect(r.stdout.length).toBeGreaterThan(0);
    } finally {
      await hop.close().catch(() => undefined);
    }
  });

  it('ends quietly, status 0, when the reader of stdout has gone (| head -1)', async () => {
    const r = await start(['download', page, '--out', '-'], {}, { closeStdout: true }).done;
    expect(r.stderr).not.toContain('EPIPE');
    expect(r.code).toBe(0);
  });
});

describe('batchcast messages', () => {
  it('checks --delimiter, --decimal and --encoding before uploading, with the values it takes', async () => {
    for (const [flag, value, said] of [
      ['--delimiter', 'colon', 'comma, semicolon, tab, pipe'],
      ['--decimal', 'dot', 'point, comma'],
      ['--encoding', 'klingon', 'macintosh'],
    ] as const) {
      const r = await cli(['submit', iris, '--model', 'iris-logreg', flag, value]);
      expect(r.code, `${flag} ${value}`).toBe(2);
      expect(r.stderr).toContain(`${flag}: "${value}"`);
      expect(r.stderr).toContain(said);
      expect(r.stderr).not.toContain('\t');
      expect(r.stderr).not.toContain('upload');
    }
  });

  it('says of a numeric option given a negative, fractional, too large or missing value what it takes, before anything is sent', async () => {
    const env = { BATCHCAST_ADMIN_TOKEN: ADMIN_TOKEN, BATCHCAST_API_KEY: 'bck_not-a-real-key' };
    for (const [args, said] of [
      [
        ['keys', 'create', 'n', '--scopes', 'jobs:read', '--concurrent-jobs', '-1'],
        '--concurrent-jobs: "-1" is not a whole number from 1 to 2147483647, or none for no limit',
      ],
      [
        ['keys', 'create', 'n', '--scopes', 'jobs:read', '--concurrent-jobs=-1'],
        '--concurrent-jobs: "-1" is not a whole number from 1 to 2147483647, or none',
      ],
      [
        ['keys', 'create', 'n', '--scopes', 'jobs:read', '--concurrent-jobs', '3000000000'],
        '--concurrent-jobs: "3000000000" is not a whole number from 1 to 2147483647',
      ],
      [
        ['keys', 'create', 'n', '--scopes', 'jobs:read', '--requests-per-minute', '1.5'],
        '--requests-per-minute: "1.5" is not a whole number from 1 to 2147483647',
      ],
      [['keys', 'update', 'n', '--rows-per-day', '-5'], '--rows-per-day: "-5" is not a whole number from 1 to 9007199254740991, or none'],
      [['jobs', '--limit', '-1'], '--limit: "-1" is not a whole number from 1 to 100'],
      [['jobs', '--limit', '500'], '--limit: "500" is not a whole number from 1 to 100'],
      [['webhooks', 'rotate', 'some-id', '--grace', '-60'], '--grace: "-60" is not a whole number from 0 to 604800'],
      [
        ['keys', 'create', 'n', '--scopes', 'jobs:read', '--concurrent-jobs', '--json'],
        '--concurrent-jobs needs a value: "--json" after it reads as an option',
      ],
      [['keys', 'create', 'n', '--scopes', 'jobs:read', '--concurrent-jobs'], '--concurrent-jobs needs a value after it'],
    ] as const) {
      const r = await cli([...args], env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(said);
      expect(r.stderr).not.toContain('ambiguous');
    }
    // Nothing was sent: no key of that name was made.
    const keys = await (await fetch(platform.url('/api/keys'), { headers: admin })).json();
    expect(keys.keys.map((k: { name: string }) => k.name)).not.toContain('n');
  });

  it('says, while --wait waits for a server that does not answer, that it keeps trying and until when', async () => {
    const port = await freePort();
    const run = start(['status', `http://127.0.0.1:${port}/jobs/00000000-0000-4000-8000-000000000000?token=x`, '--wait']);
    await run.saw('trying again every 2 s until ');
    run.child.kill('SIGINT');
    expect((await run.done).stderr).toContain('connection refused');
  });

  it('names CLI commands, not HTTP endpoints, takes key names, and says an https URL is at a plain http server', async () => {
    const removed = await cli(['models', 'remove', 'no-such-model'], { BATCHCAST_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(removed.code).toBe(1);
    expect(removed.stderr).toContain('batchcast models list shows the models');
    expect(removed.stderr).not.toContain('GET /api/models');

    await createKey('cli-named', ['jobs:read']);
    const env = { BATCHCAST_ADMIN_TOKEN: ADMIN_TOKEN };
    const updated = await cli(['keys', 'update', 'cli-named', '--rows-per-day', '5'], env);
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stderr).toContain('"rowsPerDay":5');
    // No key of that name: the server has none (1), as an unknown id's 404 is; the command line is not wrong (2).
    const unknown = await cli(['keys', 'revoke', 'no-such-key'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no API key has the id or name "no-such-key"');
    // A second key of a name is refused (409), by the API and so by the CLI, saying which key has it.
    const again = await cli(['keys', 'create', 'CLI-Named', '--scopes', 'jobs:read'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('An API key named "cli-named" exists already (id ');
    expect(again.stderr).toContain('(key_name_taken)');
    const renamed = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'cli-other', scopes: ['jobs:read'] }),
    });
    const other = (await renamed.json()) as { id: string };
    const rename = await cli(['keys', 'update', other.id, '--name', 'cli-named'], env);
    expect(rename.code).toBe(1);
    expect(rename.stderr).toContain('An API key named "cli-named" exists already');
    // Keys of one name made before names were kept apart are still told apart by id.
    const db = new pg.Client({ connectionString: platform.databaseUrl });
    await db.connect();
    try {
      await db.query(
        `INSERT INTO api_keys (id, name, prefix, key_hash, scopes) VALUES (gen_random_uuid(), 'cli-named', 'bck_legacy01', '\\x00', '{jobs:read}')`,
      );
    } finally {
      await db.end();
    }
    const twice = await cli(['keys', 'revoke', 'cli-named'], env);
    expect(twice.stderr).toContain('2 API keys are named "cli-named": give the ID');

    const server = http.createServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const r = await cli(['models', 'list', '--url', `https://127.0.0.1:${port}`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`speaks plain http, not https: try http://127.0.0.1:${port}`);
      expect(r.stderr).not.toContain('wrong version number');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
