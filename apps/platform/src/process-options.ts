import type { ProcessSpec } from '@batchcast/runtime';

/**
 * Node.js options of each process the supervisor starts, chosen by measuring the `npm start` tree's peak
 * resident memory while it scores the bench's 1M-row file (bench/src/bench.ts):
 * - V8 lets a heap's young generation grow to 3 x 16 MB when a process allocates fast (an upload's buffers,
 *   a results download) and keeps it; almost everything allocated there dies young, so small semi-spaces
 *   scavenge more often for little work and keep tens of MB fewer pages resident.
 * - glibc gives each thread that allocates its own malloc arena, and memory freed in one is not returned to
 *   the system; the worker process's scoring threads (ONNX Runtime allocates natively) and the web process's
 *   libuv threads each held one (its real-time scoring processes inherit its settings). Two arenas per process
 *   are enough for their few threads.
 * - The web process's glibc keeps memory it has freed for its next allocations instead of giving it back at
 *   once (MALLOC_MMAP_THRESHOLD_ 2 MiB, MALLOC_TRIM_THRESHOLD_ 32 MiB). An upload is gathered into 1 MiB
 *   Buffers (UPLOAD_GATHER); by default glibc maps each of them afresh (or gives the top of its heap back)
 *   and the kernel then faults in and zeroes every page again: joining the 281 MB file's pieces took
 *   143-325 ms that way in a probe, 42 ms reusing freed memory, and the web process's system CPU for a fresh
 *   platform's first three uploads fell from 0.28-0.54 seconds each (median 0.41) to 0.15-0.35 (0.27). Its
 *   peak in the bench did not rise (151-157 MB in five runs): the freed memory kept is what the next pieces
 *   of the same upload need. The worker, tried the same way, was no faster and its peak rose (203-230 MB
 *   against 195-221).
 * - The worker's glibc maps every allocation of 256 KiB or more on its own and unmaps it when freed
 *   (MALLOC_MMAP_THRESHOLD_ fixed at 256 KiB; glibc's own threshold starts at 128 KiB and rises to the size of
 *   the largest block freed, so after a thread's first batch its ~1 MB batches and COPY buffers were carved
 *   from the shared arenas, which keep and fragment what is freed). In seven alternating `w2` bench runs each,
 *   the worker's peak was 197-221 MB (median 204) against 210-231 (median 212), the tree's 473-493 (median
 *   480) against 482-512 (486), with the same CPU-seconds; end to end within the spread (medians 2.98
 *   against 2.85 s, ranges 2.45-3.29 and 2.47-3.30 s); 64 KiB gave no less.
 * - The web process may collect garbage on request (--expose-gc): it does once a large upload is answered,
 *   so that the upload's buffers are not still held while its job is scored (apps/web http/release-memory.ts).
 *   Both processes' threads (V8's flags are the process's) collect once a model dropped from their cache is
 *   released (packages/inference collect-soon.ts): a large forest's memory otherwise stayed until V8 collected
 *   on its own, which an idle thread does not.
 * - The web process's old-generation limit is set at three times its live heap after each full collection
 *   (--heap-growing-percent=200), not at the factor V8 picks (1.33 here: 44 MB over a 33 MB live heap).
 *   V8 counts the Buffer memory allocated since its last full collection against that limit, and an upload
 *   swings it by 30-40 MB: from about its fourth large upload on, a web process ran a full collection every
 *   10-15 MB of each upload (12-21 per 281 MB upload), 1.74-2.30x the user CPU of its first three uploads;
 *   0.84-1.26x with the setting (bench part `repeat`, three alternating runs each). A floor for the limit
 *   (--initial-old-space-size=96) stopped it too, but let the heap fill to the floor before its first
 *   collection: the web process's peak at a fresh platform's first upload was 160-172 MB with the floor,
 *   152-162 with this setting, 151-157 with neither (docs/performance.md).
 * The scoring threads' own heaps are bounded in apps/worker (scoring-threads.ts): V8 refuses heap flags for threads.
 */
export const processOptions: Record<'web' | 'worker', Pick<ProcessSpec, 'execArgv' | 'env'>> = {
  web: {
    execArgv: ['--heap-growing-percent=200', '--max-semi-space-size=4', '--expose-gc'],
    env: { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: String(2 * 1024 * 1024), MALLOC_TRIM_THRESHOLD_: String(32 * 1024 * 1024) },
  },
  worker: {
    execArgv: ['--max-semi-space-size=2', '--expose-gc'],
    env: { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: String(256 * 1024) },
  },
};
