import { spawn } from 'node:child_process';
import { entries } from './entries.js';

/**
 * Runs setup in a short-lived child process; resolves with its exit code. `onShutdown` gets how to stop it:
 * a supervisor told to stop while setup runs (waiting for PostgreSQL, say) must not leave it behind.
 */
export function runSetup(onShutdown: (name: string, step: () => Promise<void>) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entries.setup], { stdio: 'inherit' });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    onShutdown('setup', async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
