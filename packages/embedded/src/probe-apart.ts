import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROBE_TIMEOUT_MS, type ProbeResult } from './probe-result.js';

/** The servers to probe, each by its URL; those left out are not probed. */
export interface ProbeTargets {
  postgres?: string | undefined;
  redis?: string | undefined;
}

/** A result for each server probed. */
export interface ProbeResults {
  postgres?: ProbeResult;
  redis?: ProbeResult;
}

/** What probeApart sends its process. */
export interface ProbeRequest {
  targets: ProbeTargets;
  timeoutMs: number;
}

/** The built probe process (from src/ under the tests, as from dist/). */
const PROBE_PROCESS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/probe-process.js');

/** Node.js's start and the clients' import, on a busy machine, on top of the probe's own time. */
const PROCESS_GRACE_MS = 15_000;

/**
 * Probes PostgreSQL and Redis (probe.ts) from one short-lived process of its own, both at once. The supervisor
 * of `npm start` probes at start and then only watches its children for as long as the platform runs: loading
 * pg and ioredis for a probe kept 14.5 MB of the supervisor resident all that time (a full collection gave
 * back 1.4 MB of it), against the `npm start` tree's memory target. One process for both: each loads both
 * clients. Nothing to probe starts no process. A probe process that fails or hangs is a failed probe of
 * each server asked for, saying so.
 */
export function probeApart(targets: ProbeTargets, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResults> {
  const asked = (['postgres', 'redis'] as const).filter((service) => targets[service] !== undefined);
  if (asked.length === 0) return Promise.resolve({});
  return new Promise((resolve) => {
    const child = fork(PROBE_PROCESS, [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let settled = false;
    const finish = (results: ProbeResults) => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      resolve(results);
    };
    const failed = (detail: string): ProbeResults => Object.fromEntries(asked.map((service) => [service, { ok: false, detail }]));
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      finish(failed(`the probe process gave no answer within ${(timeoutMs + PROCESS_GRACE_MS) / 1000} s`));
    }, timeoutMs + PROCESS_GRACE_MS);
    child.once('message', (results) => finish(results as ProbeResults));
    child.once('error', (err) => finish(failed(`the probe process could not run (${err.message})`)));
    // 'close', not 'exit': it comes once the IPC channel has closed too, so after any answer the process sent.
    child.once('close', (code, signal) => finish(failed(`the probe process ended (${signal ?? `exit code ${code}`}) without an answer`)));
    child.send({ targets, timeoutMs } satisfies ProbeRequest);
  });
}
