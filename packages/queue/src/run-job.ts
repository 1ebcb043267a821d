import { isJobName, type JobName, jobCatalog, type Payload, type QueueName } from './catalog.js';

/**
 * What a handler may read of the BullMQ job besides its payload. The same whether the job runs on the main
 * thread (a Job) or in a scoring thread (BullMQ's SandboxedJob, a copy sent to the thread).
 */
export interface JobInfo {
  id?: string | undefined;
  name: string;
  data: unknown;
  timestamp: number;
  attemptsMade: number;
  opts: { attempts?: number | undefined };
  /** Aborted when the job should give up now (its worker stops; catalog `abortOnShutdown`). Main thread only. */
  signal?: AbortSignal | undefined;
}

/** What a worker does with one parsed payload of kind N. */
export type Handler<N extends JobName> = (payload: Payload<N>, job: JobInfo) => Promise<void>;

/** A handler for each kind of K; a kind without one does not compile. */
export type KindHandlers<K extends JobName> = { [N in K]: Handler<N> };

/** Runs an idempotent kind's attempt, e.g. waiting out a PostgreSQL outage to run it again in place. */
export type RetryInPlace = <T>(what: string, run: () => Promise<T>) => Promise<T>;

/**
 * Fails a job at once and for good. BullMQ recognises the error by its name (not its class) exactly so that
 * it survives the trip from a sandboxed processor's thread, where classes are not kept; importing BullMQ's
 * own class into every scoring thread would load all of BullMQ there for one name.
 */
export class UnrecoverableJobError extends Error {
  override readonly name = 'UnrecoverableError';
}

/**
 * Checks a job taken from `queue` against the catalog and runs its kind's handler: a kind that is unknown on
 * the queue, or a payload that does not parse, fails at once and for good (retrying cannot make it valid).
 * Idempotent kinds run through `retryInPlace` when given.
 */
export async function runJob(
  queue: QueueName,
  job: JobInfo,
  handlers: Partial<KindHandlers<JobName>>,
  retryInPlace?: RetryInPlace,
): Promise<void> {
  const name = job.name;
  if (!isJobName(name) || jobCatalog[name].queue !== queue) {
    throw new UnrecoverableJobError(`unknown job kind "${name.slice(0, 100)}" on queue ${queue}`);
  }
  const parsed = jobCatalog[name].payload.safeParse(job.data);
  if (!parsed.success) {
    throw new UnrecoverableJobError(`payload of ${name} does not match the catalog: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  const handler = handlers[name] as ((payload: unknown, job: JobInfo) => Promise<void>) | undefined;
  if (!handler) throw new Error(`this worker has no handler for ${name}`);
  const run = () => handler(parsed.data, job);
  if (jobCatalog[name].idempotent && retryInPlace) await retryInPlace(name, run);
  else await run();
}

export type { Payload };
