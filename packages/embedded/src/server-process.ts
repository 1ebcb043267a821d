import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, renameSync } from 'node:fs';
import type { StopStep } from './stop-steps.js';
import { startWatchdog, type Watchdog } from './watchdog.js';

export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. ENOENT, EACCES). */
  error?: string;
}

export interface ServerProcessOptions {
  command: string;
  args: string[];
  cwd: string;
  /** Run as this user (root starting PostgreSQL, which refuses to run as root). */
  uid?: number;
  gid?: number;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr go here; the previous run's log is kept as `<logFile>.1`. */
  logFile: string;
  stopSteps: StopStep[];
  /** Names the data directory in the watchdog's argv, so leftovers can be found by directory. */
  label: string;
  /** Called when the server exits without being asked to. */
  onUnexpectedExit: (exit: ServerExit) => void;
}

/** A server we started: our child, in its own session, watched by a watchdog that outlives us. */
export interface ServerProcess {
  pid: number;
  /** Resolves when the process has exited, for whatever reason. */
  exited: Promise<ServerExit>;
  hasExited(): boolean;
  /** The bounded shutdown (the steps, then SIGKILL); resolves once the process is gone. */
  stop(): Promise<void>;
  /** The end of the log, for error messages when the server would not start. */
  logTail(lines?: number): string;
}

export function spawnServer(opts: ServerProcessOptions): ServerProcess {
  if (existsSync(opts.logFile)) renameSync(opts.logFile, `${opts.logFile}.1`);
  const logFd = openSync(opts.logFile, 'a', 0o600);
  let child: ChildProcess;
  try {
    // detached: its own session, so the terminal's Ctrl-C (sent to the whole foreground process group)
    // reaches the platform, which stops its workers before it stops the database, and not the server.
    // Through sh for `umask 077` (Node cannot set a child's umask): whatever the server creates (Redis'
    // appendonlydir, its files) is for its owner only. `exec` keeps the pid: the server is our child.
    child = spawn('/bin/sh', ['-c', 'umask 077 && exec "$0" "$@"', opts.command, ...opts.args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', logFd, logFd],
      detached: true,
      ...(opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.gid }),
    });
  } finally {
    closeSync(logFd);
  }
  let exit: ServerExit | undefined;
  let stopping = false;
  const exited = new Promise<ServerExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      void watchdog?.release();
      if (!stopping) opts.onUnexpectedExit(exit);
      resolve(exit);
    });
    child.once('error', (error) => {
      exit = { code: null, signal: null, error: error.message };
      void watchdog?.release();
      if (!stopping) opts.onUnexpectedExit(exit);
      resolve(exit);
    });
  });
  const pid = child.pid ?? -1;
  const watchdog: Watchdog | undefined = pid > 0 ? startWatchdog(pid, opts.stopSteps, opts.label) : undefined;

  return {
    pid,
    exited,
    hasExited: () => exit !== undefined,
    async stop() {
      stopping = true;
      await stopChild(child, exited, opts.stopSteps);
      // The watchdog stays until the server is gone (should we die meanwhile, it finishes the job).
      await watchdog?.release();
    },
    logTail(lines = 15) {
      try {
        return readFileSync(opts.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
  };
}

async function stopChild(child: ChildProcess, exited: Promise<ServerExit>, steps: StopStep[]): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  for (const step of steps) {
    child.kill(step.signal);
    if (await exitsWithin(exited, step.waitMs)) return;
  }
  child.kill('SIGKILL');
  await exited;
}

async function exitsWithin(exited: Promise<ServerExit>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([exited.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
