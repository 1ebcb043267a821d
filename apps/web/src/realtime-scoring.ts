import type { Config } from '@batchcast/config';
import { ScoringPool } from '@batchcast/inference';
import type { Logger } from '@batchcast/log';

/**
 * The web process's real-time scoring processes (PREDICT_PROCESSES), started with the first real-time
 * prediction: each run is bounded by PREDICT_DEADLINE_MS (past it the process is killed and replaced, see
 * ScoringPool) and each process's memory by PREDICT_MEMORY_MB, so that no registered model, however it
 * misbehaves, can stop, crash or starve the process that serves every other request.
 */
export function realtimeScoring(config: Config, log: Logger): ScoringPool {
  const pool = new ScoringPool({
    processes: config.predict.processes,
    graphBytesPerProcess: config.workers.modelCacheBytes,
    // A small young generation: a request's batch is small, and the process's memory is bounded.
    nodeFlags: ['--max-semi-space-size=2'],
    memoryBytes: config.predict.memoryBytes,
    runDeadlineMs: config.predict.deadlineMs,
    // A request waits for a process no longer than a run may take: with the run after it, it is answered well
    // within the server's idle timeout (120 s), which would otherwise end its connection without an answer.
    maxWaitMs: config.predict.deadlineMs,
  });
  if (!pool.memoryBounded) {
    log.warn(
      { predictMemoryMb: config.predict.memoryBytes / 1024 ** 2 },
      "PREDICT_MEMORY_MB is not enforced on this machine: util-linux's prlimit was not found (install util-linux); a real-time model run may use any amount of memory",
    );
  }
  return pool;
}
