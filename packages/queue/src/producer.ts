import { FlowProducer, type JobType, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { chunkPriority, jobCatalog, jobIds, type JobName, type Payload, type QueueName, queueNames } from './catalog.js';
import { listScheduleTimers, removeScheduleTimer, type ScheduleTimer, type StoredScheduleTimer, upsertScheduleTimer } from './schedules.js';

/**
 * Everything that adds jobs: the web app after an upload, the reconciler, the finaliser, schedules. It is
 * the work-queue port of the domain core (@batchcast/jobs), which never touches BullMQ itself.
 */
export class JobProducer {
  private readonly queues: Record<QueueName, Queue>;
  private readonly flows: FlowProducer;

  constructor(connection: Redis, prefix: string) {
    this.queues = Object.fromEntries(queueNames.map((name) => [name, new Queue(name, { connection, prefix })])) as Record<QueueName, Queue>;
    for (const q of Object.values(this.queues)) q.on('error', () => undefined); // the connection logs
    this.flows = new FlowProducer({ connection, prefix });
    this.flows.on('error', () => undefined);
  }

  queue(name: QueueName): Queue {
    return this.queues[name];
  }

  async add<N extends JobName>(name: N, payload: Payload<N>, delay?: number): Promise<void> {
    const def = jobCatalog[name];
    const id = (jobIds[name] as (p: Payload<N>) => string)(payload);
    await this.queues[def.queue].add(name, payload, { ...def.options, jobId: id, ...(delay ? { delay } : {}) });
  }

  /**
   * Queues a job's scoring as one BullMQ flow: a child per chunk that still has to be scored (prioritised by
   * its place in the job: see chunkPriority), and a parent that finalises once all of them have finished. Safe
   * to call again for the same job (ids are fixed).
   */
  async enqueueScoring(jobId: string, chunks: number[]): Promise<void> {
    const parent = jobCatalog['finalize-job'];
    const child = jobCatalog['score-chunk'];
    await this.flows.add({
      name: 'finalize-job',
      queueName: parent.queue,
      data: { jobId } satisfies Payload<'finalize-job'>,
      opts: { ...parent.options, jobId: jobIds['finalize-job']({ jobId }) },
      children: chunks.map((chunk) => ({
        name: 'score-chunk',
        queueName: child.queue,
        data: { jobId, chunk } satisfies Payload<'score-chunk'>,
        opts: { ...child.options, jobId: jobIds['score-chunk']({ jobId, chunk }), priority: chunkPriority(chunk) },
      })),
    });
  }

  /** Whether Redis knows the job's finaliser: missing (Redis lost it), failed (gave up), or present. */
  async scoringState(jobId: string): Promise<'missing' | 'failed' | 'present'> {
    const job = await this.queues.finalize.getJob(jobIds['finalize-job']({ jobId }));
    if (!job) return 'missing';
    return (await job.isFailed()) ? 'failed' : 'present';
  }

  async retryScoring(jobId: string): Promise<void> {
    const job = await this.queues.finalize.getJob(jobIds['finalize-job']({ jobId }));
    await job?.retry('failed');
  }

  async enqueueEmail(jobId: string): Promise<void> {
    await this.add('send-email', { jobId });
  }

  async enqueueLinks(requestId: string): Promise<void> {
    await this.add('send-links', { requestId });
  }

  /** Queues one webhook delivery's attempts (due in `delayMs`); a no-op while the queue holds it already. */
  async enqueueDelivery(deliveryId: string, generation: number, delayMs = 0): Promise<void> {
    await this.add('deliver-webhook', { deliveryId, generation }, Math.max(0, Math.round(delayMs)));
  }

  /** Whether Redis knows a delivery's queue job: missing (Redis lost it), failed (gave up), or present. */
  async deliveryState(deliveryId: string, generation: number): Promise<'missing' | 'failed' | 'present'> {
    const job = await this.queues.webhook.getJob(jobIds['deliver-webhook']({ deliveryId, generation }));
    if (!job) return 'missing';
    return (await job.isFailed()) ? 'failed' : 'present';
  }

  async retryDelivery(deliveryId: string, generation: number): Promise<void> {
    const job = await this.queues.webhook.getJob(jobIds['deliver-webhook']({ deliveryId, generation }));
    await job?.retry('failed');
  }

  async upsertScheduleTimer(timer: ScheduleTimer): Promise<void> {
    await upsertScheduleTimer(this.queues.schedule, timer);
  }

  async removeScheduleTimer(name: string): Promise<boolean> {
    return removeScheduleTimer(this.queues.schedule, name);
  }

  async listScheduleTimers(): Promise<StoredScheduleTimer[]> {
    return listScheduleTimers(this.queues.schedule);
  }

  /** Jobs per state in each queue, for the admin page and /metrics. */
  async counts(states: readonly JobType[]): Promise<{ queue: QueueName; counts: Record<string, number> }[]> {
    return Promise.all(queueNames.map(async (queue) => ({ queue, counts: await this.queues[queue].getJobCounts(...states) })));
  }

  async hasEmail(jobId: string): Promise<boolean> {
    const job = await this.queues.email.getJob(jobIds['send-email']({ jobId }));
    return job !== undefined && job !== null;
  }

  async close(): Promise<void> {
    await Promise.all([...Object.values(this.queues).map((q) => q.close()), this.flows.close()]);
  }
}
