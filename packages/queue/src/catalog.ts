import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

/**
 * The job catalog: every kind of background job, the queue it runs on, its payload schema and its options,
 * in one place shared by producers (web, reconciler) and consumers (workers). Payloads carry ids only:
 * PostgreSQL holds everything else, so a job re-created after Redis lost its data is the same job.
 */
const uuid = z.string().uuid();

export const jobCatalog = {
  /** Score one chunk of an upload's rows and store the predictions (a child of finalize-job). */
  'score-chunk': {
    queue: 'score',
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
    payload: z.object({ jobId: uuid }),
    options: {
      attempts: 10,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600 },
    } satisfies JobsOptions,
  },
  /** Tell the owner the job ended. Its own retries, so an SMTP outage never re-runs inference. */
  'send-email': {
    queue: 'email',
    payload: z.object({ jobId: uuid }),
    options: {
      attempts: 12,
      backoff: { type: 'exponential', delay: 2_000 },
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600 },
    } satisfies JobsOptions,
  },
  /**
   * One run of an admin's schedule: copy and scan its source into a normal job (whose own scoring and email
   * follow). Added by a BullMQ job scheduler per schedule (see schedules.ts); the schedule itself lives in
   * PostgreSQL. A schedule may set its own number of attempts; these are the defaults.
   */
  'scheduled-run': {
    queue: 'schedule',
    payload: z.object({ schedule: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/) }),
    options: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 5_000 },
      removeOnComplete: { count: 200 },
      removeOnFail: { age: 7 * 24 * 3600 },
    } satisfies JobsOptions,
  },
} as const;

export type JobName = keyof typeof jobCatalog;
export type QueueName = (typeof jobCatalog)[JobName]['queue'];
export type Payload<N extends JobName> = z.infer<(typeof jobCatalog)[N]['payload']>;

export const queueNames: QueueName[] = [...new Set(Object.values(jobCatalog).map((j) => j.queue))];

/** Deterministic BullMQ job ids: adding the same work twice (reconciler, retries) is a no-op. */
export const jobIds = {
  'score-chunk': (p: Payload<'score-chunk'>) => `chunk-${p.jobId}-${p.chunk}`,
  'finalize-job': (p: Payload<'finalize-job'>) => `finalize-${p.jobId}`,
  'send-email': (p: Payload<'send-email'>) => `email-${p.jobId}`,
  // Runs are added by the schedule's job scheduler, which names them repeat:<schedule>:<time>; this id is
  // for a run added by hand (one at a time per schedule).
  'scheduled-run': (p: Payload<'scheduled-run'>) => `run-${p.schedule}`,
} satisfies { [N in JobName]: (p: Payload<N>) => string };

/** Validates a payload when a job is taken, not only when it was added: Redis content is not trusted. */
export function parsePayload<N extends JobName>(name: N, data: unknown): Payload<N> {
  return jobCatalog[name].payload.parse(data) as Payload<N>;
}
