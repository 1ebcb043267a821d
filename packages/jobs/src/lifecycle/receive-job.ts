import {
  appendReceivedChunks,
  completeReceivingJob,
  deleteReceivingJob,
  getExpiredJob,
  getJob,
  insertJob,
  renewReceivingLease,
} from '@batchcast/db';
import { deletedError } from '../access/open-job.js';
import type { JobsContext } from '../context.js';
import { DomainError } from '../errors.js';
import { jobOwner } from '../keys/quotas.js';
import type { JobLayout } from '../records.js';
import type { StoredChunk, StoredUpload, UploadProgress } from '../uploads/stored-upload.js';
import {
  type CreatedJob,
  checkJobRequest,
  type JobRequest,
  logSubmitted,
  newJobIdentity,
  newJobRow,
  queueOrLeaveToReconciler,
} from './create-job.js';

/**
 * Scoring while the upload arrives (issue 14). Given to storeUpload as its `progress`: once the header and the
 * first chunk are stored, the request is checked as createJob checks it and the job is recorded `receiving`
 * (migration 013) with its scoring queued under a finaliser held by the upload's gate; each later chunk is
 * recorded and queued as soon as its bytes are stored. At the end, complete() records the size, checks the
 * key's quota on the rows now known, makes the job queued and opens the gate; abandon() removes the job and
 * what was queued when the upload fails.
 *
 * Nothing here changes what the submitter hears: a check that fails early only turns early start off, and the
 * upload goes on to today's createJob at the end, which refuses it exactly as before. An anonymous upload's link is
 * given at the end as today; the API key uploading it sees the job `receiving` meanwhile, and may cancel (or
 * delete) it: this learns so at the next chunk, at a renewal of the lease or at the end, stores and queues no more,
 * removes what was queued, and the upload is refused (`stopped`, `job_cancelled` or `deleted`) with its file deleted.
 */
export class JobWhileReceiving implements UploadProgress {
  private state: 'waiting' | 'recorded' | 'off' = 'waiting';
  private job: { id: string; token: string; layout: JobLayout; model: { name: string; version: number } } | null = null;
  /** Chunks told by the upload, in order; those recorded in PostgreSQL; those added to the queue. */
  private readonly told: StoredChunk[] = [];
  private recorded = 0;
  private queued = 0;
  private flowStarted = false;
  /** One step at a time, in the order the chunks came. */
  private steps: Promise<void> = Promise.resolve();
  /** Renews the job's lease while this process receives its upload: if the process dies, the lease passes. */
  private leaseTimer: NodeJS.Timeout | null = null;

  /** Why the job ended before its upload did: its owner cancelled or deleted it. */
  private stoppedBy: DomainError | null = null;

  /** `stopped`: told (once) when the job's owner ended it while the upload arrives, to refuse the upload at once. */
  constructor(
    private readonly ctx: JobsContext,
    private readonly key: string,
    private readonly request: JobRequest,
    private readonly stopped: (err: DomainError) => void = () => undefined,
  ) {}

  chunk(chunk: StoredChunk, layout: JobLayout): void {
    this.told.push(chunk);
    this.step(() => (this.state === 'waiting' ? this.begin(layout) : this.addChunks()));
  }

  /**
   * The upload is stored whole: the job becomes queued (running, if a chunk has started) and its finaliser is
   * let go. Null when the job was not started early (the caller goes on with createJob), or when the request
   * at the end is not the one it was started with (the form's fields sent after the file). A refusal (a key's
   * quota on the rows now known) throws, with the job removed.
   */
  async complete(upload: StoredUpload, request: JobRequest): Promise<CreatedJob | null> {
    await this.steps;
    this.stopLease();
    if (this.stoppedBy) throw this.stoppedBy;
    if (this.state !== 'recorded' || !this.sameAsStarted(upload, request)) {
      await this.abandon();
      return null;
    }
    const job = this.job!;
    const ctx = this.ctx;
    try {
      await this.addChunks();
      if (this.recorded < upload.chunks.length) throw new Error(`job ${job.id} was removed while its upload arrived (its lease passed)`);
      const owner = request.owner ? jobOwner(request.owner, upload.rows) : undefined;
      const stored = { bytes: upload.size, rows: upload.rows, chunks: upload.chunks.length };
      if (!(await completeReceivingJob(ctx.pool, job.id, stored, owner, request.idempotencyKey?.(job)))) {
        throw (await this.endedByOwner(job.id)) ?? new Error(`job ${job.id} was removed while its upload arrived (its lease passed)`);
      }
    } catch (err) {
      await this.abandon();
      throw err;
    }
    this.state = 'off';
    await queueOrLeaveToReconciler(ctx, job.id, async () => {
      if (!this.flowStarted) {
        await ctx.queue.enqueueScoring(job.id, indexes(upload.chunks));
        return;
      }
      if (this.queued < upload.chunks.length) await ctx.queue.addReceivedChunks(job.id, indexes(upload.chunks.slice(this.queued)));
      await ctx.queue.openUploadGate(job.id);
    });
    logSubmitted(ctx, job.id, job.model, job.layout, upload, request, true);
    return { id: job.id, token: job.token, status: 'queued', model: job.model };
  }

  /**
   * The upload failed (or is not going on as this job): the job is removed with its chunks and predictions,
   * and its queued chunks and gate are removed (a chunk being scored finishes and finds no job). The blob is
   * the caller's to delete, as for any failed upload. Safe to call more than once.
   */
  async abandon(): Promise<void> {
    await this.steps.catch(() => undefined);
    this.stopLease();
    const was = this.state;
    this.state = 'off';
    if (was !== 'recorded' || !this.job) return;
    const { id } = this.job;
    await deleteReceivingJob(this.ctx.pool, id).catch((err) =>
      this.ctx.log.warn({ jobId: id, err: (err as Error).message }, 'could not remove a job whose upload failed; its lease will'),
    );
    if (this.flowStarted) {
      await this.ctx.queue
        .dropScoringWhileReceiving(id, indexes(this.told.slice(0, this.queued)))
        .catch((err) =>
          this.ctx.log.warn({ jobId: id, err: (err as Error).message }, 'could not remove the queued chunks of a failed upload'),
        );
    }
    this.ctx.log.info({ jobId: id, chunks: this.queued }, 'upload failed: the job scored while it arrived is removed');
  }

  private stopLease(): void {
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    this.leaseTimer = null;
  }

  private step(fn: () => Promise<void>): void {
    this.steps = this.steps.then(fn).catch((err) => {
      // Early start is only ever a head start: anything going wrong turns it off, and the end of the upload decides.
      this.ctx.log.warn({ key: this.key, err: (err as Error).message }, 'could not score the upload while it arrives');
      if (this.state === 'waiting') this.state = 'off';
    });
  }

  /** The first chunk is stored: check the request, record the job receiving, and queue its first chunk. */
  private async begin(layout: JobLayout): Promise<void> {
    const first = this.told[0]!;
    let checked: Awaited<ReturnType<typeof checkJobRequest>>;
    try {
      checked = await checkJobRequest(this.ctx, this.key, layout, first, this.request);
    } catch {
      this.state = 'off'; // refused: createJob at the end refuses it the same way
      return;
    }
    const { id, token } = newJobIdentity(this.request);
    const { model } = checked;
    const lease = this.ctx.config.storage.receivingLeaseSeconds;
    const owner = this.request.owner ? jobOwner(this.request.owner, first.rows) : undefined;
    try {
      await insertJob(
        this.ctx.pool,
        {
          ...newJobRow(id, token, this.request, checked, { key: this.key, layout, bytes: 0, rows: first.rows, chunks: [first] }),
          receivingSeconds: lease,
        },
        owner,
      );
    } catch {
      this.state = 'off'; // a quota reached, say: createJob at the end says so
      return;
    }
    this.job = { id, token, layout, model: { name: model.name, version: model.version } };
    this.state = 'recorded';
    this.leaseTimer = setInterval(
      () => {
        renewReceivingLease(this.ctx.pool, id, lease).then(
          (renewed) => {
            // No longer receiving: why (its owner may have ended it, and the upload is refused now).
            if (!renewed) this.step(async () => (this.state === 'recorded' ? this.noLongerReceiving(id) : undefined));
          },
          (err) => this.ctx.log.warn({ jobId: id, err: (err as Error).message }, 'could not renew the lease of a job receiving its upload'),
        );
      },
      (lease * 1000) / 3,
    );
    this.leaseTimer.unref();
    this.recorded = 1;
    try {
      await this.ctx.queue.startScoringWhileReceiving(id, [first.index]);
      this.flowStarted = true;
      this.queued = 1;
    } catch (err) {
      this.ctx.log.warn({ jobId: id, err: (err as Error).message }, 'could not queue the first chunk; the job is queued whole at the end');
    }
    if (this.told.length > 1) await this.addChunks();
  }

  /** Records and queues the chunks told since the last step. */
  private async addChunks(): Promise<void> {
    if (this.state !== 'recorded') return;
    const { id } = this.job!;
    const fresh = this.told.slice(this.recorded);
    if (fresh.length > 0) {
      if (!(await appendReceivedChunks(this.ctx.pool, id, fresh, this.ctx.config.storage.receivingLeaseSeconds))) {
        await this.noLongerReceiving(id);
        throw this.stoppedBy ?? new Error(`job ${id} was removed while its upload arrived (its lease passed)`);
      }
      this.recorded += fresh.length;
    }
    if (!this.flowStarted || this.queued >= this.recorded) return;
    await this.ctx.queue.addReceivedChunks(id, indexes(this.told.slice(this.queued, this.recorded)));
    this.queued = this.recorded;
  }

  /**
   * The job is no longer receiving: its lease passed (the job is gone; the end of the upload makes it anew), or its
   * owner ended it. Then nothing more is recorded or queued, the chunks queued so far and the gate are removed (the
   * finaliser runs, and finds the job cancelled or gone), and the upload is refused at once.
   */
  private async noLongerReceiving(id: string): Promise<void> {
    this.stopLease();
    this.state = 'off';
    this.job = null;
    const reason = await this.endedByOwner(id);
    if (!reason) return;
    this.stoppedBy = reason;
    this.ctx.log.info({ jobId: id, code: reason.code }, 'job ended by its owner while its upload arrived: the upload is refused');
    if (this.flowStarted) {
      await this.ctx.queue
        .dropScoringWhileReceiving(id, indexes(this.told.slice(0, this.queued)))
        .catch((err) =>
          this.ctx.log.warn({ jobId: id, err: (err as Error).message }, 'could not remove the queued chunks of a cancelled upload'),
        );
    }
    this.stopped(reason);
  }

  /** Why job `id` is no longer receiving when its owner ended it (cancelled, deleted); null: its lease passed. */
  private async endedByOwner(id: string): Promise<DomainError | null> {
    const job = await getJob(this.ctx.pool, id);
    if (job?.status === 'cancelled') {
      return new DomainError(
        'conflict',
        'job_cancelled',
        `Job ${id} was cancelled while its file was still arriving: nothing more of it is stored or scored, and what was ` +
          'stored of the file is deleted. Upload the file again to score it.',
        { jobId: id },
      );
    }
    if (job) return null;
    const tombstone = await getExpiredJob(this.ctx.pool, id);
    return tombstone?.reason === 'owner' ? deletedError(tombstone.expiredAt) : null;
  }

  /** Whether the upload and request at the end are the ones the job was started with. */
  private sameAsStarted(upload: StoredUpload, request: JobRequest): boolean {
    const job = this.job!;
    const told = this.told;
    return (
      upload.key === this.key &&
      request.model === this.request.model &&
      request.email === this.request.email &&
      request.filename === this.request.filename &&
      request.owner?.id === this.request.owner?.id &&
      JSON.stringify(upload.layout) === JSON.stringify(job.layout) &&
      upload.chunks.length === told.length &&
      upload.chunks.every((c, i) => c.start === told[i]!.start && c.end === told[i]!.end && c.rows === told[i]!.rows)
    );
  }
}

const indexes = (chunks: StoredChunk[]): number[] => chunks.map((c) => c.index);
