import { fileURLToPath } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';

/** The module each scoring thread loads (compiled next to this file). */
export const scoringThreadModule = fileURLToPath(new URL('./scoring-thread.js', import.meta.url));

/**
 * A scoring thread's young generation: V8 lets it grow to 48 MB per heap when a thread allocates as fast as
 * scoring does, and keeps it. Everything a batch allocates dies young, so 4 MB scavenges more often at no
 * measurable CPU cost (3.5 s of parse and inference for 1M rows either way, bench/out/probe runs) and saves
 * about 30 MB of resident memory per thread.
 */
export const scoringThreadLimits: ResourceLimits = { maxYoungGenerationSizeMb: 4 };

/**
 * Told by the process's main thread when it begins to shut down, so that a scoring thread waiting for
 * PostgreSQL gives the chunk back instead of waiting on (the main thread's rt.stopping, seen from a thread).
 */
export const STOPPING_CHANNEL = 'batchcast:worker-stopping';

/** Tells every scoring thread of this process that it is shutting down. */
export function tellScoringThreadsStopping(): void {
  const channel = new BroadcastChannel(STOPPING_CHANNEL);
  channel.postMessage('stopping');
  channel.close();
}
