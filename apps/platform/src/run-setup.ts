import { spawn } from 'node:child_process';
import { entries } from './entries.js';

/** Runs setup in a short-lived child process; resolves with its exit code. */
export function runSetup(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entries.setup], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
