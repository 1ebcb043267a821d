/**
 * Scoring off the web process: a fixed set of scoring processes (scoring-process.ts), each holding ONNX Runtime
 * sessions, so that a long `run` (synchronous native work) never stops the event loop that serves HTTP, and a
 * model that misbehaves cannot take the web process with it.
 *
 * - A request goes to an idle process, preferably one that already holds its model; a process gets a model's
 *   bytes once (the pool remembers what each holds and tells it which least recently used models to drop beyond
 *   `sessionsPerProcess`).
 * - The batch's arrays are copied to the process over its IPC channel; predictions come back the same way.
 * - When every process is busy, requests wait in a bounded queue; a full queue refuses at once.
 * - A process that dies (a native crash, its memory bound, V8's heap limit) fails only the request it held and is
 *   replaced; processes that cannot even start three times in a row break the pool, which then refuses everything.
 * - A request whose run passes `runDeadlineMs` fails with `model_timeout` and its process is killed (SIGKILL) and
 *   replaced: a running ONNX Runtime run cannot be interrupted, and a model that loops for ever never returns.
 *   Killing frees the core at once; the worker threads this pool used before could only be abandoned, and ending
 *   one aborted the whole web process when its run returned (`terminate called after throwing Napi::Error`).
 * - `memoryBytes` bounds each process's memory (@batchcast/process-limits): a run asking for more fails, not the machine.
 * - A slow model cannot hold every other model's requests up: when every process is in a run of more than
 *   `slowRunMs` and a request of a model that is not slow waits, one reserve process starts beside them. It takes
 *   only requests of models whose runs are quick (a slow model waits for the processes it holds), and ends once
 *   idle for `reserveIdleMs`. So with `processes: 1` a model whose every run takes 30 s delays other models'
 *   requests by the reserve's start (a fraction of a second, once), not by its runs.
 */
import { beyondLimits } from './least-recently-used.js';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ColumnTarget, RecordBatch } from '@batchcast/csv';
import { limitedCommand } from '@batchcast/process-limits';
import { compact, fromWireError } from './pool-protocol.js';
import type { FromScorer, ScoreRequest, ToScorer } from './pool-protocol.js';
import type { BatchPredictions, ModelSchema } from './types.js';

export interface ScoringPoolOptions {
  /** Scoring processes; size to cores / processes (each run may use intraOpNumThreads more). */
  processes: number;
  /** ONNX Runtime threads per run inside each process. Default 1. */
  intraOpNumThreads?: number;
  /**
   * Requests that may wait for a process, counted apart for slow models and the others (so that a slow model's
   * requests cannot fill the line the reserve's are in); one more is refused with `queue_full`. Default 64.
   */
  maxQueue?: number;
  /**
   * How long a request may wait for a process before it is refused with `wait_timeout` (it would be answered
   * later than its caller waits; come back shortly). Default: no bound.
   */
  maxWaitMs?: number;
  /** Models each process keeps loaded; the least recently used is released beyond that. Default 8. */
  sessionsPerProcess?: number;
  /**
   * Bytes of model graphs each process keeps loaded, the least recently used released beyond them (a loaded model
   * takes 25-30 times its graph in memory); the model of the request at hand is kept whatever its size. Default: no bound.
   */
  graphBytesPerProcess?: number;
  /** Each process's memory bound (RLIMIT_DATA, where util-linux's prlimit is installed). Default: none. */
  memoryBytes?: number;
  /** Node.js options of each process (`--max-old-space-size=…`); `--expose-gc` is always given. */
  nodeFlags?: string[];
  /** The process's script; default the compiled scoring-process.js of this package. */
  script?: URL;
  /**
   * How long one request may run in its process (from the moment it is handed to it, loading the model included)
   * before it fails with `model_timeout` and the process is killed and replaced. Default: no deadline.
   */
  runDeadlineMs?: number;
  /**
   * A run longer than this (its model's loading not counted) makes its model slow for slowMemoryMs: slow models
   * may not use the reserve process, which starts when every process is held by a slow run and another model's
   * request waits. Default 1 s (a real-time request's run usually takes milliseconds).
   */
  slowRunMs?: number;
  /** How long the reserve process may stay idle before it ends (its memory given back). Default 60 s. */
  reserveIdleMs?: number;
  /**
   * How long a model stays slow after a slow run, whatever its runs in between (a model whose run time depends
   * on its rows, one row or 10,000, must not get its slow runs onto the reserve). Default 10 minutes.
   */
  slowMemoryMs?: number;
}

/** What the caller may add to a request: a signal to give it up while it waits (its client went away). */
export interface ScoreOptions {
  signal?: AbortSignal;
}

/** A model as the pool needs it: its identity, its schema, and where its prepared bytes come from. */
export interface PoolModel {
  sha256: string;
  schema: ModelSchema;
  /** Called when a process needs the model and no other load of it is under way; bytes are checked against sha256. */
  loadBytes: () => Promise<Uint8Array>;
}

export type ScoringPoolErrorCode =
  | 'queue_full'
  | 'wait_timeout'
  | 'abandoned'
  | 'closed'
  | 'process_crashed'
  | 'pool_broken'
  | 'model_timeout';

export class ScoringPoolError extends Error {
  constructor(
    readonly code: ScoringPoolErrorCode,
    message: string,
    /**
     * `process_crashed`: why the process ended (its last words, how it ended), for callers to word their own
     * message; `queue_full`: 'slow_model' when the line that is full is a slow model's.
     */
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'ScoringPoolError';
  }
}

export interface ScoringPoolStats {
  processes: number;
  busy: number;
  queued: number;
  /** Processes started to replace ones that died or were killed past the deadline. */
  restarts: number;
  /** Whether the reserve process (for quick models while slow runs hold the others) is running; counted in `processes`. */
  reserve: boolean;
  /** Models now held to be slow (a run longer than slowRunMs within slowMemoryMs). */
  slowModels: number;
}

interface Pending {
  model: PoolModel;
  batch: RecordBatch;
  targets: ColumnTarget[];
  resolve: (p: BatchPredictions) => void;
  reject: (e: Error) => void;
  /** Ends the wait (maxWaitMs, the caller's signal); called once the request leaves the queue. */
  stopWaiting: () => void;
}

interface Slot {
  child: ChildProcess;
  ready: boolean;
  /** The request this process is working on (or loading bytes for). */
  busy: (Pending & { id: number; handedAt: number }) | null;
  /** The models the process holds, least recently used first: each one's graph bytes. */
  loaded: Map<string, number>;
  /** The end of what the process wrote to stderr: why it died, when it does (V8's or ONNX Runtime's last words). */
  stderrTail: string;
  exited: boolean;
  /** Fails the request at hand once it has run past runDeadlineMs. */
  deadline: NodeJS.Timeout | null;
  /** The process started beside the others for quick models while slow runs hold them (see the file's comment). */
  reserve: boolean;
  /** The request at hand has run past slowRunMs. */
  slow: boolean;
  /** Marks the request at hand slow once it has run slowRunMs. */
  slowTimer: NodeJS.Timeout | null;
  /** Ends the idle reserve process after reserveIdleMs. */
  idleTimer: NodeJS.Timeout | null;
}

/** Resolved from src/ (tests, through vitest) and from dist/ alike: the compiled script is always in dist/. */
const DEFAULT_SCRIPT = new URL('../dist/scoring-process.js', import.meta.url);
const MAX_START_FAILURES = 3;
const CLOSE_GRACE_MS = 10_000;
// V8's fatal line comes before a native stack of 30 or more frames.
const STDERR_TAIL_CHARS = 16_000;
/** Models remembered as slow (their sha256s); beyond it the longest-remembered is forgotten. */
const SLOW_MODELS_REMEMBERED = 1_000;

export class ScoringPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly loads = new Map<string, Promise<Uint8Array>>();
  /** sha256s of models with a run (done or in progress) longer than slowRunMs: when it was last seen, oldest first. */
  private readonly slowModels = new Map<string, number>();
  private readonly opts: Required<Omit<ScoringPoolOptions, 'memoryBytes' | 'runDeadlineMs' | 'maxWaitMs'>> &
    Pick<ScoringPoolOptions, 'memoryBytes' | 'runDeadlineMs' | 'maxWaitMs'>;
  private nextId = 1;
  private started = false;
  private closing = false;
  private broken: Error | null = null;
  private startFailures = 0;
  private restarts = 0;
  private readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  /** Whether `memoryBytes` is enforced on this machine (prlimit found); false when no bound was asked for. */
  readonly memoryBounded: boolean;

  constructor(options: ScoringPoolOptions) {
    if (!Number.isInteger(options.processes) || options.processes < 1)
      throw new TypeError('ScoringPool: processes must be a positive integer.');
    this.opts = {
      intraOpNumThreads: 1,
      maxQueue: 64,
      sessionsPerProcess: 8,
      graphBytesPerProcess: Number.POSITIVE_INFINITY,
      nodeFlags: [],
      script: DEFAULT_SCRIPT,
      slowRunMs: 1_000,
      reserveIdleMs: 60_000,
      slowMemoryMs: 10 * 60_000,
      ...options,
    };
    if (!existsSync(fileURLToPath(this.opts.script))) {
      throw new Error(`ScoringPool: ${fileURLToPath(this.opts.script)} does not exist; build the workspace first (npx tsc -b).`);
    }
    this.memoryBounded = this.command().memoryBounded;
  }

  /**
   * Processes start with the first request (or ready()), not with the pool: each is a Node.js process with ONNX
   * Runtime loaded, tens of MB that a web process serving no real-time predictions should not carry.
   */
  private startProcesses(): void {
    if (this.started) return;
    this.started = true;
    for (let i = 0; i < this.opts.processes; i++) this.slots.push(this.start());
  }

  /**
   * Scores a batch in a scoring process: the same result, bit for bit, as ScoringSession.score here. A request
   * given up by its caller (`signal`) while it waits leaves the line; once handed to a process it runs to its end.
   */
  score(model: PoolModel, batch: RecordBatch, targets: ColumnTarget[], options: ScoreOptions = {}): Promise<BatchPredictions> {
    if (this.closing) return Promise.reject(new ScoringPoolError('closed', 'The scoring pool is closed.'));
    if (this.broken) return Promise.reject(this.brokenError());
    if (options.signal?.aborted) return Promise.reject(abandoned());
    const slow = this.isSlow(model.sha256);
    const waiting = this.queue.filter((p) => this.isSlow(p.model.sha256) === slow).length;
    if (waiting >= this.opts.maxQueue && !this.slots.some((s) => s.ready && !s.busy && this.mayTake(s, model))) {
      return Promise.reject(
        new ScoringPoolError(
          'queue_full',
          slow
            ? `${waiting} requests of this slow model (runs over ${formatDeadline(this.opts.slowRunMs)}) are waiting for a scoring process; try again later.`
            : `All ${this.slots.length} scoring processes are busy and ${this.queue.length} requests are waiting; try again shortly.`,
          slow ? 'slow_model' : undefined,
        ),
      );
    }
    this.startProcesses();
    const result = new Promise<BatchPredictions>((resolve, reject) => {
      const pending: Pending = { model, batch, targets, resolve, reject, stopWaiting: () => undefined };
      this.wait(pending, options.signal);
      this.queue.push(pending);
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

  /**
   * Bounds a queued request's wait: past maxWaitMs it is refused (`wait_timeout`), and when the caller's signal
   * fires it is given up (`abandoned`); either way it leaves the line. Both end once it is handed to a process.
   */
  private wait(pending: Pending, signal: AbortSignal | undefined): void {
    const leave = (error: ScoringPoolError) => {
      const i = this.queue.indexOf(pending);
      if (i < 0) return;
      this.queue.splice(i, 1);
      pending.stopWaiting();
      pending.reject(error);
    };
    const ms = this.opts.maxWaitMs;
    const timer =
      ms === undefined
        ? undefined
        : setTimeout(() => {
            const n = this.queue.length; // this one included
            leave(
              new ScoringPoolError(
                'wait_timeout',
                `No scoring process was free within ${formatDeadline(ms)} (${n} request${n === 1 ? ' was' : 's were'} waiting); try again shortly.`,
              ),
            );
          }, ms);
    const onAbort = () => leave(abandoned());
    signal?.addEventListener('abort', onAbort, { once: true });
    pending.stopWaiting = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
  }

  /** Starts the processes if no request has yet; resolves once every one has started, rejects if the pool broke instead. */
  ready(): Promise<void> {
    if (this.broken) return Promise.reject(this.brokenError());
    if (this.closing) return Promise.reject(new ScoringPoolError('closed', 'The scoring pool is closed.'));
    this.startProcesses();
    if (this.slots.every((s) => s.ready)) return Promise.resolve();
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  get stats(): ScoringPoolStats {
    return {
      processes: this.slots.length,
      busy: this.slots.filter((s) => s.busy).length,
      queued: this.queue.length,
      restarts: this.restarts,
      reserve: this.slots.some((s) => s.reserve),
      slowModels: [...this.slowModels.keys()].filter((sha) => this.isSlow(sha)).length,
    };
  }

  /** The process ids of the scoring processes now running (for tests and diagnostics). */
  get pids(): number[] {
    return this.slots.filter((s) => !s.exited && s.child.pid !== undefined).map((s) => s.child.pid!);
  }

  /** Refuses waiting requests, lets the ones in progress finish (for up to 10 s), then ends every process. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      for (const p of this.queue.splice(0)) {
        p.stopWaiting();
        p.reject(new ScoringPoolError('closed', 'The scoring pool was closed before this request ran.'));
      }
      for (const w of this.readyWaiters.splice(0)) w.reject(new ScoringPoolError('closed', 'The scoring pool was closed.'));
      this.closed = this.endProcesses();
    }
    return this.closed;
  }

  private closed: Promise<void> = Promise.resolve();

  private async endProcesses(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_GRACE_MS);
    });
    await Promise.race([Promise.allSettled([...this.inFlight]), grace]);
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.exited) return;
        const exited = new Promise<void>((resolve) => slot.child.once('close', () => resolve()));
        if (slot.child.connected) slot.child.send({ type: 'close' } satisfies ToScorer);
        await Promise.race([exited, grace]);
        // Still in a run past the grace: a process, unlike a thread, can be ended whatever it is doing.
        if (!slot.exited) {
          slot.child.kill('SIGKILL');
          await exited;
        }
      }),
    );
    clearTimeout(timer);
  }

  // --- processes ------------------------------------------------------------------------------------------

  private command() {
    const args = ['--expose-gc', ...this.opts.nodeFlags, fileURLToPath(this.opts.script)];
    return limitedCommand(process.execPath, args, {
      ...(this.opts.memoryBytes !== undefined ? { memoryBytes: this.opts.memoryBytes } : {}),
      dieWithParent: true,
    });
  }

  private start(reserve = false): Slot {
    const { file, args } = this.command();
    const child = spawn(file, args, {
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: { ...process.env, BATCHCAST_SCORER_INTRA_OP_THREADS: String(this.opts.intraOpNumThreads) },
    });
    const slot: Slot = {
      child,
      ready: false,
      busy: null,
      loaded: new Map(),
      stderrTail: '',
      exited: false,
      deadline: null,
      reserve,
      slow: false,
      slowTimer: null,
      idleTimer: null,
    };
    child.on('message', (m: FromScorer) => this.onMessage(slot, m));
    // What it writes (ONNX Runtime's own log lines) is the web process's stderr too; its end says why it died.
    child.stderr?.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      slot.stderrTail = (slot.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    child.on('error', (err) => {
      slot.stderrTail += `\n${err.message}`;
    });
    // 'close', not 'exit': its stderr is read to the end first, and with it the reason it died.
    child.on('close', (code, signal) => this.onExit(slot, code, signal));
    return slot;
  }

  private onMessage(slot: Slot, m: FromScorer): void {
    if (m.type === 'ready') {
      slot.ready = true;
      this.startFailures = 0;
      if (this.slots.every((s) => s.ready)) for (const w of this.readyWaiters.splice(0)) w.resolve();
      this.pump();
      return;
    }
    const job = slot.busy;
    if (!job || job.id !== m.id) return; // cannot happen: one request per process at a time
    if (m.type === 'loaded') {
      // Loading a model (seconds for a large one, once per process) is not its run: the run is timed from here.
      job.handedAt = performance.now();
      this.timeRun(slot, job.id, job.model.sha256);
      return;
    }
    slot.busy = null;
    this.clearDeadline(slot);
    this.ranFor(job.model.sha256, performance.now() - job.handedAt);
    if (m.type === 'result') {
      // The process scored a copy of the batch: rows the graph refused there fail on the caller's batch too.
      job.batch.errors.splice(0, job.batch.errors.length, ...m.errors);
      job.resolve(m.predictions);
    } else {
      if (!m.loaded) slot.loaded.delete(job.model.sha256);
      job.reject(fromWireError(m.error));
    }
    this.pump();
  }

  /**
   * Why a process ended: its last words on stderr (V8's "FATAL ERROR: … heap out of memory", a native
   * "terminate called …", an uncaught error), which come before a stack of frames, and how it ended.
   */
  private exitReason(slot: Slot, code: number | null, signal: NodeJS.Signals | null): string {
    const lines = slot.stderrTail
      .replace(/\x1b\[[0-9;]*m/g, '')
      .split('\n')
      .map((l) => l.trim());
    const words = lines.findLast((l) => /^(FATAL ERROR|terminate called|\w*Error\b)/.test(l));
    const how = signal ? `killed by ${signal}` : `exit code ${code}`;
    return words ? `${words} (${how})` : how;
  }

  private onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    slot.exited = true;
    this.clearDeadline(slot);
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    const why = this.exitReason(slot, code, signal);
    if (slot.busy) {
      slot.busy.reject(
        this.closing
          ? new ScoringPoolError('closed', 'The scoring pool was closed before this request ran.')
          : new ScoringPoolError(
              'process_crashed',
              `The scoring process died while scoring this batch: ${why}. The batch can be retried.`,
              why,
            ),
      );
      slot.busy = null;
    }
    if (this.closing) return;
    if (!slot.ready) {
      this.startFailures++;
      if (this.startFailures >= MAX_START_FAILURES) {
        this.broken = new Error(`scoring processes fail to start: ${why}`);
        for (const p of this.queue.splice(0)) {
          p.stopWaiting();
          p.reject(this.brokenError());
        }
        for (const w of this.readyWaiters.splice(0)) w.reject(this.brokenError());
        return;
      }
    }
    this.restarts++;
    this.replace(slot, index);
    this.pump();
  }

  /** A base process's slot gets a fresh process; the reserve's is dropped (it starts again when it is wanted). */
  private replace(slot: Slot, index: number): void {
    if (slot.reserve) this.slots.splice(index, 1);
    else this.slots[index] = this.start();
  }

  private brokenError(): ScoringPoolError {
    return new ScoringPoolError('pool_broken', `The scoring pool stopped: ${this.broken?.message ?? 'unknown error'}.`);
  }

  // --- dispatch -------------------------------------------------------------------------------------------

  /**
   * Hands waiting requests to idle processes, oldest request first, preferring a process that holds its model;
   * the reserve process takes only requests of models that are not slow. Then starts the reserve if it is wanted,
   * or lets an idle one end in time.
   */
  private pump(): void {
    while (this.queue.length > 0 && !this.closing) {
      const idle = this.slots.filter((s) => s.ready && !s.busy);
      if (idle.length === 0) break;
      let handed = false;
      for (const [i, next] of this.queue.entries()) {
        const fit = idle.filter((s) => this.mayTake(s, next.model));
        if (fit.length === 0) continue;
        const slot = fit.find((s) => s.loaded.has(next.model.sha256)) ?? fit.reduce((a, b) => (b.loaded.size < a.loaded.size ? b : a));
        this.queue.splice(i, 1);
        next.stopWaiting();
        void this.dispatch(slot, next);
        handed = true;
        break;
      }
      if (!handed) break;
    }
    if (this.closing || this.broken) return;
    this.startReserveIfWanted();
    for (const slot of this.slots) {
      if (slot.reserve && slot.ready && !slot.busy && !slot.idleTimer) {
        slot.idleTimer = setTimeout(() => this.endIdleReserve(slot), this.opts.reserveIdleMs);
        slot.idleTimer.unref();
      }
    }
  }

  /** Any process may take a request, but the reserve only one of a model that is not slow. */
  private mayTake(slot: Slot, model: PoolModel): boolean {
    return !slot.reserve || !this.isSlow(model.sha256);
  }

  /** The reserve starts when every process is in a slow run and a request of a model that is not slow waits. */
  private startReserveIfWanted(): void {
    if (this.slots.some((s) => s.reserve)) return;
    const held = this.slots.length > 0 && this.slots.every((s) => s.ready && s.busy && s.slow);
    if (!held || !this.queue.some((p) => !this.isSlow(p.model.sha256))) return;
    this.slots.push(this.start(true));
  }

  private endIdleReserve(slot: Slot): void {
    slot.idleTimer = null;
    const index = this.slots.indexOf(slot);
    if (index < 0 || slot.busy || slot.exited || this.closing) return;
    this.slots.splice(index, 1);
    if (slot.child.connected) slot.child.send({ type: 'close' } satisfies ToScorer);
  }

  private async dispatch(slot: Slot, job: Pending): Promise<void> {
    const id = this.nextId++;
    slot.busy = { ...job, id, handedAt: performance.now() };
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = null;
    const { sha256 } = job.model;
    let load: ScoreRequest['load'] = null;
    const evict: string[] = [];
    try {
      let graphBytes = slot.loaded.get(sha256);
      if (graphBytes !== undefined) {
        slot.loaded.delete(sha256); // most recently used last
      } else {
        load = { bytes: await this.bytes(job.model), schema: job.model.schema };
        if (slot.busy?.id !== id) return; // the process died while the bytes were loading; the request was failed
        graphBytes = load.bytes.length;
        // What the process's own cache will drop on loading it (session-cache.ts, the same limits).
        const limits = { models: this.opts.sessionsPerProcess, graphBytes: this.opts.graphBytesPerProcess };
        for (const oldest of beyondLimits(slot.loaded, limits, { models: 1, graphBytes })) {
          slot.loaded.delete(oldest);
          evict.push(oldest);
        }
      }
      slot.loaded.set(sha256, graphBytes);
      const message: ScoreRequest = {
        type: 'score',
        id,
        sha256,
        load,
        evict,
        firstRow: job.batch.firstRow,
        count: job.batch.count,
        data: job.batch.data.map(compact),
        targets: job.targets,
        errors: job.batch.errors,
        ...(job.batch.decimal ? { decimal: job.batch.decimal } : {}),
      };
      slot.child.send(message satisfies ToScorer);
      if (this.opts.runDeadlineMs !== undefined) {
        const ms = this.opts.runDeadlineMs;
        slot.deadline = setTimeout(() => this.kill(slot, id, ms), ms);
      }
      // A model the process must load first is timed once it says it has loaded it ('loaded').
      if (load === null) this.timeRun(slot, id, sha256);
    } catch (e) {
      if (slot.busy?.id === id) slot.busy = null;
      job.reject(e instanceof Error ? e : new Error(String(e)));
      this.pump();
    }
  }

  /** Marks the request at hand, and its model, slow once its run has taken slowRunMs. */
  private timeRun(slot: Slot, id: number, sha256: string): void {
    if (slot.slowTimer) clearTimeout(slot.slowTimer);
    slot.slowTimer = setTimeout(() => {
      slot.slowTimer = null;
      if (slot.busy?.id !== id) return;
      slot.slow = true;
      this.ranFor(sha256, this.opts.slowRunMs);
      this.pump();
    }, this.opts.slowRunMs);
  }

  private clearDeadline(slot: Slot): void {
    if (slot.deadline) clearTimeout(slot.deadline);
    if (slot.slowTimer) clearTimeout(slot.slowTimer);
    slot.deadline = null;
    slot.slowTimer = null;
    slot.slow = false;
  }

  /**
   * Remembers a slow run of a model (a slow model may not use the reserve process) for slowMemoryMs: a quick run
   * in between does not clear it, or a caller alternating one row and 10,000 would get the slow runs onto the reserve.
   */
  private ranFor(sha256: string, ms: number): void {
    if (ms < this.opts.slowRunMs) return;
    this.slowModels.delete(sha256); // most recently seen last
    this.slowModels.set(sha256, performance.now());
    if (this.slowModels.size > SLOW_MODELS_REMEMBERED) this.slowModels.delete(this.slowModels.keys().next().value!);
  }

  private isSlow(sha256: string): boolean {
    const seen = this.slowModels.get(sha256);
    return seen !== undefined && performance.now() - seen < this.opts.slowMemoryMs;
  }

  /**
   * Ends a process whose request `id` ran past the deadline: fails the request, puts a fresh process in its slot
   * at once and kills the old one. Replaced before it is killed: until its end is reported the old process would
   * look idle, and a request handed to it then failed as if its own model had crashed it.
   */
  private kill(slot: Slot, id: number, ms: number): void {
    slot.deadline = null;
    const job = slot.busy;
    const index = this.slots.indexOf(slot);
    if (!job || job.id !== id || slot.exited || index < 0) return;
    slot.busy = null;
    this.ranFor(job.model.sha256, ms);
    if (this.closing) this.slots.splice(index, 1);
    else {
      this.restarts++;
      this.replace(slot, index); // onExit of the old one finds it in no slot: nothing more to do
    }
    slot.child.kill('SIGKILL');
    job.reject(
      new ScoringPoolError(
        'model_timeout',
        `The model did not finish scoring these rows within ${formatDeadline(ms)}: the model is at fault (it computes for ever or for far too long, e.g. an ONNX Loop of a huge count), not the rows.`,
      ),
    );
    // A killed reserve is not replaced: what waited for it goes to the others, or makes it start again.
    this.pump();
  }

  /** A model's bytes, loaded once however many processes want them at the same time. */
  private bytes(model: PoolModel): Promise<Uint8Array> {
    const running = this.loads.get(model.sha256);
    if (running) return running;
    const loading = model.loadBytes().finally(() => this.loads.delete(model.sha256));
    this.loads.set(model.sha256, loading);
    return loading;
  }
}

const abandoned = () => new ScoringPoolError('abandoned', 'The caller gave this request up before a scoring process took it.');

/**
 * "10 minutes", "2.5 seconds": a deadline (PREDICT_DEADLINE_MS, CHUNK_DEADLINE_MS) as a person reads it, in every
 * message that names one (a real-time 504, a job failed by a stuck chunk, their log lines), so that the two say the
 * same setting the same way.
 */
export function formatDeadline(ms: number): string {
  const [amount, unit] = ms % 60_000 === 0 ? [ms / 60_000, 'minute'] : [Math.round(ms / 100) / 10, 'second'];
  return `${amount.toLocaleString('en-US')} ${unit}${amount === 1 ? '' : 's'}`;
}
