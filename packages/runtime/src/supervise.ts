import { limitedCommand } from '@batchcast/process-limits';
import { type ChildProcess, fork } from 'node:child_process';
import type { Logger } from '@batchcast/log';
import { type SupervisorNotice, noticeOf } from './notices.js';
import { EX_CONFIG } from './start-error.js';

/** A kind of process to keep running: `count` copies of `entry` (a Node.js module path). */
export interface ProcessSpec {
  name: string;
  entry: string;
  count: number;
  /**
   * Node.js/V8 options of the process (e.g. its heap's sizes), instead of this process's own (the supervisor
   * runs with options that suit a process that only waits); NODE_OPTIONS still applies to both.
   */
  execArgv?: string[];
  /** Environment of the process on top of this one's. */
  env?: Record<string, string>;
  /** Its memory bound (RLIMIT_DATA, where util-linux's prlimit is installed; see @batchcast/process-limits). */
  memoryBytes?: number;
}

export interface SuperviseOptions {
  /** How long children may take to stop before they are killed. */
  graceMs?: number;
  /** A notice a child sent (e.g. the web app is listening). */
  onNotice?: (process: string, notice: SupervisorNotice) => void;
  /**
   * A child that exited with EX_CONFIG: it cannot start as configured (a port in use, a database login
   * refused) and restarting it would only repeat that, so it is not restarted; the caller decides (npm start
   * stops the platform with that code).
   */
  onFatal?: (process: string, code: number) => void;
}

export interface Supervisor {
  /** Asks every child to stop (SIGTERM), waits for them, SIGKILLs those still there after `graceMs`. */
  stop(): Promise<void>;
}

/**
 * Keeps processes running: starts `count` OS processes of each spec and restarts any that dies, at once
 * when it had run for a while and ever more slowly when it keeps dying at start. Separate processes, so a
 * crash or a native fault in ONNX Runtime takes down one worker, not the platform.
 *
 * A child that exits with EX_CONFIG is not restarted (see SuperviseOptions.onFatal).
 *
 * Children run in their own process group, so a Ctrl-C in a terminal (SIGINT to the whole foreground
 * group) reaches only the supervisor, which then asks each child once; a child whose supervisor is killed
 * outright sees its IPC channel close and shuts down by itself (see boot()).
 */
export function supervise(specs: ProcessSpec[], log: Logger, opts: SuperviseOptions = {}): Supervisor {
  const graceMs = opts.graceMs ?? 30_000;
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  let allGone: (() => void) | null = null;

  function start(spec: ProcessSpec, slot: number, failures = 0): void {
    const id = `${spec.name}#${slot}`;
    const startedAt = Date.now();
    // fork() runs `execPath ...execArgv entry`: with a memory bound, execPath is prlimit and node its argument.
    const node = limitedCommand(process.execPath, spec.execArgv ?? process.execArgv, {
      ...(spec.memoryBytes !== undefined ? { memoryBytes: spec.memoryBytes } : {}),
    });
    const child = fork(spec.entry, [], {
      stdio: 'inherit',
      detached: true,
      execPath: node.file,
      execArgv: node.args,
      env: { ...process.env, ...spec.env, WORKER_SLOT: String(slot) },
    });
    children.set(id, child);
    child.on('message', (message) => {
      const notice = noticeOf(message);
      if (notice) opts.onNotice?.(id, notice);
    });
    child.on('exit', (code, signal) => {
      children.delete(id);
      if (stopping) {
        if (children.size === 0) allGone?.();
        return;
      }
      if (code === EX_CONFIG) {
        log.error({ process: id, code }, 'process cannot start as configured; not restarting it');
        opts.onFatal?.(id, code);
        return;
      }
      const quick = Date.now() - startedAt < 5_000;
      const next = quick ? failures + 1 : 0;
      const delay = quick ? Math.min(30_000, 500 * 2 ** Math.min(next, 6)) : 100;
      log.warn({ process: id, code, signal, restartInMs: delay }, 'process exited; restarting');
      setTimeout(() => {
        if (!stopping) start(spec, slot, next);
      }, delay);
    });
  }

  for (const spec of specs) for (let slot = 0; slot < spec.count; slot++) start(spec, slot);
  log.info({ processes: Object.fromEntries(specs.map((s) => [s.name, s.count])) }, 'supervisor started');

  return {
    async stop() {
      stopping = true;
      if (children.size === 0) return;
      const gone = new Promise<void>((resolve) => {
        allGone = resolve;
      });
      for (const child of children.values()) child.kill('SIGTERM');
      const timer = setTimeout(() => {
        log.warn({ processes: [...children.keys()] }, 'processes did not stop in time; killing them');
        for (const child of children.values()) child.kill('SIGKILL');
      }, graceMs);
      await gone;
      clearTimeout(timer);
    },
  };
}
