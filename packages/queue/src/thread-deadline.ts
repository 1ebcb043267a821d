import type { Job, Worker } from 'bullmq';

/**
 * How long a thread kind's job may run in its thread, and what to do with one past it. A thread stuck in native
 * code (an ONNX Runtime run that never returns) cannot be interrupted, not even by terminate(), so BullMQ never
 * hears back from it: the job would hold its thread, and its lock, for ever. `onPassed` gets the job (with its
 * lock's token) once, while it still runs.
 */
export interface ThreadDeadline {
  ms: number;
  onPassed: (job: Job) => void;
}

/** Times each job `worker` takes from the moment it is active; a job that ends (either way) in time is forgotten. */
export function watchThreadDeadline(worker: Worker, deadline: ThreadDeadline): void {
  const timers = new Map<string, NodeJS.Timeout>();
  const forget = (job: Job | undefined) => {
    const id = job?.id;
    if (id === undefined) return;
    clearTimeout(timers.get(id));
    timers.delete(id);
  };
  worker.on('active', (job) => {
    const id = job.id;
    if (id === undefined) return;
    forget(job);
    const timer = setTimeout(() => {
      timers.delete(id);
      deadline.onPassed(job);
    }, deadline.ms);
    timer.unref(); // a deadline never keeps the process alive
    timers.set(id, timer);
  });
  worker.on('completed', forget);
  worker.on('failed', forget);
  worker.on('closed', () => {
    for (const timer of timers.values()) clearTimeout(timer);
    timers.clear();
  });
}
