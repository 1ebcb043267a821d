import type { ResourceLimits } from 'node:worker_threads';
import { DelayedError, type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '@batchcast/log';
import {
  isJobName,
  isThreadQueue,
  type JobName,
  jobCatalog,
  kindsOf,
  type MainKind,
  type QueueName,
  queueNames,
  type ThreadKind,
} from './catalog.js';
import { RetryLater, RunLater, webhookRetryDelay } from './retry-schedule.js';
import { type KindHandlers, type RetryInPlace, runJob } from './run-job.js';
import { type ThreadDeadline, watchThreadDeadline } from './thread-deadline.js';

/** What a worker process does on its main thread with each kind that is not a thread kind. */
export type Handlers = KindHandlers<MainKind>;
/** What a scoring thread does with each thread kind (see threadProcessor). */
export type ThreadHandlers = KindHandlers<ThreadKind>;

/**
 * Where the catalog's thread kinds run: in `threads` worker threads that each load `processor` (a module whose
 * default export is threadProcessor(...)'s function; BullMQ sandboxed processors on worker threads), or, with
 * `inline`, on this thread (tests, tools). `resourceLimits` bound each thread's V8 heap.
 */
export type ThreadKinds = { processor: string | URL; threads: number; resourceLimits?: ResourceLimits } | { inline: ThreadHandlers };

export interface ConsumeOptions {
  connection: Redis;
  prefix: string;
  handlers: Handlers;
  threadKinds: ThreadKinds;
  log: Logger;
  /**
   * Wraps the run of an idempotent kind on this thread (catalog `idempotent: true`), e.g. to wait out a
   * PostgreSQL outage and run it again in place. Other kinds run as they are: BullMQ's attempts and backoff
   * retry them. (A scoring thread passes its own to threadProcessor.)
   */
  retryInPlace?: RetryInPlace;
  /** Told of every failed attempt (after BullMQ recorded it): `attempt` is its number, 1 for the first. */
  onFailed?: (name: JobName, payload: unknown, err: Error, attempt: number) => void;
  /**
   * Told once every queue takes jobs: at once, or for thread queues once their threads have started (or could
   * not be started ahead). Until then a chunk would wait for a thread to load its modules and models.
   */
  onReady?: () => void;
  /** A deadline for each job of a thread kind run in a thread (not inline): see ThreadDeadline. */
  threadDeadline?: ThreadDeadline;
}

/**
 * One BullMQ Worker per queue of the catalog. A main-thread queue runs its kinds here with the catalog's
 * concurrency. A thread queue runs each job in one of `threads` worker threads of this process: one Node.js
 * runtime for every scoring loop of the host, and this thread's event loop (lock renewal, the other queues)
 * never waits for a parse or an ONNX Runtime run. Either way a job whose kind is unknown on its queue, or
 * whose payload does not parse, fails at once and for good.
 */
export function consume(opts: ConsumeOptions): Worker[] {
  const inline = { ...opts.handlers, ...('inline' in opts.threadKinds ? opts.threadKinds.inline : {}) };
  const running: Promise<void>[] = [];
  const workers = queueNames.map((queue: QueueName) => {
    const kinds = kindsOf(queue);
    const common = {
      connection: opts.connection,
      prefix: opts.prefix,
      // A killed process's chunk is noticed and handed to another worker within ~15 s.
      lockDuration: 15_000,
      stalledInterval: 15_000,
      maxStalledCount: 5,
      settings: { backoffStrategy: customBackoff },
    };
    const threads = isThreadQueue(queue) && 'processor' in opts.threadKinds ? opts.threadKinds : null;
    const worker = threads
      ? new Worker(queue, threads.processor, {
          ...common,
          concurrency: threads.threads,
          useWorkerThreads: true,
          // Not the process's own Node.js options: V8 refuses heap flags for a thread (its heap has resourceLimits).
          workerThreadsOptions: { execArgv: [], ...(threads.resourceLimits ? { resourceLimits: threads.resourceLimits } : {}) },
          autorun: false,
        })
      : new Worker(
          queue,
          // Three parameters: BullMQ hands an abort signal only to a processor that declares the third.
          (job, token, signal) => runMainJob(queue, job, token, signal, inline, opts),
          { ...common, concurrency: Math.max(...kinds.map((k) => jobCatalog[k].concurrency)) },
        );
    if (threads && opts.threadDeadline) watchThreadDeadline(worker, opts.threadDeadline);
    if (threads) {
      const started = startThreads(worker, threads.processor, threads.threads).catch((err: Error) =>
        opts.log.warn({ queue, err: err.message }, 'could not start the threads ahead; they start with the first jobs'),
      );
      running.push(started);
      // run() resolves only once the worker closes.
      void started
        .then(() => (worker.closing ? undefined : worker.run()))
        .catch((err: Error) => opts.log.warn({ queue, err: err.message }, 'worker error'));
    }
    // A kind that gives up on shutdown (catalog `abortOnShutdown`): abort what runs, instead of waiting for it
    // (BullMQ's close waits for every active job; a fetch of a source that never answers would hold it).
    if (kinds.some((k) => abortsOnShutdown(k))) worker.on('closing', () => worker.cancelAllJobs('the worker is stopping'));
    worker.on('error', (err) => opts.log.warn({ queue, err: err.message }, 'worker error'));
    worker.on('failed', (job, err) => {
      opts.log.warn(
        { queue, kind: job?.name, jobId: job?.data?.jobId, attempt: job?.attemptsMade, err: err.message },
        'job attempt failed',
      );
      if (job && isJobName(job.name)) opts.onFailed?.(job.name, job.data, err, job.attemptsMade);
    });
    return worker;
  });
  void Promise.all(running).then(() => opts.onReady?.());
  return workers;
}

const abortsOnShutdown = (kind: JobName): boolean => 'abortOnShutdown' in jobCatalog[kind] && jobCatalog[kind].abortOnShutdown === true;
const exclusiveField = (kind: JobName): string | null => {
  const def = jobCatalog[kind];
  return 'oneAtATimePer' in def ? def.oneAtATimePer : null;
};

/** How long a job given back on shutdown waits before it may run again (on this or another worker). */
const SHUTDOWN_RETRY_MS = 5_000;

/**
 * Runs a main-thread job: the catalog's `oneAtATimePer` first (skipped while another job of the same kind and
 * key runs), then its handler with the abort signal. A job aborted because its worker stops is put back
 * (delayed, SHUTDOWN_RETRY_MS) without spending an attempt: it did not fail, it was interrupted.
 */
async function runMainJob(
  queue: QueueName,
  job: Job,
  token: string | undefined,
  signal: AbortSignal | undefined,
  inline: Partial<KindHandlers<JobName>>,
  opts: ConsumeOptions,
): Promise<void> {
  const kind = isJobName(job.name) ? job.name : null;
  const field = kind ? exclusiveField(kind) : null;
  if (kind && field) {
    const key = (job.data as Record<string, unknown> | undefined)?.[field];
    const other = typeof key === 'string' ? await runningElsewhere(opts.connection, opts.prefix, queue, job, field, key) : null;
    if (other) {
      opts.log.warn(
        { queue, kind, [field]: key, skipped: job.id, running: other },
        `skipped: the previous ${kind} of this ${field} is still in progress`,
      );
      return;
    }
  }
  try {
    const info = {
      id: job.id,
      name: job.name,
      data: job.data,
      timestamp: job.timestamp,
      attemptsMade: job.attemptsMade,
      opts: job.opts,
      signal,
    };
    await runJob(queue, info, inline, opts.retryInPlace);
  } catch (err) {
    if (err instanceof RunLater && token) {
      // Put back as the shutdown below puts back: delayed, not failed, so no attempt is spent.
      await job.moveToDelayed(Date.now() + err.delayMs, token);
      throw new DelayedError();
    }
    if (signal?.aborted && kind && abortsOnShutdown(kind) && token) {
      opts.log.info({ queue, kind, job: job.id }, 'interrupted by shutdown; it runs again shortly');
      await job.moveToDelayed(Date.now() + SHUTDOWN_RETRY_MS, token);
      throw new DelayedError();
    }
    throw err;
  }
}

/**
 * Another active job of `queue` with the same kind and `field` value as `job` that was taken before it (or at
 * the same millisecond with a smaller id): its id, else null. Both see each other in the active list when taken
 * together, so exactly one of them goes on; a job taken while the other already ran sees it and stops.
 */
async function runningElsewhere(
  redis: Redis,
  prefix: string,
  queue: QueueName,
  job: Job,
  field: string,
  key: string,
): Promise<string | null> {
  const ids = await redis.lrange(`${prefix}:${queue}:active`, 0, -1);
  const mine = [job.processedOn ?? 0, job.id ?? ''] as const;
  for (const id of ids) {
    if (id === job.id) continue;
    const [name, data, processedOn] = await redis.hmget(`${prefix}:${queue}:${id}`, 'name', 'data', 'processedOn');
    if (name !== job.name || !data) continue;
    let value: unknown;
    try {
      value = (JSON.parse(data) as Record<string, unknown>)[field];
    } catch {
      continue;
    }
    if (value !== key) continue;
    const theirs = [Number(processedOn ?? 0), id] as const;
    if (theirs[0] < mine[0] || (theirs[0] === mine[0] && theirs[1] < mine[1])) return id;
  }
  return null;
}

/**
 * The catalog's custom backoff types (BullMQ's own `fixed` and `exponential` never reach this): `webhook`
 * waits what a RetryLater says, else follows the webhook retry schedule from the job's backoff delay.
 */
function customBackoff(attemptsMade: number, type?: string, err?: Error, job?: Job | { opts?: Job['opts'] }): number {
  if (err instanceof RetryLater) return err.delayMs;
  if (type === 'webhook') {
    const backoff = job?.opts?.backoff;
    const base = typeof backoff === 'object' && backoff?.delay ? backoff.delay : 5_000;
    return webhookRetryDelay(attemptsMade, base);
  }
  throw new Error(`unknown backoff type "${type}"`);
}

/** The part of BullMQ's (internal) child pool that starting threads ahead uses. */
interface ChildPool {
  retain(processFile: string): Promise<unknown>;
  release(child: unknown): void;
}

/**
 * Starts a thread queue's threads before its worker takes jobs, not with its first jobs: a thread loads its
 * modules and ONNX Runtime, half a second that the first chunk after every start would otherwise wait.
 * BullMQ has no option for it, so its child pool is asked for the threads it would make for jobs and given
 * them back; when a BullMQ version has no such pool, the threads simply start with the first jobs.
 */
async function startThreads(worker: Worker, processor: string | URL, count: number): Promise<void> {
  const pool = (worker as unknown as { childPool?: ChildPool }).childPool;
  if (!pool || typeof pool.retain !== 'function' || typeof pool.release !== 'function') return;
  // The key BullMQ's sandbox retains children by: the processor's path, or a URL's href.
  const file = processor instanceof URL ? processor.href : processor;
  const children = await Promise.all(Array.from({ length: count }, () => pool.retain(file)));
  for (const child of children) pool.release(child);
}
