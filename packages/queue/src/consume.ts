import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '@batchcast/log';
import { isJobName, type JobName, jobCatalog, kindsOf, type Payload, type QueueName, queueNames } from './catalog.js';
import { RetryLater, webhookRetryDelay } from './retry-schedule.js';

/** What a worker process does with each kind of job; a kind without a handler does not compile. */
export type Handlers = { [N in JobName]: (payload: Payload<N>, job: Job) => Promise<void> };

export interface ConsumeOptions {
  connection: Redis;
  prefix: string;
  handlers: Handlers;
  log: Logger;
  /**
   * Wraps the run of an idempotent kind (catalog `idempotent: true`), e.g. to wait out a PostgreSQL outage
   * and run it again in place. Other kinds run as they are: BullMQ's attempts and backoff retry them.
   */
  retryInPlace?: <T>(what: string, run: () => Promise<T>) => Promise<T>;
  /** Told of every failed attempt (after BullMQ recorded it). */
  onFailed?: (name: JobName, payload: unknown, err: Error) => void;
}

/**
 * One BullMQ Worker per queue of the catalog, each running its kinds with the catalog's concurrency. A job
 * whose kind is unknown on its queue, or whose payload does not parse, fails at once and for good
 * (UnrecoverableError): retrying cannot make it valid.
 */
export function consume(opts: ConsumeOptions): Worker[] {
  return queueNames.map((queue: QueueName) => {
    const kinds = kindsOf(queue);
    const concurrency = Math.max(...kinds.map((k) => jobCatalog[k].concurrency));
    const worker = new Worker(
      queue,
      async (job: Job) => {
        const name = job.name;
        if (!isJobName(name) || jobCatalog[name].queue !== queue) {
          throw new UnrecoverableError(`unknown job kind "${name.slice(0, 100)}" on queue ${queue}`);
        }
        const parsed = jobCatalog[name].payload.safeParse(job.data);
        if (!parsed.success) {
          throw new UnrecoverableError(`payload of ${name} does not match the catalog: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
        }
        const handler = opts.handlers[name] as (payload: unknown, job: Job) => Promise<void>;
        const run = () => handler(parsed.data, job);
        if (jobCatalog[name].idempotent && opts.retryInPlace) await opts.retryInPlace(name, run);
        else await run();
      },
      {
        connection: opts.connection,
        prefix: opts.prefix,
        concurrency,
        // A killed process's chunk is noticed and handed to another worker within ~15 s.
        lockDuration: 15_000,
        stalledInterval: 15_000,
        maxStalledCount: 5,
        settings: { backoffStrategy: customBackoff },
      },
    );
    worker.on('error', (err) => opts.log.warn({ queue, err: err.message }, 'worker error'));
    worker.on('failed', (job, err) => {
      opts.log.warn(
        { queue, kind: job?.name, jobId: job?.data?.jobId, attempt: job?.attemptsMade, err: err.message },
        'job attempt failed',
      );
      if (job && isJobName(job.name)) opts.onFailed?.(job.name, job.data, err);
    });
    return worker;
  });
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
