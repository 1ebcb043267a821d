import { rm, writeFile } from 'node:fs/promises';
import { pingDatabase } from '@batchcast/db';
import type { JobsContext } from '@batchcast/jobs';
import type { Runtime } from '@batchcast/runtime';
import { startPeriodic } from './periodic.js';

/** How often a live worker process rewrites its heartbeat; docker-compose.yml's healthcheck allows three of these. */
export const HEARTBEAT_INTERVAL_MS = 10_000;

/** How long PostgreSQL and Redis each have to answer a beat's ping. */
export const PING_TIMEOUT_MS = 2_000;

/**
 * The worker's health signal for a container's healthcheck (HEARTBEAT_FILE; docker-compose.yml): the worker
 * process answers no HTTP, and its supervisor (the container's main process) lives on while the worker it
 * restarts does not. Rewritten every HEARTBEAT_INTERVAL_MS while this process's event loop turns and its own
 * Redis connection and PostgreSQL pool answer a ping; a file left older than that says the worker is dead,
 * stuck or cut off from the services it works with. Removed at shutdown.
 */
export function startHeartbeat(rt: Runtime, ctx: JobsContext, pingRedis: () => Promise<unknown>): void {
  const file = ctx.config.workers.heartbeatFile;
  if (!file) return;
  const beats = startPeriodic(
    async () => {
      await Promise.all([pingDatabase(ctx.pool, PING_TIMEOUT_MS), answered(pingRedis(), 'Redis')]);
      await writeFile(file, `${new Date().toISOString()}\n`);
    },
    { intervalMs: HEARTBEAT_INTERVAL_MS, firstDelayMs: 0, log: ctx.log, failure: 'no heartbeat written; will try again' },
  );
  rt.onShutdown('heartbeat', async () => {
    await beats.stop();
    await rm(file, { force: true });
  });
}

/** `ping`, or a rejection once PING_TIMEOUT_MS passed: the worker's connection waits for Redis forever. */
async function answered(ping: Promise<unknown>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ping,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
