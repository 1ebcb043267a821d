/**
 * Scoring off the main thread: a fixed set of worker threads, each holding ONNX Runtime sessions, so that a
 * long `run` (synchronous native work) no longer stops the event loop of the process that serves HTTP or
 * renews queue locks.
 *
 * - A request goes to an idle thread, preferably one that already holds its model; a thread gets a model's
 *   bytes once (the pool remembers what each thread holds and tells it which least recently used models to
 *   drop beyond `sessionsPerThread`).
 * - The batch's typed arrays are transferred, not copied (string cells are copied by structured clone);
 *   predictions come back the same way.
 * - When every thread is busy, requests wait in a bounded queue; a full queue refuses at once.
 * - A thread that dies (a native crash, out of memory) fails only the request it held and is replaced; a
 *   thread that cannot even start three times in a row breaks the pool, which then refuses everything.
 * - A request whose run passes `runDeadlineMs` fails with `model_timeout` and its thread is abandoned: a
 *   running ONNX Runtime run cannot be interrupted (terminate() ends a thread only once native code returns to
 *   JavaScript, and a model that loops for ever never does), so a fresh thread takes its place and later
 *   requests, for any model, are answered. The abandoned thread still burns a core until the process ends:
 *   `stats.abandoned` counts those, for the process to say so and restart itself when they pile up.
 */
import { beyondLimits } from './least-recently-used.js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ResourceLimits } from 'node:worker_threads';
import type { ColumnTarget, RecordBatch } from '@batchcast/csv';
import { fromWireError, Transfer } from './pool-protocol.js';
import type { FromThread, ScoreRequest, ThreadConfig, ToThread } from './pool-protocol.js';
import type { BatchPredictions, ModelSchema } from './types.js';

export interface ScoringPoolOptions {
  /** Worker threads; size to cores / processes (each run may use intraOpNumThreads more). */
  threads: number;
  /** ONNX Runtime threads per run inside each worker thread. Default 1. */
  intraOpNumThreads?: number;
  /** Requests that may wait for a thread; one more is refused with `queue_full`. Default 64. */
  maxQueue?: number;
  /** Models each thread keeps loaded; the least recently used is released beyond that. Default 8. */
  sessionsPerThread?: number;
  /**
   * Bytes of model graphs each thread keeps loaded, the least recently used released beyond them (a loaded model
   * takes 25-30 times its graph in memory); the model of the request at hand is kept whatever its size. Default: no bound.
   */
  graphBytesPerThread?: number;
  /** V8 heap limits of each thread (a thread that exceeds them dies and is replaced). */
  resourceLimits?: ResourceLimits;
  /** The thread's script; default the compiled scoring-worker.js of this package. */
  workerUrl?: URL;
  /**
   * How long one request may run on its thread (from the moment it is handed to it, loading the model included)
   * before it fails with `model_timeout` and the thread is abandoned and replaced. Default: no deadline.
   */
  runDeadlineMs?: number;
  /** Told of each thread abandoned to a run past its deadline, after the fresh thread was started. */
  onAbandoned?: (stats: ScoringPoolStats) => void;
}

/** A model as the pool needs it: its identity, its schema, and where its prepared bytes come from. */
export interface PoolModel {
  sha256: string;
  schema: ModelSchema;
  /** Called when a thread needs the model and no other load of it is under way; bytes are checked against sha256. */
  loadBytes: () => Promise<Uint8Array>;
}

export type ScoringPoolErrorCode = 'queue_full' | 'closed' | 'thread_crashed' | 'pool_broken' | 'model_timeout';

export class ScoringPoolError extends Error {
  constructor(
    readonly code: ScoringPoolErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ScoringPoolError';
  }
}

export interface ScoringPoolStats {
  threads: number;
  busy: number;
  queued: number;
  /** Threads started to replace ones that died or were abandoned. */
  restarts: number;
  /** Threads abandoned to a run past the deadline that have not ended yet (each still computing, on a core). */
  abandoned: number;
}

interface Pending {
  model: PoolModel;
  batch: RecordBatch;
  targets: ColumnTarget[];
  resolve: (p: BatchPredictions) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** The request this thread is working on (or loading bytes for). */
  busy: (Pending & { id: number }) | null;
  /** The models the thread holds, least recently used first: each one's graph bytes. */
  loaded: Map<string, number>;
  /** The last error the thread reported before dying. */
  lastError: Error | null;
  exited: boolean;
  /** Fails the request at hand once it has run past runDeadlineMs. */
  deadline: NodeJS.Timeout | null;
}

/** Resolved from src/ (tests, through vitest) and from dist/ alike: the compiled worker is always in dist/. */
const DEFAULT_WORKER_URL = new URL('../dist/scoring-worker.js', import.meta.url);
const MAX_START_FAILURES = 3;
const CLOSE_GRACE_MS = 10_000;

export class ScoringPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly loads = new Map<string, Promise<Uint8Array>>();
  private readonly opts: Required<Omit<ScoringPoolOptions, 'resourceLimits' | 'runDeadlineMs' | 'onAbandoned'>> &
    Pick<ScoringPoolOptions, 'resourceLimits' | 'runDeadlineMs' | 'onAbandoned'>;
  /** Threads given up on (a run past its deadline), until they end: they are in no slot any more. */
  private readonly abandoned = new Set<Worker>();
  private nextId = 1;
  private started = false;
  private closing = false;
  private broken: Error | null = null;
  private startFailures = 0;
  private restarts = 0;
  private readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(options: ScoringPoolOptions) {
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new TypeError('ScoringPool: threads must be a positive integer.');
    this.opts = {
      intraOpNumThreads: 1,
      maxQueue: 64,
      sessionsPerThread: 8,
      graphBytesPerThread: Number.POSITIVE_INFINITY,
      workerUrl: DEFAULT_WORKER_URL,
      ...options,
    };
    if (!existsSync(fileURLToPath(this.opts.workerUrl))) {
      throw new Error(`ScoringPool: ${fileURLToPath(this.opts.workerUrl)} does not exist; build the workspace first (npx tsc -b).`);
    }
  }

  /**
   * Threads start with the first request (or ready()), not with the pool: each is a JavaScript heap with ONNX
   * Runtime loaded, tens of MB that a web process serving no real-time predictions should not carry.
   */
  private startThreads(): void {
    if (this.started) return;
    this.started = true;
    for (let i = 0; i < this.opts.threads; i++) this.slots.push(this.start());
  }

  /**
   * Scores a batch on a thread: the same result, bit for bit, as ScoringSession.score in this thread.
   * The batch's typed arrays are transferred to the thread, so they are empty (detached) once this is called.
   */
  score(model: PoolModel, batch: RecordBatch, targets: ColumnTarget[]): Promise<BatchPredictions> {
    if (this.closing) return Promise.reject(new ScoringPoolError('closed', 'The scoring pool is closed.'));
    if (this.broken) return Promise.reject(this.brokenError());
    if (this.queue.length >= this.opts.maxQueue && !this.slots.some((s) => s.ready && !s.busy)) {
      return Promise.reject(
        new ScoringPoolError(
          'queue_full',
          `All ${this.slots.length} scoring threads are busy and ${this.queue.length} requests are waiting; try again shortly.`,
        ),
      );
    }
    this.startThreads();
    const result = new Promise<BatchPredictions>((resolve, reject) => {
      this.queue.push({ model, batch, targets, resolve, reject });
      this.pump();
    });
    // close() waits for what was accepted; it must not wait on a rejection nobody handles here.
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    return result;
  }

  /** Starts the threads if no request has yet; resolves once every thread has started, rejects if the pool broke instead. */
  ready(): Promise<void> {
    if (this.broken) return Promise.reject(this.brokenError());
    if (this.closing) return Promise.reject(new ScoringPoolError('closed', 'The scoring pool is closed.'));
    this.startThreads();
    if (this.slots.every((s) => s.ready)) return Promise.resolve();
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  get stats(): ScoringPoolStats {
    return {
      threads: this.slots.length,
      busy: this.slots.filter((s) => s.busy).length,
      queued: this.queue.length,
      restarts: this.restarts,
      abandoned: this.abandoned.size,
    };
  }

  /** Refuses waiting requests, lets the ones in progress finish, then ends every thread. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      for (const p of this.queue.splice(0))
        p.reject(new ScoringPoolError('closed', 'The scoring pool was closed before this request ran.'));
      for (const w of this.readyWaiters.splice(0)) w.reject(new ScoringPoolError('closed', 'The scoring pool was closed.'));
      this.closed = this.endThreads();
    }
    return this.closed;
  }

  private closed: Promise<void> = Promise.resolve();

  private async endThreads(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_GRACE_MS);
    });
    await Promise.race([Promise.allSettled([...this.inFlight]), grace]);
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.exited) return;
        const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
        slot.worker.postMessage({ type: 'close' } satisfies ToThread);
        await Promise.race([exited, grace]);
        // A thread still in a run past the grace never ends while its run goes on (see abandon): asked to, not awaited.
        if (!slot.exited) await Promise.race([slot.worker.terminate(), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
      }),
    );
    clearTimeout(timer);
  }

  // --- threads --------------------------------------------------------------------------------------------

  private start(): Slot {
    const config: ThreadConfig = { intraOpNumThreads: this.opts.intraOpNumThreads };
    const worker = new Worker(this.opts.workerUrl, {
      workerData: config,
      ...(this.opts.resourceLimits ? { resourceLimits: this.opts.resourceLimits } : {}),
    });
    const slot: Slot = { worker, ready: false, busy: null, loaded: new Map(), lastError: null, exited: false, deadline: null };
    worker.on('message', (m: FromThread) => this.onMessage(slot, m));
    worker.on('error', (err) => {
      slot.lastError = err;
    });
    worker.on('exit', (code) => this.onExit(slot, code));
    return slot;
  }

  private onMessage(slot: Slot, m: FromThread): void {
    if (m.type === 'ready') {
      slot.ready = true;
      this.startFailures = 0;
      if (this.slots.every((s) => s.ready)) for (const w of this.readyWaiters.splice(0)) w.resolve();
      this.pump();
      return;
    }
    const job = slot.busy;
    if (!job || job.id !== m.id) return; // cannot happen: one request per thread at a time
    slot.busy = null;
    this.clearDeadline(slot);
    if (m.type === 'result') {
      // The thread scored a copy of the batch: rows the graph refused there fail on the caller's batch too.
      job.batch.errors.splice(0, job.batch.errors.length, ...m.errors);
      job.resolve(m.predictions);
    } else {
      if (!m.loaded) slot.loaded.delete(job.model.sha256);
      job.reject(fromWireError(m.error));
    }
    this.pump();
  }

  private onExit(slot: Slot, code: number): void {
    slot.exited = true;
    this.clearDeadline(slot);
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    const why = slot.lastError ? `: ${slot.lastError.message}` : ` with exit code ${code}`;
    if (slot.busy) {
      slot.busy.reject(
        this.closing
          ? new ScoringPoolError('closed', 'The scoring pool was closed before this request ran.')
          : new ScoringPoolError('thread_crashed', `The scoring thread died while scoring this batch${why}. The batch can be retried.`),
      );
      slot.busy = null;
    }
    if (this.closing) return;
    if (!slot.ready) {
      this.startFailures++;
      if (this.startFailures >= MAX_START_FAILURES) {
        this.broken = new Error(`scoring threads fail to start${why}`);
        for (const p of this.queue.splice(0)) p.reject(this.brokenError());
        for (const w of this.readyWaiters.splice(0)) w.reject(this.brokenError());
        return;
      }
    }
    this.restarts++;
    this.slots[index] = this.start();
  }

  private brokenError(): ScoringPoolError {
    return new ScoringPoolError('pool_broken', `The scoring pool stopped: ${this.broken?.message ?? 'unknown error'}.`);
  }

  // --- dispatch -------------------------------------------------------------------------------------------

  /** Hands waiting requests to idle threads, oldest request first, preferring a thread that holds its model. */
  private pump(): void {
    while (this.queue.length > 0 && !this.closing) {
      const idle = this.slots.filter((s) => s.ready && !s.busy);
      if (idle.length === 0) return;
      const next = this.queue.shift()!;
      const slot = idle.find((s) => s.loaded.has(next.model.sha256)) ?? idle.reduce((a, b) => (b.loaded.size < a.loaded.size ? b : a));
      void this.dispatch(slot, next);
    }
  }

  private async dispatch(slot: Slot, job: Pending): Promise<void> {
    const id = this.nextId++;
    slot.busy = { ...job, id };
    const { sha256 } = job.model;
    let load: ScoreRequest['load'] = null;
    const evict: string[] = [];
    try {
      let graphBytes = slot.loaded.get(sha256);
      if (graphBytes !== undefined) {
        slot.loaded.delete(sha256); // most recently used last
      } else {
        load = { bytes: await this.bytes(job.model), schema: job.model.schema };
        if (slot.busy?.id !== id) return; // the thread died while the bytes were loading; the request was failed
        graphBytes = load.bytes.length;
        // What the thread's own cache will drop on loading it (session-cache.ts, the same limits).
        const limits = { models: this.opts.sessionsPerThread, graphBytes: this.opts.graphBytesPerThread };
        for (const oldest of beyondLimits(slot.loaded, limits, { models: 1, graphBytes })) {
          slot.loaded.delete(oldest);
          evict.push(oldest);
        }
      }
      slot.loaded.set(sha256, graphBytes);
      const transfer = new Transfer();
      const data = job.batch.data.map((d) => transfer.add(d));
      const message: ScoreRequest = {
        type: 'score',
        id,
        sha256,
        load,
        evict,
        firstRow: job.batch.firstRow,
        count: job.batch.count,
        data,
        targets: job.targets,
        errors: job.batch.errors,
        ...(job.batch.decimal ? { decimal: job.batch.decimal } : {}),
      };
      slot.worker.postMessage(message satisfies ToThread, transfer.list);
      if (this.opts.runDeadlineMs !== undefined) {
        const ms = this.opts.runDeadlineMs;
        slot.deadline = setTimeout(() => this.abandon(slot, id, ms), ms);
      }
    } catch (e) {
      if (slot.busy?.id === id) slot.busy = null;
      job.reject(e instanceof Error ? e : new Error(String(e)));
      this.pump();
    }
  }

  private clearDeadline(slot: Slot): void {
    if (slot.deadline) clearTimeout(slot.deadline);
    slot.deadline = null;
  }

  /**
   * Gives up on a thread whose request `id` ran past the deadline: fails the request, puts a fresh thread in its
   * slot and asks the old one to end. It ends only if its run ever returns; until then it is counted, unreferenced
   * (it must not keep the process alive) and never handed work again.
   */
  private abandon(slot: Slot, id: number, ms: number): void {
    slot.deadline = null;
    const job = slot.busy;
    const index = this.slots.indexOf(slot);
    if (!job || job.id !== id || index < 0) return;
    slot.busy = null;
    const worker = slot.worker;
    worker.removeAllListeners('message');
    worker.removeAllListeners('exit');
    this.abandoned.add(worker);
    worker.once('exit', () => this.abandoned.delete(worker));
    worker.unref();
    void worker.terminate().catch(() => undefined);
    if (this.closing) this.slots.splice(index, 1);
    else {
      this.restarts++;
      this.slots[index] = this.start();
    }
    job.reject(
      new ScoringPoolError(
        'model_timeout',
        `The model did not finish scoring these rows within ${formatDeadline(ms)}: the model is at fault (it computes for ever or for far too long, e.g. an ONNX Loop of a huge count), not the rows.`,
      ),
    );
    this.opts.onAbandoned?.(this.stats);
  }

  /** A model's bytes, loaded once however many threads want them at the same time. */
  private bytes(model: PoolModel): Promise<Uint8Array> {
    const running = this.loads.get(model.sha256);
    if (running) return running;
    const loading = model.loadBytes().finally(() => this.loads.delete(model.sha256));
    this.loads.set(model.sha256, loading);
    return loading;
  }
}

/**
 * "10 minutes", "2.5 seconds": a deadline (PREDICT_DEADLINE_MS, CHUNK_DEADLINE_MS) as a person reads it, in every
 * message that names one (a real-time 504, a job failed by a stuck chunk, their log lines), so that the two say the
 * same setting the same way.
 */
export function formatDeadline(ms: number): string {
  const [amount, unit] = ms % 60_000 === 0 ? [ms / 60_000, 'minute'] : [Math.round(ms / 100) / 10, 'second'];
  return `${amount.toLocaleString('en-US')} ${unit}${amount === 1 ? '' : 's'}`;
}
