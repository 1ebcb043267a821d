import type { ProcessSpec } from '@batchcast/runtime';

/**
 * Node.js options of each process the supervisor starts, chosen by measuring the `npm start` tree's peak
 * resident memory while it scores the bench's 1M-row file (bench/src/bench.ts):
 * - V8 lets a heap's young generation grow to 3 x 16 MB when a process allocates fast (an upload's buffers,
 *   a results download) and keeps it; almost everything allocated there dies young, so small semi-spaces
 *   scavenge more often for little work and keep tens of MB fewer pages resident.
 * - glibc gives each thread that allocates its own malloc arena, and memory freed in one is not returned to
 *   the system; the worker process's scoring threads (ONNX Runtime allocates natively) and the web process's
 *   libuv and real-time threads each held one. Two arenas per process are enough for their few threads.
 * - The web process may collect garbage on request (--expose-gc): it does once a large upload is answered,
 *   so that the upload's buffers are not still held while its job is scored (apps/web http/release-memory.ts).
 * The scoring threads' own heaps are bounded in apps/worker (scoring-threads.ts): V8 refuses heap flags for threads.
 */
export const processOptions: Record<'web' | 'worker', Pick<ProcessSpec, 'execArgv' | 'env'>> = {
  web: { execArgv: ['--max-semi-space-size=4', '--expose-gc'], env: { MALLOC_ARENA_MAX: '2' } },
  worker: { execArgv: ['--max-semi-space-size=2'], env: { MALLOC_ARENA_MAX: '2' } },
};
