/**
 * The short-lived process of probeApart (probe-apart.ts): takes one probe request over IPC, answers with its
 * result and exits. The URL comes over IPC, not in the arguments, which any user of the machine can read.
 */
import type { ProbeRequest } from './probe-apart.js';
import { probePostgres, probeRedis } from './probe.js';

process.once('message', (request: ProbeRequest) => {
  void (request.service === 'postgres' ? probePostgres : probeRedis)(request.url, request.timeoutMs).then((result) =>
    process.send?.(result, () => process.exit(0)),
  );
});
