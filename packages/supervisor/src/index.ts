import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from '@batchcast/log';

/** A kind of process to keep running: `count` copies of `entry` (a Node.js module path). */
export interface ProcessSpec {
  name: string;
  entry: string;
  count: number;
}

/**
 * Keeps processes running: starts `count` OS processes of each spec and restarts any that dies, at once
 * when it had run for a while and ever more slowly when it keeps dying at start. Separate processes, so a
 * crash or a native fault in ONNX Runtime takes down one worker, not the platform. SIGTERM/SIGINT are
 * passed on to every child; the supervisor exits when they have (SIGKILL after `graceMs`).
 *
 * One supervisor serves `npm start` (web + workers, in the launching process itself, so no process exists
 * only to launch another) and `npm run worker` (workers only, for extra worker hosts).
 */
export function supervise(specs: ProcessSpec[], log: Logger, opts: { graceMs?: number } = {}): void {
  const graceMs = opts.graceMs ?? 30_000;
  const children = new Map<string, ChildProcess>();
  let stopping = false;

  function start(spec: ProcessSpec, slot: number, failures = 0): void {
    const id = `${spec.name}#${slot}`;
    const startedAt = Date.now();
    const child = fork(spec.entry, [], { stdio: 'inherit', env: { ...process.env, WORKER_SLOT: String(slot) } });
    children.set(id, child);
    child.on('exit', (code, signal) => {
      children.delete(id);
      if (stopping) {
        if (children.size === 0) process.exit(0);
        return;
      }
      const quick = Date.now() - startedAt < 5_000;
      const next = quick ? failures + 1 : 0;
      const delay = quick ? Math.min(30_000, 500 * 2 ** Math.min(next, 6)) : 100;
      log.warn({ process: id, code, signal, restartInMs: delay }, 'process exited; restarting');
      setTimeout(() => start(spec, slot, next), delay);
    });
  }

  for (const spec of specs) for (let slot = 0; slot < spec.count; slot++) start(spec, slot);
  log.info({ processes: Object.fromEntries(specs.map((s) => [s.name, s.count])) }, 'supervisor started');

  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'supervisor stopping its processes');
    if (children.size === 0) process.exit(0);
    for (const child of children.values()) child.kill('SIGTERM');
    setTimeout(() => {
      for (const child of children.values()) child.kill('SIGKILL');
      process.exit(1);
    }, graceMs).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
