import type { Config } from '@batchcast/config';
import { ScoringPool } from '@batchcast/inference';
import type { Logger } from '@batchcast/log';

/**
 * The web process's real-time scoring threads (PREDICT_THREADS), each run bounded by PREDICT_DEADLINE_MS. A run
 * past it is answered 504 `model_timeout` and its thread is abandoned for a fresh one (see ScoringPool), but an
 * ONNX Runtime run cannot be stopped: the abandoned thread keeps a core busy until the process ends. Once more
 * threads are abandoned than PREDICT_THREADS (more cores burnt for nothing than the process scores with), the
 * process says so and `restart` is called: it shuts down (requests in flight finish) and its supervisor starts
 * a clean one.
 */
export function realtimeThreads(config: Config, log: Logger, restart: (reason: string) => void): ScoringPool {
  let restarting = false;
  return new ScoringPool({
    threads: config.predict.threads,
    graphBytesPerThread: config.workers.modelCacheBytes,
    // Threads start with the first real-time prediction; their young generation is kept small (see ScoringPool).
    resourceLimits: { maxYoungGenerationSizeMb: 4 },
    runDeadlineMs: config.predict.deadlineMs,
    onAbandoned: ({ abandoned }) => {
      const threads = config.predict.threads;
      if (abandoned <= threads) {
        log.error(
          { abandonedThreads: abandoned, predictThreads: threads },
          `${abandoned} real-time scoring thread${abandoned === 1 ? ' is' : 's are'} still computing a model run abandoned past PREDICT_DEADLINE_MS, each on a core; the web process restarts itself beyond ${threads}`,
        );
        return;
      }
      if (restarting) return;
      restarting = true;
      log.fatal(
        { abandonedThreads: abandoned, predictThreads: threads },
        `${abandoned} real-time scoring threads are stuck in model runs past PREDICT_DEADLINE_MS, more than PREDICT_THREADS (${threads}): restarting the web process to free their cores. Remove or fix the models named in the model_timeout errors above.`,
      );
      restart(`${abandoned} real-time scoring threads stuck in model runs`);
    },
  });
}
