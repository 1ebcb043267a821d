import type { BlobStore } from '@batchcast/blob';
import type { Config } from '@batchcast/config';
import type { ScoringPool } from '@batchcast/inference';
import type { Pool } from '@batchcast/db';
import type { Logger } from '@batchcast/log';
import type { Mailer } from '@batchcast/mail';
import type { ScheduleTimer, StoredScheduleTimer } from '@batchcast/queue';

/**
 * The work queue as the domain needs it. @batchcast/queue's JobProducer implements it over BullMQ; the
 * domain never touches BullMQ, so the lifecycle reads the same whoever queues the work.
 */
export interface WorkQueue {
  /** Queues a job's scoring (a child per chunk still to do, a finaliser after them). Safe to repeat. */
  enqueueScoring(jobId: string, chunks: number[]): Promise<void>;
  /** Scoring of a job whose upload still arrives: its first chunks, and a finaliser held until openUploadGate(). */
  startScoringWhileReceiving(jobId: string, chunks: number[]): Promise<void>;
  /** More chunks of such a job, as they are stored. */
  addReceivedChunks(jobId: string, chunks: number[]): Promise<void>;
  /** Its upload has ended: the finaliser may run once the chunks are done. */
  openUploadGate(jobId: string): Promise<void>;
  /** Whether the job's upload gate is still closed (its upload ended, but the gate was never opened). */
  uploadGateClosed(jobId: string): Promise<boolean>;
  /** Its upload failed: nothing of it stays queued (a chunk being scored finishes and finds no job). */
  dropScoringWhileReceiving(jobId: string, chunks: number[]): Promise<void>;
  enqueueEmail(jobId: string): Promise<void>;
  /** Queues the answer to an "email me my links" request. Safe to repeat (the id is fixed per request). */
  enqueueLinks(requestId: string): Promise<void>;
  /** Whether the queue knows a job's finaliser: missing (Redis lost it), failed (gave up), or present. */
  scoringState(jobId: string): Promise<'missing' | 'failed' | 'present'>;
  retryScoring(jobId: string): Promise<void>;
  hasEmail(jobId: string): Promise<boolean>;
  /** Queues a webhook delivery's attempts, due in `delayMs`; a no-op while the queue holds it already. */
  enqueueDelivery(deliveryId: string, generation: number, delayMs?: number): Promise<void>;
  deliveryState(deliveryId: string, generation: number): Promise<'missing' | 'failed' | 'present'>;
  retryDelivery(deliveryId: string, generation: number): Promise<void>;
  upsertScheduleTimer(timer: ScheduleTimer): Promise<void>;
  removeScheduleTimer(name: string): Promise<boolean>;
  listScheduleTimers(): Promise<StoredScheduleTimer[]>;
}

/** Everything the lifecycle works with; built once per process (web, worker, setup) by its entry point. */
export interface JobsContext {
  config: Config;
  pool: Pool;
  /** Where uploads live (BLOB_STORE). */
  blobs: BlobStore;
  queue: WorkQueue;
  mailer: Mailer;
  log: Logger;
  /**
   * Worker threads for real-time predictions (the web process): a model run there never blocks the event loop
   * that answers uploads, pages and health checks. Without it, predictions run in this thread.
   */
  realtime?: ScoringPool;
}

/**
 * What scoring a chunk needs: a scoring thread of the worker process builds only this (no queue producer, no
 * mailer), and the main thread's full context is one too.
 */
export type ScoringContext = Pick<JobsContext, 'config' | 'pool' | 'blobs' | 'log'>;
