import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { WEBHOOK_ATTEMPTS } from './retry-schedule.js';

/**
 * The job catalog: every kind of background job, in one place shared by producers (web, reconciler) and
 * consumers (workers), with its policy: the queue it runs on, its payload schema (checked when a job is
 * TAKEN: Redis content is not trusted), BullMQ options (attempts, backoff), how many a worker process runs
 * at once (`concurrency`), whether it runs in the worker process's scoring threads (`thread`: CPU-bound work
 * that must not hold the process's event loop; as many at once as there are threads, WORKERS), and whether
 * it is idempotent (`idempotent`: safe to run again in place when PostgreSQL drops mid-run, so an outage
 * spends no attempts). `oneAtATimePer` names a payload field: two jobs of the kind with the same value never run
 * at once (a later one that finds another running is skipped, see consume.ts). `abortOnShutdown`: a job in
 * progress when its worker stops is told to give up (its handler gets an aborted signal) and is put back to
 * run again shortly, spending no attempt, instead of holding the shutdown. Payloads carry ids only: PostgreSQL holds everything else, so a job re-created after
 * Redis lost its data is the same job. Queues hold either thread kinds or not, never both.
 */
const uuid = z.string().uuid();

/** Retries of the finalize queue's kinds: each reads the truth from PostgreSQL, so it may run again freely. */
const finaliseRetries = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: true,
  removeOnFail: { age: 7 * 24 * 3600 },
} satisfies JobsOptions;

export const jobCatalog = {
  /** Score one chunk of an upload's rows and store the predictions (a child of finalize-job). */
  'score-chunk': {
    queue: 'score',
    // CPU-bound: one chunk at a time per scoring thread; the worker process runs WORKERS threads.
    thread: true,
    concurrency: 1,
    idempotent: true,
    payload: z.object({ jobId: uuid, chunk: z.number().int().min(0) }),
    options: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600 },
      // The parent finalises even when a chunk exhausts its attempts: it reads the truth from PostgreSQL.
      ignoreDependencyOnFailure: true,
    } satisfies JobsOptions,
  },
  /** Runs when every chunk is done (or has given up): mark the job succeeded/failed, then queue the email. */
  'finalize-job': {
    queue: 'finalize',
    thread: false,
    concurrency: 4,
    idempotent: true,
    payload: z.object({ jobId: uuid }),
    options: finaliseRetries,
  },
  /**
   * Holds a job's finaliser while its upload still arrives (a child of finalize-job beside the chunks, which
   * are added as they are stored): added delayed far ahead, promoted when the upload ends, and done once
   * PostgreSQL says the job is no longer receiving. So the finaliser never runs before the last chunk exists.
   */
  'upload-gate': {
    queue: 'finalize',
    thread: false,
    concurrency: 4,
    idempotent: true,
    payload: z.object({ jobId: uuid }),
    options: {
      ...finaliseRetries,
      // A gate that gave up still lets the finaliser run: it reads the truth from PostgreSQL.
      ignoreDependencyOnFailure: true,
    } satisfies JobsOptions,
  },
  /** Tell the owner the job ended. Its own retries, so an SMTP outage never re-runs inference. */
  'send-email': {
    queue: 'email',
    thread: false,
    concurrency: 4,
    // Not safe to repeat blindly: an email retried after it went out would go twice.
    idempotent: false,
    payload: z.object({ jobId: uuid }),
    options: {
      attempts: 12,
      backoff: { type: 'exponential', delay: 2_000 },
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600 },
    } satisfies JobsOptions,
  },
  /** The answer to "email me my links": the recent jobs of an address, each with a fresh link (on the email queue). */
  'send-links': {
    queue: 'email',
    thread: false,
    concurrency: 4,
    // Not safe to repeat blindly: a message retried after it went out would go twice.
    idempotent: false,
    payload: z.object({ requestId: uuid }),
    options: {
      attempts: 8,
      backoff: { type: 'exponential', delay: 2_000 },
      removeOnComplete: true,
      removeOnFail: { age: 24 * 3600 },
    } satisfies JobsOptions,
  },
  /**
   * One run of an admin's schedule: copy and scan its source into a normal job (whose own scoring and email
   * follow). Added by a BullMQ job scheduler per schedule (see schedules.ts); the schedule itself lives in
   * PostgreSQL. A schedule may set its own number of attempts; these are the defaults.
   */
  'scheduled-run': {
    queue: 'schedule',
    thread: false,
    // Several runs at once, so that one source that is slow or never answers (a fetch may take up to
    // SCHEDULE_FETCH_TIMEOUT_MS, retried) never delays the other schedules. A run mostly waits on I/O
    // (the source, the blob store, PostgreSQL), so 4 per worker process costs little; it is bounded because
    // each run holds a PostgreSQL connection at times and a blob write, beside scoring and finalising on the
    // same pool (10 connections). Runs of one schedule never overlap (oneAtATimePer), so each bad source holds
    // one slot at most: 3 hanging sources at once still leave one for every other schedule.
    concurrency: 4,
    oneAtATimePer: 'schedule',
    abortOnShutdown: true,
    idempotent: false,
    payload: z.object({ schedule: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/) }),
    options: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 5_000 },
      removeOnComplete: { count: 200 },
      removeOnFail: { age: 7 * 24 * 3600 },
    } satisfies JobsOptions,
  },
  /**
   * One attempt at one webhook delivery (an event for an endpoint), a job of its own so that a slow or
   * failing receiver never delays scoring or email. PostgreSQL counts the attempts and chooses when the next
   * is due (the handler throws RetryLater with the delay); BullMQ's attempts leave room for faults of ours
   * that record no attempt. Not idempotent: an attempt repeated blindly after it sent would send again.
   */
  'deliver-webhook': {
    queue: 'webhook',
    thread: false,
    // I/O-bound: mostly waiting for receivers (each bounded by WEBHOOK_TIMEOUT_MS). One owner's endpoints have
    // at most 2 attempts in flight (MAX_IN_FLIGHT_PER_OWNER in packages/jobs/src/webhooks/deliver.ts; the rest
    // wait their turn without holding a slot), so 16 slots take the slow receivers of 8 owners at once before
    // any other owner's delivery waits.
    concurrency: 16,
    idempotent: false,
    payload: z.object({ deliveryId: z.string().regex(/^msg_[0-9a-f]{32}$/), generation: z.number().int().min(0) }),
    options: {
      attempts: WEBHOOK_ATTEMPTS + 5,
      // `webhook`: the delay a RetryLater carries; else the retry schedule from `delay` (see retry-schedule.ts).
      backoff: { type: 'webhook', delay: 5_000 },
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600 },
    } satisfies JobsOptions,
  },
} as const;

export type JobName = keyof typeof jobCatalog;
/** Kinds that run in the worker process's scoring threads. */
export type ThreadKind = { [N in JobName]: (typeof jobCatalog)[N]['thread'] extends true ? N : never }[JobName];
/** Kinds that run on the worker process's main thread. */
export type MainKind = Exclude<JobName, ThreadKind>;
export type QueueName = (typeof jobCatalog)[JobName]['queue'];
export type Payload<N extends JobName> = z.infer<(typeof jobCatalog)[N]['payload']>;

export const queueNames: QueueName[] = [...new Set(Object.values(jobCatalog).map((j) => j.queue))];

/** Deterministic BullMQ job ids: adding the same work twice (reconciler, retries) is a no-op. */
export const jobIds = {
  'score-chunk': (p: Payload<'score-chunk'>) => `chunk-${p.jobId}-${p.chunk}`,
  'finalize-job': (p: Payload<'finalize-job'>) => `finalize-${p.jobId}`,
  'upload-gate': (p: Payload<'upload-gate'>) => `gate-${p.jobId}`,
  'send-email': (p: Payload<'send-email'>) => `email-${p.jobId}`,
  'send-links': (p: Payload<'send-links'>) => `links-${p.requestId}`,
  // Runs are added by the schedule's job scheduler, which names them repeat:<schedule>:<time>; this id is
  // for a run added by hand (one at a time per schedule).
  'scheduled-run': (p: Payload<'scheduled-run'>) => `run-${p.schedule}`,
  // One queue job per delivery and generation: recording an event again (a finaliser redelivered) adds none.
  'deliver-webhook': (p: Payload<'deliver-webhook'>) => `webhook-${p.deliveryId}-${p.generation}`,
} satisfies { [N in JobName]: (p: Payload<N>) => string };

export const isJobName = (name: string): name is JobName => Object.hasOwn(jobCatalog, name);

/** The largest priority BullMQ takes (1 is the highest; it refuses larger numbers). */
const LOWEST_PRIORITY = 2_097_151;

/**
 * Fair share between jobs (docs/performance.md): a chunk's BullMQ priority is its place in its job, so the
 * scoring threads take every job's first chunk before any job's second, and so on (first come, first served
 * within a place). A small job is one chunk and waits for no big job's remaining chunks; two big jobs
 * submitted together take turns. Priorities never change, so nothing has to be re-queued as chunks finish.
 */
export const chunkPriority = (chunk: number): number => Math.min(chunk + 1, LOWEST_PRIORITY);

/** The kinds that run on one queue (one today, but the catalog does not assume it). */
export const kindsOf = (queue: QueueName): JobName[] => (Object.keys(jobCatalog) as JobName[]).filter((n) => jobCatalog[n].queue === queue);

/** Whether a queue's jobs run in scoring threads. */
export const isThreadQueue = (queue: QueueName): boolean => kindsOf(queue).some((k) => jobCatalog[k].thread);
