#!/usr/bin/env node
// `npm start`: the whole platform on one host — the web app and the worker supervisor (which runs WORKERS
// worker processes). Each is a separate process; if either exits, the other is stopped and we exit too,
// so a process manager (systemd, Docker) sees the failure and restarts the platform.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const procs = [
  ['web', 'apps/web/dist/server.js'],
  ['workers', 'apps/worker/dist/supervisor.js'],
].map(([name, file]) => ({ name, child: spawn(process.execPath, [file], { cwd: root, stdio: 'inherit' }) }));

let exiting = false;
let exitCode = 0;
function stopAll(signal) {
  if (exiting) return;
  exiting = true;
  for (const { child } of procs) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  setTimeout(() => process.exit(exitCode || 1), 35_000).unref();
}
let remaining = procs.length;
for (const { name, child } of procs) {
  child.on('exit', (code, signal) => {
    if (!exiting) {
      console.error(`batchcast: ${name} exited (${signal ?? code}); stopping the platform`);
      exitCode = code || 1;
    }
    stopAll('SIGTERM');
    if (--remaining === 0) process.exit(exitCode);
  });
}
process.on('SIGINT', () => stopAll('SIGINT'));
process.on('SIGTERM', () => stopAll('SIGTERM'));
