import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './platform.js';

/** The built CLI (apps/cli/dist/main.js; `npx tsc -b` first, as `npm test` does). */
export const CLI = path.join(repoRoot, 'apps/cli/dist/main.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  /** stdout's bytes as written (binary results: Parquet, Excel). */
  stdoutBytes: Buffer;
  stderr: string;
}

/**
 * Runs the CLI to its end against a server (BATCHCAST_URL), with only PATH and `env` in its environment: no
 * BATCHCAST_* variable of the machine running the tests leaks in.
 */
export function runCli(baseUrl: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', BATCHCAST_URL: baseUrl, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdoutBytes = Buffer.concat(chunks);
      resolve({ code, stdout: stdoutBytes.toString(), stdoutBytes, stderr });
    });
  });
}

/** A CLI process to watch and send signals to: its child, a promise per text it prints, and its end. */
export interface WatchedCli {
  child: ChildProcess;
  /** Resolves once stderr (or stdout) contains `text`. */
  saw: (text: string, stream?: 'stderr' | 'stdout') => Promise<void>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/**
 * Starts the CLI against a server (BATCHCAST_URL), as runCli does, without waiting for its end. `closeStdout`: our
 * end of its stdout is closed at once, so that its first write finds no reader (EPIPE), as `| head -1` makes it.
 */
export function watchCli(
  baseUrl: string,
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; closeStdout?: boolean } = {},
): WatchedCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    env: { PATH: process.env.PATH ?? '', BATCHCAST_URL: baseUrl, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (opts.closeStdout) child.stdout.destroy();
  const got = { stdout: '', stderr: '' };
  const waiters: { text: string; stream: 'stdout' | 'stderr'; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (!got[w.stream].includes(w.text)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout.on('data', (d: Buffer) => {
    got.stdout += d.toString();
    check();
  });
  child.stderr.on('data', (d: Buffer) => {
    got.stderr += d.toString();
    check();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...got }));
  });
  const saw = (text: string, stream: 'stderr' | 'stdout' = 'stderr') =>
    new Promise<void>((resolve) => {
      waiters.push({ text, stream, resolve });
      check();
    });
  return { child, saw, done };
}
