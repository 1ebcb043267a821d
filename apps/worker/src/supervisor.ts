import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@batchcast/config';
import { createLogger } from '@batchcast/log';

/**
 * Starts WORKERS worker processes (separate OS processes, so a crash or a native fault in ONNX Runtime
 * takes down one worker, not the platform) and restarts any that dies, with a backoff when a worker keeps
 * dying at start. SIGTERM/SIGINT are passed on; the supervisor exits when its workers have.
 */
const config = loadConfig();
const log = createLogger('supervisor', config.log.level);
const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.js');

const children = new Map<number, ChildProcess>();
let stopping = false;

function start(slot: number, failures = 0): void {
  const startedAt = Date.now();
  const child = fork(entry, [], { stdio: 'inherit', env: { ...process.env, WORKER_SLOT: String(slot) } });
  children.set(slot, child);
  child.on('exit', (code, signal) => {
    children.delete(slot);
    if (stopping) {
      if (children.size === 0) process.exit(0);
      return;
    }
    // A worker that ran for a while and died is restarted at once; one that dies at start, ever more slowly.
    const quick = Date.now() - startedAt < 5_000;
    const next = quick ? failures + 1 : 0;
    const delay = quick ? Math.min(30_000, 500 * 2 ** Math.min(next, 6)) : 100;
    log.warn({ slot, code, signal, restartInMs: delay }, 'worker process exited; restarting');
    setTimeout(() => start(slot, next), delay);
  });
}

for (let slot = 0; slot < config.workers.processes; slot++) start(slot);
log.info({ processes: config.workers.processes }, 'supervisor started workers');

function shutdown(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'supervisor stopping workers');
  if (children.size === 0) process.exit(0);
  for (const child of children.values()) child.kill('SIGTERM');
  setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(1);
  }, 30_000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
