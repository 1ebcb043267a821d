import { signalProcess, waitForProcessExit } from './process-info.js';

/** One step of a bounded shutdown: send `signal`, then give the process `waitMs` to exit. */
export interface StopStep {
  signal: NodeJS.Signals;
  waitMs: number;
}

/**
 * PostgreSQL: SIGINT is its "fast" shutdown (disconnect clients, checkpoint, exit); SIGQUIT its
 * "immediate" one (no checkpoint, crash recovery at the next start) for a server that did not manage.
 * SIGKILL after that, which leaves the backends to notice the postmaster is gone.
 */
export const postgresStopSteps: StopStep[] = [
  { signal: 'SIGINT', waitMs: 15_000 },
  { signal: 'SIGQUIT', waitMs: 3_000 },
];

/** Redis: SIGTERM runs the same shutdown as the SHUTDOWN command (flush and fsync the AOF, then exit). */
export const redisStopSteps: StopStep[] = [{ signal: 'SIGTERM', waitMs: 10_000 }];

/** Stops a process that is not our child (an orphan from an earlier run): the steps, then SIGKILL. */
export async function stopProcess(pid: number, steps: StopStep[]): Promise<void> {
  for (const step of steps) {
    signalProcess(pid, step.signal);
    if (await waitForProcessExit(pid, step.waitMs)) return;
  }
  signalProcess(pid, 'SIGKILL');
  await waitForProcessExit(pid, 5_000);
}
