import { withTransactionPool } from '@batchcast/db';
import type { Logger } from '@batchcast/log';
import type { JobsContext, WorkQueue } from './context.js';

/** What a unit's log says of what it did ("job submitted"): written once that is committed, not if it is not. */
const SAYS_WHAT_WAS_DONE = new Set(['info', 'debug', 'trace']);

/**
 * `log` with its lines of what was done held until the unit commits (and dropped if it does not), in order;
 * warnings and errors are written at once, as they are about what went wrong, committed or not. Children keep
 * holding theirs in the same list.
 */
function loggedAfterCommit(log: Logger, lines: (() => void)[]): Logger {
  return new Proxy(log, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (name === 'child' && typeof value === 'function')
        return (...args: unknown[]) => loggedAfterCommit((value as (...a: unknown[]) => Logger).apply(target, args), lines);
      if (typeof name === 'string' && SAYS_WHAT_WAS_DONE.has(name) && typeof value === 'function')
        return (...args: unknown[]) => {
          lines.push(() => (value as (...a: unknown[]) => void).apply(target, args));
        };
      return value;
    },
  });
}

/**
 * Runs domain code as one unit: `fn` gets a context whose PostgreSQL writes make one transaction (committed
 * when it returns, rolled back if it throws or the process dies first) and whose queue work waits for that
 * commit. Queued first, a worker could take a job whose row is not committed yet (and find nothing, for
 * good) or whose row is then rolled back; queued after, a process that dies between the commit and the
 * queue leaves the work to the reconciler, as a Redis outage does (each domain function already counts on
 * that). Its log's lines of what it did wait for the commit too. What fn answers is what was committed.
 */
export async function inUnitOfWork<T>(ctx: JobsContext, fn: (unit: JobsContext) => Promise<T>): Promise<T> {
  const afterCommit: { what: string; send: () => Promise<unknown> }[] = [];
  const lines: (() => void)[] = [];
  const result = await withTransactionPool(ctx.pool, (pool) =>
    fn({ ...ctx, pool, queue: queuedAfterCommit(ctx.queue, afterCommit), log: loggedAfterCommit(ctx.log, lines) }),
  );
  for (const line of lines) line();
  for (const { what, send } of afterCommit) {
    await send().catch((err: unknown) =>
      ctx.log.warn({ err: (err as Error).message, what }, 'could not queue work after its transaction; the reconciler will'),
    );
  }
  return result;
}

/**
 * `queue` with what changes it held until the unit commits (the calls answer at once), and what reads it
 * asked now. Removing a schedule's timer answers whether there was one, which a held call cannot: a unit
 * of work has no use for it, and is refused it.
 */
function queuedAfterCommit(queue: WorkQueue, afterCommit: { what: string; send: () => Promise<unknown> }[]): WorkQueue {
  const later = (what: string, send: () => Promise<unknown>): Promise<void> => {
    afterCommit.push({ what, send });
    return Promise.resolve();
  };
  return {
    enqueueScoring: (jobId, chunks) => later('enqueueScoring', () => queue.enqueueScoring(jobId, chunks)),
    startScoringWhileReceiving: (jobId, chunks) =>
      later('startScoringWhileReceiving', () => queue.startScoringWhileReceiving(jobId, chunks)),
    addReceivedChunks: (jobId, chunks) => later('addReceivedChunks', () => queue.addReceivedChunks(jobId, chunks)),
    openUploadGate: (jobId) => later('openUploadGate', () => queue.openUploadGate(jobId)),
    uploadGateClosed: (jobId) => queue.uploadGateClosed(jobId),
    dropScoringWhileReceiving: (jobId, chunks) => later('dropScoringWhileReceiving', () => queue.dropScoringWhileReceiving(jobId, chunks)),
    enqueueEmail: (jobId) => later('enqueueEmail', () => queue.enqueueEmail(jobId)),
    enqueueLinks: (requestId) => later('enqueueLinks', () => queue.enqueueLinks(requestId)),
    scoringState: (jobId) => queue.scoringState(jobId),
    retryScoring: (jobId) => later('retryScoring', () => queue.retryScoring(jobId)),
    hasEmail: (jobId) => queue.hasEmail(jobId),
    enqueueDelivery: (deliveryId, generation, delayMs) =>
      later('enqueueDelivery', () => queue.enqueueDelivery(deliveryId, generation, delayMs)),
    deliveryState: (deliveryId, generation) => queue.deliveryState(deliveryId, generation),
    retryDelivery: (deliveryId, generation) => later('retryDelivery', () => queue.retryDelivery(deliveryId, generation)),
    upsertScheduleTimer: (timer) => later('upsertScheduleTimer', () => queue.upsertScheduleTimer(timer)),
    removeScheduleTimer: () => Promise.reject(new Error('a unit of work cannot remove a schedule timer: it answers only after the commit')),
    listScheduleTimers: () => queue.listScheduleTimers(),
  };
}
