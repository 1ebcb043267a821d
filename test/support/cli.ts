import { spawn } from 'node:child_process';
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
