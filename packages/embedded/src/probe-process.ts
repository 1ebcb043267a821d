/**
 * The short-lived process of probeApart (probe-apart.ts): takes one probe request over IPC, probes the servers
 * it names at once, answers with their results and exits. The URLs come over IPC, not in the arguments, which
 * any user of the machine can read.
 */
import type { ProbeRequest, ProbeResults } from './probe-apart.js';
import { probePostgres, probeRedis } from './probe.js';

process.once('message', ({ targets, timeoutMs }: ProbeRequest) => {
  void Promise.all([
    targets.postgres === undefined ? undefined : probePostgres(targets.postgres, timeoutMs),
    targets.redis === undefined ? undefined : probeRedis(targets.redis, timeoutMs),
  ]).then(([postgres, redis]) => process.send?.({ postgres, redis } satisfies ProbeResults, () => process.exit(0)));
});
