import { FlowProducer, type JobType, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { chunkPriority, jobCatalog, jobIds, type JobName, type Payload, type QueueName, queueNames } from './catalog.js';
import { listScheduleTimers, removeScheduleTimer, type ScheduleTimer, type StoredScheduleTimer, upsertScheduleTimer } from './schedules.js';

/**
 * How long an upload's gate waits when nobody opens it: far beyond any upload, whose lease (RECEIVING_LEASE_SECONDS)
 * ends a job whose web process died long before.
 */
const GATE_DELAY_MS = 7 * 24 * 3600_000;

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
    await this.addScoringFlow(jobId, chunks, false);
  }

  /**
   * Starts a job's scoring while its upload still arrives: the same flow as enqueueScoring with the chunks
   * stored so far, and one more child, the upload's gate, delayed until openUploadGate() (or, should nobody
   * ever open it, for GATE_DELAY_MS): the finaliser waits for it, so more chunks can be added meanwhile.
   */
  async startScoringWhileReceiving(jobId: string, chunks: number[]): Promise<void> {
    await this.addScoringFlow(jobId, chunks, true);
  }

  private async addScoringFlow(jobId: string, chunks: number[], gated: boolean): Promise<void> {
    const parent = jobCatalog['finalize-job'];
    const gate = jobCatalog['upload-gate'];
    await this.flows.add({
      name: 'finalize-job',
      queueName: parent.queue,
      data: { jobId } satisfies Payload<'finalize-job'>,
      opts: { ...parent.options, jobId: jobIds['finalize-job']({ jobId }) },
      children: [
        ...(gated
          ? [
              {
                name: 'upload-gate',
                queueName: gate.queue,
                data: { jobId } satisfies Payload<'upload-gate'>,
                opts: { ...gate.options, jobId: jobIds['upload-gate']({ jobId }), delay: GATE_DELAY_MS },
              },
            ]
          : []),
        ...chunks.map((chunk) => this.chunkChild(jobId, chunk)),
      ],
    });
  }

  /** Adds chunks stored since to the flow of a job still receiving its upload (its finaliser waits for the gate). */
  async addReceivedChunks(jobId: string, chunks: number[]): Promise<void> {
    const parent = { id: jobIds['finalize-job']({ jobId }), queue: this.queues[jobCatalog['finalize-job'].queue].qualifiedName };
    await this.queues[jobCatalog['score-chunk'].queue].addBulk(
      chunks.map((chunk) => {
        const child = this.chunkChild(jobId, chunk);
        return { name: child.name, data: child.data, opts: { ...child.opts, parent } };
      }),
    );
  }

  /** The upload has ended and every chunk is added: the gate runs now, and the finaliser once the chunks are done. */
  async openUploadGate(jobId: string): Promise<void> {
    const gate = await this.queues[jobCatalog['upload-gate'].queue].getJob(jobIds['upload-gate']({ jobId }));
    if (gate && (await gate.isDelayed())) await gate.promote();
  }

  /** Whether the job's upload gate is still waiting to be opened (false when it has none, or it has run). */
  async uploadGateClosed(jobId: string): Promise<boolean> {
    const gate = await this.queues[jobCatalog['upload-gate'].queue].getJob(jobIds['upload-gate']({ jobId }));
    return gate ? gate.isDelayed() : false;
  }

  /**
   * The upload failed: removes the job's chunks still waiting and its gate, so the finaliser runs (and finds
   * no job) as soon as a chunk being scored now is done, or is removed with them. Nothing is left queued.
   */
  async dropScoringWhileReceiving(jobId: string, chunks: number[]): Promise<void> {
    const score = this.queues[jobCatalog['score-chunk'].queue];
    for (const chunk of chunks) {
      const job = await score.getJob(jobIds['score-chunk']({ jobId, chunk }));
      // A chunk being scored is locked: it finishes, finds the job gone, and completes.
      await job?.remove().catch(() => undefined);
    }
    const gate = await this.queues[jobCatalog['upload-gate'].queue].getJob(jobIds['upload-gate']({ jobId }));
    await gate?.remove().catch(() => undefined);
  }

  private chunkChild(jobId: string, chunk: number) {
    const child = jobCatalog['score-chunk'];
    return {
      name: 'score-chunk' as const,
      queueName: child.queue,
      data: { jobId, chunk } satisfies Payload<'score-chunk'>,
      opts: { ...child.options, jobId: jobIds['score-chunk']({ jobId, chunk }), priority: chunkPriority(chunk) },
    };
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
