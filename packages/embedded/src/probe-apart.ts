import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROBE_TIMEOUT_MS, type ProbeResult } from './probe-result.js';

export type ProbedService = 'postgres' | 'redis';

/** What probeApart sends its process. */
export interface ProbeRequest {
  service: ProbedService;
  url: string;
  timeoutMs: number;
}

/** The built probe process (from src/ under the tests, as from dist/). */
const PROBE_PROCESS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/probe-process.js');

/** Node.js's start and the clients' import, on a busy machine, on top of the probe's own time. */
const PROCESS_GRACE_MS = 15_000;

/**
 * Probes PostgreSQL or Redis (probe.ts) from a short-lived process of its own. The supervisor of `npm start`
 * probes at start and then only watches its children for as long as the platform runs: loading pg and
 * ioredis for a probe kept 14.5 MB of the supervisor resident all that time (a full collection gave back
 * 1.4 MB of it), against the `npm start` tree's memory target. A probe process that fails or hangs is a failed
 * probe, saying so.
 */
export function probeApart(service: ProbedService, url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const child = fork(PROBE_PROCESS, [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let settled = false;
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      resolve(result);
    };
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ ok: false, detail: `the probe process gave no answer within ${(timeoutMs + PROCESS_GRACE_MS) / 1000} s` });
    }, timeoutMs + PROCESS_GRACE_MS);
    child.once('message', (result) => finish(result as ProbeResult));
    child.once('error', (err) => finish({ ok: false, detail: `the probe process could not run (${err.message})` }));
    // 'close', not 'exit': it comes once the IPC channel has closed too, so after any answer the process sent.
    child.once('close', (code, signal) =>
      finish({ ok: false, detail: `the probe process ended (${signal ?? `exit code ${code}`}) without an answer` }),
    );
    child.send({ service, url, timeoutMs } satisfies ProbeRequest);
  });
}
