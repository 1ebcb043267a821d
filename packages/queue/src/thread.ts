/**
 * The scoring-thread side of consume(): what a sandboxed processor module exports as its default. Its own
 * entry point (`@batchcast/queue/thread`), so a thread loads the catalog and nothing of BullMQ or ioredis:
 * the job arrives as BullMQ's SandboxedJob, a plain copy, and the process's main thread holds the locks.
 */
import type { SandboxedJob } from 'bullmq';
import { isJobName, jobCatalog } from './catalog.js';
import type { ThreadHandlers } from './consume.js';
import { type RetryInPlace, runJob, UnrecoverableJobError } from './run-job.js';

export type { ThreadHandlers };
// For handlers that fail a job for good (a damaged upload); the class carries no BullMQ.
export { UnrecoverableJobError };
export type { Handler, JobInfo } from './run-job.js';

/** The processor function a scoring thread's module exports: checks the job against the catalog, then runs its handler. */
export function threadProcessor(
  handlers: ThreadHandlers,
  opts: { retryInPlace?: RetryInPlace } = {},
): (job: SandboxedJob) => Promise<void> {
  return (job) => {
    const name = job.name;
    if (!isJobName(name) || !jobCatalog[name].thread) {
      return Promise.reject(new UnrecoverableJobError(`unknown job kind "${name.slice(0, 100)}" for a scoring thread`));
    }
    return runJob(jobCatalog[name].queue, job, handlers, opts.retryInPlace);
  };
}
