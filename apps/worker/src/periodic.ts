import type { Logger } from '@batchcast/log';

/**
 * Runs `pass` after `firstDelayMs` and then `intervalMs` after each pass ends (never two at once), until
 * stopped; a failed pass is logged and tried again next time. stop() waits for a pass under way, so a
 * worker's shutdown never cuts one in half. Used by the reconciler and the retention sweeper, which both run
 * in every worker process and take a PostgreSQL advisory lock so that one pass runs at a time everywhere.
 */
export function startPeriodic(
  pass: () => Promise<unknown>,
  opts: { intervalMs: number; firstDelayMs: number; log: Logger; failure: string },
): { stop: () => Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = pass()
      .catch((err) => opts.log.warn({ err: (err as Error).message }, opts.failure))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, opts.intervalMs);
      });
  };
  timer = setTimeout(tick, opts.firstDelayMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
