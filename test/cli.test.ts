import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { closeSync, openSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, watchCli } from './support/cli.js';
import { csvObjects } from './support/csv.js';
import { until } from './support/faults.js';
import { duckdbParquet } from './support/formats.js';
import { ADMIN_TOKEN, examples, Platform, repoRoot } from './support/platform.js';
import { pg } from './support/services.js';

/**
 * The `batchcast` command (apps/cli, built by tsc) as a person runs it, as a real process against a real
 * platform: submit --wait --out, models list and add, and its exit codes.
 */
const CLI = path.join(repoRoot, 'apps/cli/dist/main.js');
let platform: Platform;
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'batchcast-cli-'));
  platform = await new Platform({ workers: 1 }).start();
});
afterAll(async () => {
  // A FIFO's reader that never got a writer (a failed test) would wait for one for ever.
  for (const reader of fifoReaders) if (reader.exitCode === null) reader.kill();
  await platform?.stop();
  await rm(tmp, { recursive: true, force: true });
});

interface Run {
  /** The first line written to stdout (the job page URL, for submit). */
  firstLine: Promise<string>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function start(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: tmp,
    env: { PATH: process.env.PATH ?? '', BATCHCAST_URL: platform.baseUrl, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let gotLine: (line: string) => void = () => undefined;
  const firstLine = new Promise<string>((resolve) => (gotLine = resolve));
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.includes('\n')) gotLine(stdout.slice(0, stdout.indexOf('\n')));
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      gotLine('');
      resolve({ code, stdout, stderr });
    });
  });
  return { firstLine, done };
}

const cli = (args: string[], env: Record<string, string> = {}) => start(args, env).done;

/**
 * A FIFO at `file` and a reader of it (cat, its own process). `read` is what the reader got, once the writer
 * closed: in an object, because an async function's promise would wait for the promise it returns.
 */
const fifoReaders: ChildProcess[] = [];
async function fifoWithReader(file: string): Promise<{ read: Promise<string> }> {
  await promisify(execFile)('mkfifo', [file]);
  const reader = spawn('cat', [file], { stdio: ['ignore', 'pipe', 'inherit'] });
  fifoReaders.push(reader);
  let got = '';
  reader.stdout.on('data', (d: Buffer) => (got += d.toString()));
  const read = new Promise<string>((resolve, reject) => {
    reader.on('error', reject);
    reader.on('close', () => resolve(got));
  });
  return { read };
}

/** A web server that is not batchcast: an HTML 404 page for every request, as most servers have. */
async function htmlNotFoundServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    res
      .writeHead(404, { 'content-type': 'text/html; charset=utf-8' })
      .end('<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A real TCP hop in front of the platform that loses the answer to the first request (the server did the work;
 * the connection drops as its answer comes back), as a flaky network or a load balancer does.
 */
async function answerLosingHop(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const lossy = net.createServer((client) => {
    const upstream = net.connect(platform.port, '127.0.0.1');
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.pipe(upstream);
    if (++connections === 1) {
      upstream.once('data', () => {
        client.destroy();
        upstream.destroy();
      });
    } else upstream.pipe(client);
  });
  await new Promise<void>((resolve) => lossy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(lossy.address() as net.AddressInfo).port}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => lossy.close(() => resolve())),
  };
}

describe('batchcast submit', () => {
  it('sends any format with its reading options, and saves the results in the format --out or --format names', async () => {
    const book = path.join(repoRoot, 'test/fixtures/formats/breast_cancer.xlsx');
    const out = path.join(tmp, 'bc.parquet');
    const r = await cli(['submit', book, '--model', 'breast-cancer-rf', '--sheet', 'Patients', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/results written to .*bc\.parquet \(parquet/);
    const { types, rows } = await duckdbParquet(await readFile(out));
    expect(rows).toHaveLength(569);
    expect(types.mean_radius).toBe('DOUBLE');

    const iris = (await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).replaceAll(',', ';');
    const semicolons = path.join(tmp, 'iris-semicolons.txt');
    await writeFile(semicolons, iris);
    const jsonl = path.join(tmp, 'iris-results.txt');
    const j = await cli(['submit', semicolons, '--model', 'iris-logreg', '--delimiter', 'semicolon', '--out', jsonl, '--format', 'jsonl']);
    expect(j.code, j.stderr).toBe(0);
    const lines = (await readFile(jsonl, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(150);
    expect(lines[0]).toMatchObject({ sepal_length: 5.1, prediction: 'setosa', error: null });

    // A Mac Roman file (Zürich: ü is 9F there, Ÿ in the Windows-1252 that detection would read).
    const macRoman = path.join(tmp, 'iris-notes-mac.csv');
    const [head, ...body] = (await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd().split('\n');
    await writeFile(macRoman, Buffer.from(`${head},ville\n${body.map((r) => `${r},Z\x9Frich`).join('\n')}\n`, 'latin1'));
    const notes = path.join(tmp, 'iris-notes.jsonl');
    const m = await cli(['submit', macRoman, '--model', 'iris-logreg', '--encoding', 'macintosh', '--out', notes]);
    expect(m.code, m.stderr).toBe(0);
    expect(JSON.parse((await readFile(notes, 'utf8')).split('\n')[0]!)).toMatchObject({ ville: 'Zürich', prediction: 'setosa' });
    const unknown = await cli(['submit', macRoman, '--model', 'iris-logreg', '--encoding', 'klingon']);
    // Said before the upload (exit 2), with the encodings it takes.
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('is not a text encoding batchcast reads');

    // A file without a header row (pandas' to_csv(header=False)): --no-header, its columns the model's in its order.
    const bare = path.join(tmp, 'iris-no-header.csv');
    await writeFile(bare, `${body.join('\n')}\n`);
    const bareOut = path.join(tmp, 'iris-no-header-results.csv');
    const h = await cli(['submit', bare, '--model', 'iris-logreg', '--no-header', '--out', bareOut]);
    expect(h.code, h.stderr).toBe(0);
    expect(h.stderr).toContain('note: The file was read without a header row, as chosen');
    const bareLines = (await readFile(bareOut, 'utf8')).trimEnd().split('\n');
    expect(bareLines).toHaveLength(151);
    expect(bareLines[0]).toMatch(/^sepal_length,sepal_width,petal_length,petal_width,column_5,prediction,/);
    expect(bareLines[1]).toMatch(/^5\.1,3\.5,1\.4,0\.2,setosa,setosa,/);

    const bad = await cli(['submit', semicolons, '--model', 'iris-logreg', '--out', jsonl, '--format', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format: "xml" is not one of csv, xlsx, parquet, jsonl');
  });

  it('submit --wait says how the file was read (the job’s notes), as the job page and `status` do', async () => {
    // A `;` file from an English-locale program: its thousands commas read as decimal commas, every row scored from
    // the wrong numbers, nothing failing; and Windows-1252 text (ü in Zürich). Before, only the job page and
    // `batchcast status` said so: whoever waited on submit never saw it.
    const [head, ...body] = (await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd().split('\n');
    const thousands = path.join(tmp, 'iris-thousands.csv');
    const cells = body.map((r) =>
      r
        .split(',')
        .slice(0, 4)
        .map((v) => (Number(v) * 1000).toLocaleString('en-US'))
        .join(';'),
    );
    await writeFile(
      thousands,
      Buffer.from(`${head!.split(',').slice(0, 4).join(';')};ville\n${cells.map((r) => `${r};Z\xfcrich`).join('\n')}\n`, 'latin1'),
    );
    const out = path.join(tmp, 'iris-thousands-results.csv');
    const run = await cli(['submit', thousands, '--model', 'iris-logreg', '--wait', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('note: Read as Windows-1252 text');
    expect(run.stderr).toMatch(
      /note: The decimal separator was taken as ',' from numbers such as "5,100", read as 5\.1; they may also mean 5100/,
    );
    expect(run.stderr).toContain("the CLI's --decimal point");
  });

  it('uploads, waits with progress, downloads the results (what scikit-learn predicted) and prints the job page', async () => {
    const out = path.join(tmp, 'results.csv');
    const r = await cli(['submit', path.join(examples, 'data/iris.csv'), '--model', 'iris-logreg', '--wait', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(new RegExp(`^${platform.baseUrl}/jobs/[0-9a-f-]{36}\\?token=[\\w-]+$`));
    expect(r.stderr).toMatch(/upload \[#+\] 100%/);
    expect(r.stderr).toMatch(/scoring \[#+\] 100% 150\/150/);
    expect((await fetch(r.stdout.trim())).status).toBe(200);

    const got = csvObjects(await readFile(out, 'utf8'));
    const want = csvObjects(await readFile(path.join(examples, 'data/iris.expected.csv'), 'utf8'));
    expect(got.rows).toHaveLength(want.rows.length);
    got.rows.forEach((row, i) => {
      const exp = want.rows[i]!;
      expect(row.prediction, `row ${i + 1}`).toBe(exp.label);
      for (const k of ['setosa', 'versicolor', 'virginica']) {
        expect(Math.abs(Number(row[`probability_${k}`]) - Number(exp[`p_${k}`])), `row ${i + 1} ${k}`).toBeLessThanOrEqual(1e-4);
      }
    });
  });

  it('without --wait prints the page at once', async () => {
    const r = await cli(
      ['submit', path.join(examples, 'data/iris.csv'), '--model', 'iris-logreg', '--email', 'cli@example.com', '--url', platform.baseUrl],
      { BATCHCAST_URL: 'http://127.0.0.1:1' },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\/jobs\/[0-9a-f-]{36}\?token=/);
  });

  it('submit --out - puts the results alone on stdout (CSV as download gives it, Parquet from PAR1), the job link on stderr', async () => {
    const iris = path.join(examples, 'data/iris.csv');
    const csv = await runCli(platform.baseUrl, ['submit', iris, '--model', 'iris-logreg', '--out', '-']);
    expect(csv.code, csv.stderr).toBe(0);
    const page = /job page: (\S+)/.exec(csv.stderr)?.[1];
    expect(page, csv.stderr).toMatch(/\/jobs\/[0-9a-f-]{36}\?token=/);
    expect(csv.stdout).not.toContain('http');
    const downloaded = await runCli(platform.baseUrl, ['download', page!, '--out', '-']);
    expect(downloaded.code, downloaded.stderr).toBe(0);
    expect(csv.stdoutBytes.equals(downloaded.stdoutBytes)).toBe(true);
    expect(csvObjects(csv.stdout).rows).toHaveLength(150);

    const parquet = await runCli(platform.baseUrl, ['submit', iris, '--model', 'iris-logreg', '--format', 'parquet', '--out', '-']);
    expect(parquet.code, parquet.stderr).toBe(0);
    expect(parquet.stdoutBytes.subarray(0, 4).toString('latin1')).toBe('PAR1');
    expect(parquet.stderr).toMatch(/job page: \S+\/jobs\//);
    expect((await duckdbParquet(parquet.stdoutBytes)).rows).toHaveLength(150);
  });

  it("is refused, exit 1, with the server's words, an email address whose domain has no dot", async () => {
    const r = await cli(['submit', path.join(examples, 'data/iris.csv'), '--email', 'bob@example', '--url', platform.baseUrl]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"email": "bob@example" is not an e-mail address we can send to');
  });

  it('exits 1 when the job does not succeed', async () => {
    // Scoring paused (through bull-board's API), so the job waits while the CLI follows it; then it is cancelled.
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    expect((await fetch(platform.url('/admin/queues/api/queues/score/pause'), { method: 'PUT', headers: admin })).status).toBe(200);
    try {
      const run = start(['submit', path.join(examples, 'data/iris.csv'), '--model', 'iris-logreg', '--wait']);
      const page = new URL(await run.firstLine);
      const cancel = await fetch(platform.url(`/api/jobs${page.pathname.slice('/jobs'.length)}/cancel${page.search}`), { method: 'POST' });
      expect(cancel.status).toBe(200);
      const r = await run.done;
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/job [0-9a-f-]{36} cancelled/);
    } finally {
      await fetch(platform.url('/admin/queues/api/queues/score/resume'), { method: 'PUT', headers: admin });
    }
  });

  it('exits 1 when the server refuses or cannot be reached', async () => {
    const refused = await cli(['submit', path.join(examples, 'data/iris.csv'), '--model', 'no-such-model']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('There is no model "no-such-model"');
    const unreachable = await cli([
      'submit',
      path.join(examples, 'data/iris.csv'),
      '--model',
      'iris-logreg',
      '--url',
      'http://127.0.0.1:1',
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('cannot reach batchcast at http://127.0.0.1:1 (connection refused); set --url or BATCHCAST_URL');
    // status and download take the server from the link, and refuse --url: the advice is the link's.
    const link = await cli(['status', 'http://127.0.0.1:1/jobs/00000000-0000-4000-8000-000000000000?token=x']);
    expect(link.code).toBe(1);
    expect(link.stderr).toContain('cannot reach batchcast at http://127.0.0.1:1 (connection refused); the server is the job link’s own');
    expect(link.stderr).not.toContain('--url');
    // Nothing was sent: the upload's progress must not say otherwise.
    expect(unreachable.stderr).not.toContain('100%');
    expect(unreachable.stderr).toMatch(/upload \[-+\]\s+0% .*not sent/);
  });

  it('an upload the server refused early: the progress stops where it answered, not at 100% of a file it never read', async () => {
    // 64 MiB missing a column: the server answers after its header line. Between them a proxy passes the first
    // 256 KiB, then holds the rest until the answer has come back (and drops what comes after it, as the server's
    // lingering close does): the answer comes while most of the file is still unsent, whatever the machine's speed.
    const file = path.join(tmp, 'nocol-big.csv');
    await writeFile(file, `sepal_length,sepal_width,petal_length\n${'5.1,3.5,1.4\n'.repeat(5_600_000)}`);
    const target = new URL(platform.baseUrl);
    const proxy = net.createServer((client) => {
      const server = net.connect(Number(target.port), target.hostname);
      let passed = 0;
      let answered = false;
      client.on('data', (d: Buffer) => {
        if (answered) return;
        if (passed < 256 * 1024) {
          passed += d.length;
          server.write(d);
        } else client.pause();
      });
      server.on('data', (d: Buffer) => {
        answered = true;
        client.write(d);
        client.resume();
      });
      server.on('end', () => client.end());
      client.on('close', () => server.destroy());
      server.on('error', () => client.destroy());
      client.on('error', () => server.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
      const r = await cli(['submit', file, '--model', 'iris-logreg', '--url', url]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('petal_width');
      expect(r.stderr).not.toContain('100%');
      const last = r.stderr
        .split('\n')
        .filter((l) => l.startsWith('upload ['))
        .at(-1);
      expect(last, r.stderr).toMatch(/% (\S+ \S+)\/64\.1 MiB {2}refused by the server after \1$/);
    } finally {
      proxy.close();
      await rm(file, { force: true });
    }
  });

  it('sends the upload again with its idempotency key when the answer is lost: one job, not two', async () => {
    const lossy = await answerLosingHop();
    const url = lossy.url;
    const file = path.join(tmp, 'lost-answer.csv');
    await writeFile(file, await readFile(path.join(examples, 'data/iris.csv')));
    try {
      const r = await cli(['submit', file, '--model', 'iris-logreg', '--url', url]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('sending it again in 1 s with the same idempotency key (attempt 2 of 6)');
      expect(r.stdout).toMatch(/\/jobs\/[0-9a-f-]{36}\?token=/);
      expect(lossy.connections()).toBeGreaterThanOrEqual(2);
      const db = new pg.Client({ connectionString: platform.databaseUrl });
      await db.connect();
      try {
        const { rows } = await db.query("SELECT count(*)::int AS n FROM jobs WHERE filename = 'lost-answer.csv'");
        expect(rows[0].n).toBe(1);
      } finally {
        await db.end();
      }
    } finally {
      await lossy.close();
    }
  });

  it('a server restarting mid-upload (connection cut, then refused for seconds) is waited for: one job, its results', async () => {
    // A real TCP hop that cuts the first connection mid-upload (the web process killed), then refuses
    // connections (its listener closed) for 3 s, as a supervisor's restart does, before listening again.
    let connections = 0;
    let port = 0;
    const hop = net.createServer((client) => {
      const upstream = net.connect(platform.port, '127.0.0.1');
      client.on('error', () => undefined);
      upstream.on('error', () => undefined);
      if (++connections === 1) {
        let got = 0;
        client.on('data', (d: Buffer) => {
          got += d.length;
          if (got < 128 * 1024) return;
          client.destroy();
          upstream.destroy();
          hop.close();
          setTimeout(() => hop.listen(port, '127.0.0.1'), 3_000);
        });
        client.pipe(upstream);
        return;
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => hop.listen(0, '127.0.0.1', resolve));
    port = (hop.address() as net.AddressInfo).port;
    const iris = await readFile(path.join(examples, 'data/iris.csv'), 'utf8');
    const [header, ...lines] = iris.trimEnd().split('\n');
    const body = Array.from({ length: 100 }, () => lines.join('\n')).join('\n');
    const file = path.join(tmp, 'restart-mid-upload.csv');
    const out = path.join(tmp, 'restart-mid-upload-results.csv');
    await writeFile(file, `${header}\n${body}\n`);
    try {
      const r = await cli(['submit', file, '--model', 'iris-logreg', '--url', `http://127.0.0.1:${port}`, '--wait', '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('sending it again in 1 s with the same idempotency key (attempt 2 of 6)');
      expect(r.stderr).toMatch(/\(connection refused\); sending it again in \d+ s with the same idempotency key \(attempt [3-6] of 6\)/);
      expect(r.stderr).not.toContain('set --url');
      expect(csvObjects(await readFile(out, 'utf8')).rows).toHaveLength(100 * lines.length);
      const db = new pg.Client({ connectionString: platform.databaseUrl });
      await db.connect();
      try {
        const { rows } = await db.query("SELECT count(*)::int AS n FROM jobs WHERE filename = 'restart-mid-upload.csv'");
        expect(rows[0].n).toBe(1);
      } finally {
        await db.end();
      }
    } finally {
      await new Promise<void>((resolve) => hop.close(() => resolve()));
      await rm(file, { force: true });
    }
  });

  it('a web process killed mid-upload (SIGKILL: its claim of the idempotency key not let go) is waited for: one job', {
    timeout: 180_000,
  }, async () => {
    // The dead process cannot release the key it claimed: the retries were told "still being handled" until its lease
    // passed, which outlasted the CLI's retries (60 s against 30), and the command gave up without a job.
    let connections = 0;
    const hop = net.createServer((client) => {
      const upstream = net.connect(platform.port, '127.0.0.1');
      client.on('error', () => undefined);
      upstream.on('error', () => undefined);
      // The web process's end of the connection reset by its death: the CLI's is too, as without the hop.
      upstream.on('close', () => client.destroy());
      if (++connections === 1) {
        let got = 0;
        client.on('data', (d: Buffer) => {
          got += d.length;
          if (got < 256 * 1024 || client.isPaused()) return;
          // Held there until the server has claimed the key for this upload, then the web process killed.
          client.pause();
          void claimed().then(() => {
            const web = platform.descendants().find((p) => p.cmd.includes('apps/web/dist/server.js'));
            process.kill(web!.pid, 'SIGKILL');
          });
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    const db = new pg.Client({ connectionString: platform.databaseUrl });
    await db.connect();
    const claimed = () =>
      until('the upload to hold its idempotency key', async () => {
        const { rows } = await db.query(
          'SELECT count(*)::int AS n FROM idempotency_keys WHERE completed_at IS NULL AND held_until > now()',
        );
        return rows[0].n > 0 ? true : null;
      });
    await new Promise<void>((resolve) => hop.listen(0, '127.0.0.1', resolve));
    const port = (hop.address() as net.AddressInfo).port;
    const iris = await readFile(path.join(examples, 'data/iris.csv'), 'utf8');
    const [header, ...lines] = iris.trimEnd().split('\n');
    const file = path.join(tmp, 'killed-mid-upload.csv');
    await writeFile(file, `${header}\n${Array.from({ length: 400 }, () => lines.join('\n')).join('\n')}\n`);
    try {
      const r = await cli(['submit', file, '--model', 'iris-logreg', '--url', `http://127.0.0.1:${port}`, '--wait']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('sending it again in 1 s with the same idempotency key (attempt 2 of 6)');
      const { rows } = await db.query("SELECT count(*)::int AS n FROM jobs WHERE filename = 'killed-mid-upload.csv'");
      expect(rows[0].n).toBe(1);
    } finally {
      await db.end();
      await new Promise<void>((resolve) => hop.close(() => resolve()));
      await rm(file, { force: true });
      await platform.waitHealthy();
    }
  });

  it('a 503 that asks to come back later (Retry-After) is told, with its time, not sent again at once three times', async () => {
    // A gateway in maintenance (or a server out of disk space): 503 with Retry-After, the upload read and dropped.
    let uploads = 0;
    const gateway = http.createServer((req, res) => {
      uploads++;
      req.resume();
      req.on('end', () =>
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '120' }).end(
          JSON.stringify({
            error: { code: 'storage_full', message: 'This server is short of disk space for uploads: try again later.' },
          }),
        ),
      );
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(gateway.address() as net.AddressInfo).port}`;
      const r = await cli(['submit', path.join(examples, 'data/iris.csv'), '--model', 'iris-logreg', '--url', url]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('try again later. (storage_full); the server asks to try again in 2 min');
      expect(r.stderr).not.toContain('sending it again');
      expect(uploads).toBe(1);
    } finally {
      await new Promise((resolve) => gateway.close(resolve));
    }
  });

  it('counts one failed row in the singular', async () => {
    const file = path.join(tmp, 'one-bad.csv');
    const [head, first, ...rest] = (await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd().split('\n');
    await writeFile(file, `${[head, first!.replace(/^[^,]*/, ''), ...rest].join('\n')}\n`);
    const r = await cli(['submit', file, '--model', 'iris-logreg', '--wait']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('(1 failed row)');
    expect(r.stderr).not.toContain('1 failed rows');
    expect(r.stderr).toContain('succeeded: 150 rows: 149 scored, 1 failed');
  });

  it("uses the server's default model when --model is left out", async () => {
    const r = await cli(['submit', path.join(examples, 'data/iris.csv'), '--wait']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("model: iris-logreg (the server's default)");
    expect(r.stderr).toContain('succeeded: 150 rows: 150 scored, 0 failed');
    const list = await cli(['models', 'list']);
    expect(list.stdout).toMatch(/^iris-logreg\s+v1/m);
    expect(list.stderr).toContain('default model (used when submit has no --model): iris-logreg');
  });

  it('exits 2 on usage errors, with a hint', async () => {
    for (const args of [
      ['submit'],
      ['submit', path.join(tmp, 'missing.csv'), '--model', 'iris-logreg'],
      ['submit', path.join(examples, 'data/iris.csv'), '--model', 'iris-logreg', '--bogus'],
      ['submit', path.join(examples, 'data/iris.csv'), '--model', 'iris-logreg', '--url', 'not a url'],
      ['frobnicate'],
      ['models', 'add', path.join(examples, 'models/iris-logreg.onnx'), '--name', 'x'],
      ['status'],
      ['status', 'not a link'],
      ['status', `${platform.baseUrl}/models/iris-logreg`],
      ['status', `${platform.baseUrl}/jobs/00000000-0000-4000-8000-000000000000`],
      ['download', `${platform.baseUrl}/jobs/00000000-0000-4000-8000-000000000000?token=x`, '--format', 'bogus'],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('batchcast --help');
    }
  });

  it("jobs pages as the API does: --json prints the page as GET /api/jobs answers it, { jobs, next }, next the page's --cursor", async () => {
    const created = await fetch(`${platform.baseUrl}/api/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'cli-pages', scopes: ['jobs:read', 'jobs:write'] }),
    });
    const { key } = (await created.json()) as { key: string };
    const submitted: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await cli(['submit', path.join(examples, 'data/iris.csv'), '--model', 'iris-logreg', '--key', key]);
      expect(r.code, r.stderr).toBe(0);
      submitted.unshift(new URL(r.stdout.trim()).pathname.split('/').pop()!); // newest first
    }
    type Page = { jobs: { id: string }[]; next: string | null };
    const first = await cli(['jobs', '--limit', '2', '--json', '--key', key]);
    expect(first.code, first.stderr).toBe(0);
    // A bare array of the jobs left the cursor on stderr alone: a script paging with --json could not page.
    const page1 = JSON.parse(first.stdout) as Page;
    expect(page1.jobs.map((j) => j.id)).toEqual(submitted.slice(0, 2));
    expect(page1.next).toEqual(expect.any(String));
    // The same cursor stderr says, and the API's own field name.
    expect(first.stderr).toContain(`--cursor ${page1.next} for the next page`);
    const second = await cli(['jobs', '--limit', '2', '--json', '--cursor', page1.next!, '--key', key]);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({ jobs: [expect.objectContaining({ id: submitted[2] })], next: null });
    expect(second.stderr).not.toContain('--cursor');
    // --all: every page's jobs, and no page after them.
    const all = JSON.parse((await cli(['jobs', '--limit', '2', '--all', '--json', '--key', key])).stdout) as Page;
    expect({ ids: all.jobs.map((j) => j.id), next: all.next }).toEqual({ ids: submitted, next: null });
  });

  it('says what is wrong with --out and --key before anything is sent (exit 2), not after the job ran', async () => {
    const iris = path.join(examples, 'data/iris.csv');
    const job = `${platform.baseUrl}/jobs/00000000-0000-4000-8000-000000000000?token=x`;
    for (const [args, said] of [
      [['submit', iris, '--out', path.join(tmp, 'no-such-folder/results.csv')], /--out: the folder .*no-such-folder does not exist/],
      [['submit', iris, '--out', tmp], /--out: .* is a folder; give the name of the file to write/],
      [['download', job, '--out', path.join(tmp, 'no-such-folder/results.csv')], /--out: the folder .*no-such-folder does not exist/],
      // An empty name was found only once the job had run: "cannot write  (ENOENT)", exit 1.
      [['submit', iris, '--out', ''], /--out: the file name is empty/],
      [['download', job, '--out', ''], /--out: the file name is empty/],
      // A folder where no file can be made (access(W_OK) says yes to root there): tried before the upload.
      [['submit', iris, '--out', '/proc/x.csv'], /--out: cannot create a file in \/proc \(/],
      [['submit', iris, '--out', path.join(iris, 'results.csv')], /--out: .*iris\.csv is not a folder/],
      // A key without its bck_ start was sent as some other bearer, and the job was submitted as no key's.
      [['submit', iris, '--key', 'r49z6xdNLfWtvG7jCPaPUm'], /--key: an API key starts with bck_/],
    ] as const) {
      const r = await cli([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(said);
      expect(r.stderr, args.join(' ')).not.toContain('upload');
      expect(r.stdout).toBe('');
    }
    // A folder reached through a link is a folder too.
    const folderLink = path.join(tmp, 'folder-link');
    await symlink(tmp, folderLink);
    const r = await cli(['submit', iris, '--out', folderLink]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--out: ${folderLink} is a folder`);
  });

  it('writes the results through a symbolic link, and to a FIFO as it is, rather than replacing them', async () => {
    // --out was written to a temporary file renamed over its name: a link became a regular file (the file it
    // points to left as it was), and a FIFO was replaced (its reader never got anything), exit 0 all the same.
    const here = await mkdtemp(path.join(tmp, 'submit-out-'));
    await mkdir(path.join(here, 'kept'));
    await writeFile(path.join(here, 'kept/target.csv'), 'keep\n');
    await symlink('kept/target.csv', path.join(here, 'link.csv'));
    const linked = await cli([
      'submit',
      path.join(examples, 'data/iris.csv'),
      '--model',
      'iris-logreg',
      '--out',
      path.join(here, 'link.csv'),
    ]);
    expect(linked.code, linked.stderr).toBe(0);
    expect(await readlink(path.join(here, 'link.csv'))).toBe('kept/target.csv');
    expect(csvObjects(await readFile(path.join(here, 'kept/target.csv'), 'utf8')).rows).toHaveLength(150);
    expect((await readdir(path.join(here, 'kept'))).sort()).toEqual(['target.csv']); // no temporary file left

    const fifo = path.join(here, 'results.fifo');
    const { read } = await fifoWithReader(fifo);
    const piped = await cli(['submit', path.join(examples, 'data/iris.csv'), '--model', 'iris-logreg', '--out', fifo]);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toContain(`results written to ${fifo} (csv`);
    expect(csvObjects(await read).rows).toHaveLength(150);
    expect((await lstat(fifo)).isFIFO()).toBe(true);
    expect((await readdir(here)).sort()).toEqual(['kept', 'link.csv', 'results.fifo']);
  });

  it('a missing command is a usage error (exit 2, the usage on stderr); help and --help are not', async () => {
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('batchcast: give a command');
    expect(none.stderr).toContain('Usage:');
    for (const [command, said] of [
      ['models', 'give a models command: list, add or remove'],
      ['keys', 'give a keys command'],
      ['webhooks', 'give a webhooks command'],
    ] as const) {
      const r = await cli([command]);
      expect(r.code, command).toBe(2);
      expect(r.stderr, command).toContain(said);
      expect(r.stderr, command).toContain(`Usage: batchcast ${command}`);
    }
    for (const args of [['help'], ['--help'], ['-h'], ['models', 'help'], ['keys', '--help']]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).toContain('Usage:');
    }
  });

  it('says that a --url server is not batchcast, with its status and type, rather than print its HTML page', async () => {
    const other = await htmlNotFoundServer();
    try {
      for (const args of [
        ['models', 'list', '--url', other.url],
        ['submit', path.join(examples, 'data/iris.csv'), '--model', 'iris-logreg', '--url', other.url],
        ['status', `${other.url}/jobs/00000000-0000-4000-8000-000000000000?token=x`],
      ]) {
        const r = await cli(args);
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr, args.join(' ')).toContain(
          `the server at ${other.url} did not answer as batchcast does (404 Not Found, text/html)`,
        );
        expect(r.stderr, args.join(' ')).not.toMatch(/<html|DOCTYPE/i);
      }
    } finally {
      await other.close();
    }
  });

  it('--help documents the commands', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const word of [
      'submit FILE [--model NAME]',
      'status JOB_URL',
      'download JOB_URL',
      '--wait',
      '--out',
      'models list',
      'models add',
      'BATCHCAST_URL',
      'BATCHCAST_ADMIN_TOKEN',
    ])
      expect(r.stdout).toContain(word);
    expect((await cli(['submit', '--help'])).stdout).toContain('Usage: batchcast submit');
  });

  it('runs through the executable shim npm links as `batchcast`', async () => {
    const shim = path.join(repoRoot, 'apps/cli/bin/batchcast.js');
    const out = await new Promise<string>((resolve, reject) =>
      execFile(shim, ['--version'], (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    expect(out.trim()).toMatch(/^batchcast \d+\.\d+\.\d+$/);
  });
});

describe('batchcast status and download', () => {
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  let page: string;
  beforeAll(async () => {
    const r = await cli(['submit', path.join(examples, 'data/iris.csv'), '--model', 'iris-logreg', '--wait']);
    expect(r.code, r.stderr).toBe(0);
    page = r.stdout.trim();
  });

  it('status shows a job from its page link: file, status, rows, when its results are deleted', async () => {
    const r = await cli(['status', page], { BATCHCAST_URL: 'http://127.0.0.1:1' }); // the link's server, not $BATCHCAST_URL
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^job\s+[0-9a-f-]{36}$/m);
    expect(r.stdout).toMatch(/^file\s+iris\.csv$/m);
    expect(r.stdout).toMatch(/^status\s+succeeded$/m);
    expect(r.stdout).toMatch(/^model\s+iris-logreg v1$/m);
    expect(r.stdout).toMatch(/^rows\s+150 rows: 150 scored, 0 failed$/m);
    expect(r.stdout).toMatch(/^deleted\s+after \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/m);
    const json = JSON.parse((await cli(['status', page, '--json'])).stdout);
    expect(json.status).toBe('succeeded');
    expect(Date.parse(json.expiresAt) - Date.parse(json.finishedAt)).toBe(7 * 24 * 3600_000);
    // Any API link of the job works as well.
    const api = new URL(page);
    api.pathname = `/api${api.pathname}/summary`;
    expect((await cli(['status', api.toString()])).stdout).toMatch(/^status\s+succeeded$/m);
  });

  it('status says when the link does not open a job', async () => {
    const wrong = new URL(page);
    wrong.searchParams.set('token', 'not-the-token');
    const r = await cli(['status', wrong.toString()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No such job');
  });

  it("download saves the results under the server's name, to --out, or to stdout", async () => {
    const here = await mkdtemp(path.join(tmp, 'download-'));
    const named = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'download', page], { cwd: here, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(named.code, named.stderr).toBe(0);
    expect(named.stderr).toMatch(/results written to iris-predictions\.csv \(/);
    const saved = await readFile(path.join(here, 'iris-predictions.csv'), 'utf8');
    expect(csvObjects(saved).rows).toHaveLength(150);

    const out = path.join(here, 'mine.csv');
    expect((await cli(['download', page, '--out', out])).code).toBe(0);
    expect(await readFile(out, 'utf8')).toBe(saved);
    const piped = await cli(['download', page, '--out', '-', '--format', 'CSV']);
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe(saved);
  });

  it('download --out follows links, writes to FIFOs and descriptors as they are, and refuses folders', async () => {
    const saved = (await cli(['download', page, '--out', '-'])).stdout;
    expect(csvObjects(saved).rows).toHaveLength(150);
    const here = await mkdtemp(path.join(tmp, 'download-out-'));

    // A link (to a link) is followed: the file at its end gets the results, replaced whole; the links stay.
    await mkdir(path.join(here, 'sub'));
    await writeFile(path.join(here, 'target.csv'), 'keep\n');
    await symlink('../target.csv', path.join(here, 'sub/inner'));
    await symlink('sub/inner', path.join(here, 'outer.csv'));
    const linked = await cli(['download', page, '--out', path.join(here, 'outer.csv')]);
    expect(linked.code, linked.stderr).toBe(0);
    expect(await readFile(path.join(here, 'target.csv'), 'utf8')).toBe(saved);
    expect((await lstat(path.join(here, 'outer.csv'))).isSymbolicLink()).toBe(true);
    expect((await lstat(path.join(here, 'sub/inner'))).isSymbolicLink()).toBe(true);

    // A dangling link gets the file it names made, as the shell's > does.
    await symlink('made.csv', path.join(here, 'dangling.csv'));
    const dangling = await cli(['download', page, '--out', path.join(here, 'dangling.csv')]);
    expect(dangling.code, dangling.stderr).toBe(0);
    expect(await readFile(path.join(here, 'made.csv'), 'utf8')).toBe(saved);
    expect(await readlink(path.join(here, 'dangling.csv'))).toBe('made.csv');
    // One into a folder that is not there is refused before anything is fetched.
    await symlink('nowhere/x.csv', path.join(here, 'lost.csv'));
    const lost = await cli(['download', page, '--out', path.join(here, 'lost.csv')]);
    expect(lost.code).toBe(2);
    expect(lost.stderr).toMatch(/--out: the folder .*nowhere does not exist \(where .*lost\.csv points/);

    // A FIFO is written to, streaming, and stays a FIFO.
    const fifo = path.join(here, 'fifo');
    const { read } = await fifoWithReader(fifo);
    const piped = await cli(['download', page, '--out', fifo]);
    expect(piped.code, piped.stderr).toBe(0);
    expect(await read).toBe(saved);
    expect((await lstat(fifo)).isFIFO()).toBe(true);

    // A link to the process's own stdout (as /dev/stdout is), here a pipe: written into it, the link kept.
    const stdoutLink = path.join(here, 'stdout-link');
    await symlink('/proc/self/fd/1', stdoutLink);
    const toStdout = await cli(['download', page, '--out', stdoutLink]);
    expect(toStdout.code, toStdout.stderr).toBe(0);
    expect(toStdout.stdout).toBe(saved);
    expect(await readlink(stdoutLink)).toBe('/proc/self/fd/1');
    // The same with stdout a file (> file in a shell): that very file is written, not one renamed over it.
    const captured = path.join(here, 'captured.txt');
    await writeFile(captured, '');
    const inode = (await stat(captured)).ino;
    const fd = openSync(captured, 'w');
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'download', page, '--out', stdoutLink], { stdio: ['ignore', fd, 'ignore'] });
      child.on('error', reject);
      child.on('close', resolve);
    });
    closeSync(fd);
    expect(code).toBe(0);
    expect((await stat(captured)).ino).toBe(inode);
    expect(await readFile(captured, 'utf8')).toBe(saved);
    expect((await readdir(here)).sort()).toEqual([
      'captured.txt',
      'dangling.csv',
      'fifo',
      'lost.csv',
      'made.csv',
      'outer.csv',
      'stdout-link',
      'sub',
      'target.csv',
    ]);

    // A folder, or a link to one, is refused before anything is fetched.
    await symlink('sub', path.join(here, 'folder-link'));
    for (const folder of [path.join(here, 'sub'), path.join(here, 'folder-link')]) {
      const r = await cli(['download', page, '--out', folder]);
      expect(r.code, folder).toBe(2);
      expect(r.stderr).toContain(`--out: ${folder} is a folder; give the name of the file to write`);
    }
  });

  it("download saves the format --out's extension names, as submit --out does", async () => {
    // `--out results.parquet` saved the CSV under that name: a file no Parquet reader opens.
    const out = path.join(tmp, 'by-extension.parquet');
    const r = await cli(['download', page, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const { rows } = await duckdbParquet(await readFile(out));
    expect(rows).toHaveLength(150);
    expect(rows[0]).toMatchObject({ sepal_length: 5.1, prediction: 'setosa' });
    const bad = await cli(['download', page, '--out', path.join(tmp, 'x.csv'), '--format', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format: "xml" is not one of csv, xlsx, parquet, jsonl');
  });

  it('download never takes a hidden name from the server, nor writes over a file that is there', async () => {
    // A link may name any server: one that suggested ".bashrc" had it written into the current directory (the
    // home directory, often), and a name already there was replaced without a word.
    const proxy = http.createServer((req, res) => {
      fetch(platform.url(req.url ?? '/')).then(
        async (upstream) => {
          const body = Buffer.from(await upstream.arrayBuffer());
          const headers: Record<string, string> = { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' };
          if (req.url?.includes('/results')) headers['content-disposition'] = 'attachment; filename="../.bashrc"';
          res.writeHead(upstream.status, headers).end(body);
        },
        () => res.writeHead(502).end(),
      );
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const hostile = new URL(page);
      hostile.port = String((proxy.address() as { port: number }).port);
      const here = await mkdtemp(path.join(tmp, 'hostile-'));
      const download = () =>
        new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
          const child = spawn(process.execPath, [CLI, 'download', hostile.toString()], { cwd: here, stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          child.on('error', reject);
          child.on('close', (code) => resolve({ code, stderr }));
        });
      const first = await download();
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toMatch(/results written to bashrc \(/);
      expect(await readdir(here)).toEqual(['bashrc']);
      await writeFile(path.join(here, 'bashrc'), 'mine\n');
      const again = await download();
      // The command's own refusal, put right on the command line (--out): a usage error, not a server's refusal.
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/bashrc is already here: the results were not written\. Give --out bashrc to replace it/);
      expect(await readFile(path.join(here, 'bashrc'), 'utf8')).toBe('mine\n');
      expect(await readdir(here)).toEqual(['bashrc']);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('download says why there is nothing yet, and --wait waits for the job', async () => {
    expect((await fetch(platform.url('/admin/queues/api/queues/score/pause'), { method: 'PUT', headers: admin })).status).toBe(200);
    let queued: string;
    try {
      queued = (await cli(['submit', path.join(examples, 'data/iris.csv'), '--model', 'iris-logreg'])).stdout.trim();
      const early = await cli(['download', queued, '--out', path.join(tmp, 'early.csv')]);
      expect(early.code).toBe(1);
      expect(early.stderr).toContain('The results are not available yet: the job is queued');
      const waiting = await cli(['status', queued]);
      expect(waiting.stdout).toMatch(/^rows\s+0 of 150 rows done: 0 scored, 0 failed$/m);
      expect(waiting.stdout).toMatch(/^deleted\s+some days after it ends/m);
    } finally {
      await fetch(platform.url('/admin/queues/api/queues/score/resume'), { method: 'PUT', headers: admin });
    }
    const out = path.join(tmp, 'waited.csv');
    const r = await cli(['download', queued, '--wait', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(csvObjects(await readFile(out, 'utf8')).rows).toHaveLength(150);
  });
});

describe('batchcast outside the repository', () => {
  it('installs with npm install -g from the checkout and runs from any directory', async () => {
    const prefix = await mkdtemp(path.join(tmp, 'global-'));
    await new Promise<void>((resolve, reject) =>
      execFile(
        'npm',
        ['install', '-g', '--no-audit', '--no-fund', '--prefix', prefix, path.join(repoRoot, 'apps/cli')],
        (err, _o, stderr) => (err ? reject(new Error(stderr)) : resolve()),
      ),
    );
    const bin = path.join(prefix, 'bin/batchcast');
    const r = await new Promise<{ stdout: string; code: number }>((resolve) =>
      execFile(
        bin,
        ['models', 'list'],
        { cwd: os.tmpdir(), env: { PATH: process.env.PATH ?? '', BATCHCAST_URL: platform.baseUrl } },
        (err, stdout) => resolve({ stdout, code: err ? 1 : 0 }),
      ),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^iris-logreg\s+v1/m);
  });
});

describe('batchcast models', () => {
  it('sends a registration again with its idempotency key when the answer is lost: one version, one API key', async () => {
    const onnx = path.join(examples, 'models/iris-logreg.onnx');
    const db = new pg.Client({ connectionString: platform.databaseUrl });
    await db.connect();
    try {
      for (const args of [
        ['models', 'add', onnx, '--name', 'cli-lost-answer'],
        ['keys', 'create', 'cli-lost-answer', '--scopes', 'jobs:read'],
      ]) {
        const lossy = await answerLosingHop();
        try {
          const r = await cli([...args, '--url', lossy.url], { BATCHCAST_ADMIN_TOKEN: ADMIN_TOKEN });
          expect(r.code, r.stderr).toBe(0);
          expect(r.stderr).toContain('sending it again in 1 s with the same idempotency key (attempt 2 of 6)');
          expect(lossy.connections()).toBeGreaterThanOrEqual(2);
        } finally {
          await lossy.close();
        }
      }
      const { rows } = await db.query<{ models: number; keys: number }>(
        `SELECT (SELECT count(*)::int FROM models WHERE name = 'cli-lost-answer') AS models,
                (SELECT count(*)::int FROM api_keys WHERE name = 'cli-lost-answer') AS keys`,
      );
      expect(rows[0]).toEqual({ models: 1, keys: 1 });
    } finally {
      await db.end();
    }
  });

  it('adds a model with the admin token from the environment, then lists it', async () => {
    const onnx = path.join(examples, 'models/iris-logreg.onnx');
    const denied = await cli(['models', 'add', onnx, '--name', 'cli-iris', '--token', 'not-the-admin-token-000']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('not valid');
    const added = await cli(
      ['models', 'add', onnx, '--name', 'cli-iris', '--features', 'sepal_length,sepal_width,petal_length,petal_width'],
      { BATCHCAST_ADMIN_TOKEN: ADMIN_TOKEN },
    );
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^cli-iris v1 [0-9a-f]{64}\n$/);
    const list = await cli(['models', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+VERSION\s+TASK\s+COLUMNS/);
    expect(list.stdout).toMatch(/cli-iris\s+v1\s+classifier\s+sepal_length,sepal_width,petal_length,petal_width/);
    expect(list.stdout).toMatch(/iris-logreg\s+v1/);
    const json = JSON.parse((await cli(['models', 'list', '--json'])).stdout) as {
      name: string;
      version: number;
      latest: boolean;
      default: boolean;
    }[];
    expect(json.some((m) => m.name === 'cli-iris')).toBe(true);
    // Which version is the default, as the table's stderr line says: the latest of the server's default model.
    expect(list.stderr).toContain('default model (used when submit has no --model): iris-logreg');
    expect(json.filter((m) => m.default).map((m) => `${m.name}@${m.version}`)).toEqual(['iris-logreg@1']);
    // A second version of cli-iris: the latest is the one NAME alone means.
    const again = await cli(
      ['models', 'add', onnx, '--name', 'cli-iris', '--features', 'sepal_length,sepal_width,petal_length,petal_width'],
      {
        BATCHCAST_ADMIN_TOKEN: ADMIN_TOKEN,
      },
    );
    expect(again.code, again.stderr).toBe(0);
    const versions = (JSON.parse((await cli(['models', 'list', '--json'])).stdout) as typeof json).filter((m) => m.name === 'cli-iris');
    expect(versions.map((m) => [m.version, m.latest, m.default])).toEqual(
      expect.arrayContaining([
        [1, false, false],
        [2, true, false],
      ]),
    );
    expect(versions).toHaveLength(2);
  });
});

/** A CLI process to send signals to (watchCli, in this file's folder). */
const watched = (args: string[], env: Record<string, string> = {}) => watchCli(platform.baseUrl, args, { env, cwd: tmp });

describe('batchcast model versions, hashes, exit statuses, Ctrl-C', () => {
  const adminEnv = { BATCHCAST_ADMIN_TOKEN: ADMIN_TOKEN };
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

  it('models remove takes NAME@v1 and NAME@V2, as the server does and as models list shows versions', async () => {
    const onnx = path.join(examples, 'models/iris-logreg.onnx');
    for (let i = 0; i < 3; i++) expect((await cli(['models', 'add', onnx, '--name', 'cli-vrm'], adminEnv)).code).toBe(0);
    const versions = async () =>
      (JSON.parse((await cli(['models', 'list', '--json'])).stdout) as { name: string; version: number }[])
        .filter((m) => m.name === 'cli-vrm')
        .map((m) => m.version)
        .sort();
    // `@v1` was refused as no model ("give NAME … or NAME@VERSION", exit 2), though submit --model and the server take it.
    const v1 = await cli(['models', 'remove', 'cli-vrm@v1'], adminEnv);
    expect(v1.code, v1.stderr).toBe(0);
    expect(v1.stderr).toContain('removed cli-vrm version 1');
    const v2 = await cli(['models', 'remove', 'cli-vrm@V2'], adminEnv);
    expect(v2.code, v2.stderr).toBe(0);
    expect(v2.stderr).toContain('removed cli-vrm version 2');
    expect(await versions()).toEqual([3]);
    // What is no version still is not, said before anything is sent.
    for (const ref of ['cli-vrm@v0', 'cli-vrm@vv3', 'cli-vrm@3.0', 'cli-vrm@1e3', 'cli-vrm@', '@3']) {
      const r = await cli(['models', 'remove', ref], adminEnv);
      expect(r.code, ref).toBe(2);
      expect(r.stderr, ref).toContain(`"${ref}" is not a model: give NAME (every version) or NAME@VERSION`);
    }
    expect(await versions()).toEqual([3]);
  });

  it("models add prints the uploaded file's sha256 (sha256sum's), and the converted ONNX graph's only as such", async () => {
    // For a pickle the answer's `sha256` is the converted graph's: printed alone, it never matched `sha256sum` of the
    // file sent, which read as an upload that had come out corrupted.
    const pickle = path.join(repoRoot, 'test/fixtures/models/house-prices.pkl');
    const fileSha = createHash('sha256')
      .update(await readFile(pickle))
      .digest('hex');
    const r = await cli(['models', 'add', pickle, '--name', 'cli-sha-pickle'], adminEnv);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`cli-sha-pickle v1 ${fileSha}\n`);
    const model = (await (await fetch(platform.url('/api/models/cli-sha-pickle@1'))).json()) as {
      sha256: string;
      original: { sha256: string };
    };
    expect(model.original.sha256).toBe(fileSha);
    expect(model.sha256).not.toBe(fileSha);
    expect(r.stderr).toContain(`sha256 of the file sent: ${fileSha}; of the ONNX graph it is scored with: ${model.sha256}`);
  });

  it('exit statuses follow the rule: the server refusing (a key it does not have, scopes it does not know) is 1', async () => {
    // A name no key has was found out from the server's list, and said as a usage error (exit 2), whereas the same
    // with an id no key has is the server's 404 (exit 1).
    for (const args of [
      ['keys', 'update', 'cli-no-such-key', '--rows-per-day', '5'],
      ['keys', 'revoke', 'cli-no-such-key'],
    ]) {
      const r = await cli(args, adminEnv);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toContain('no API key has the id or name "cli-no-such-key"');
      expect(r.stderr, args.join(' ')).not.toContain('batchcast --help');
    }
    const byId = await cli(['keys', 'update', '00000000-0000-4000-8000-000000000000', '--rows-per-day', '5'], adminEnv);
    expect(byId.code, byId.stderr).toBe(1);
    // Scopes are checked by the server (the CLI sends what it is given): its refusal, exit 1.
    const scopes = await cli(['keys', 'create', 'cli-bogus-scopes', '--scopes', 'bogus'], adminEnv);
    expect(scopes.code, scopes.stderr).toBe(1);
    expect(scopes.stderr).toContain('bogus');
    // Ctrl-C's status is said where the others are.
    const help = await cli(['--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('130 stopped by Ctrl-C');
  });

  it('Ctrl-C while status --wait waits says the job goes on, and how to cancel it (exit 130)', async () => {
    expect((await fetch(platform.url('/admin/queues/api/queues/score/pause'), { method: 'PUT', headers: admin })).status).toBe(200);
    let page = '';
    try {
      const submitted = await cli(['submit', path.join(examples, 'data/iris.csv'), '--model', 'iris-logreg']);
      expect(submitted.code, submitted.stderr).toBe(0);
      page = submitted.stdout.trim();
      const run = watched(['status', page, '--wait']);
      await run.saw('scoring [');
      run.child.kill('SIGINT');
      const r = await run.done;
      expect(r.code).toBe(130);
      expect(r.stderr).toContain(`stopped waiting; the job goes on: ${page}\nto cancel it: batchcast cancel '${page}'`);
      const status = await cli(['status', page]);
      expect(status.stdout).toMatch(/^status\s+queued$/m);
    } finally {
      if (page) await cli(['cancel', page]);
      await fetch(platform.url('/admin/queues/api/queues/score/resume'), { method: 'PUT', headers: admin });
    }
  });

  it('Ctrl-C during a submit upload says the upload was stopped and no job was made (exit 130)', async () => {
    // A hop that passes the first 256 KiB of the upload, then holds the rest: the upload is under way, unanswered.
    const [header, ...rows] = (await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd().split('\n');
    const file = path.join(tmp, 'ctrl-c-upload.csv');
    await writeFile(file, `${header}\n${`${rows.join('\n')}\n`.repeat(8_000)}`);
    let reached: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (reached = resolve));
    const clients: net.Socket[] = [];
    const hop = net.createServer((client) => {
      clients.push(client);
      const upstream = net.connect(platform.port, '127.0.0.1');
      client.on('error', () => undefined);
      upstream.on('error', () => undefined);
      let passed = 0;
      let holding = false;
      client.on('data', (d: Buffer) => {
        // Held: nothing more goes to the server. Once the command has ended, what it had sent is read and dropped, so
        // that the hop hears its end (a paused socket does not) and closes its side towards the server.
        if (holding) return;
        if (passed >= 256 * 1024) {
          holding = true;
          client.pause();
          reached();
          return;
        }
        passed += d.length;
        upstream.write(d);
      });
      upstream.on('data', (d: Buffer) => client.write(d));
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => hop.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(hop.address() as net.AddressInfo).port}`;
      const run = watched(['submit', file, '--model', 'iris-logreg', '--url', url]);
      await held;
      run.child.kill('SIGINT');
      const r = await run.done;
      for (const c of clients) c.resume();
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toContain('stopped the upload: no job was made (the server discards an upload cut short)');
      expect(r.stdout).toBe('');
      // As the server says too: what it had of the upload is gone, and no job stays.
      const db = new pg.Client({ connectionString: platform.databaseUrl });
      await db.connect();
      try {
        await until('the upload cut short to leave no job', async () => {
          const { rows: found } = await db.query("SELECT count(*)::int AS n FROM jobs WHERE filename = 'ctrl-c-upload.csv'");
          return found[0].n === 0;
        });
      } finally {
        await db.end();
      }
    } finally {
      await new Promise<void>((resolve) => hop.close(() => resolve()));
      await rm(file, { force: true });
    }
  });
});
