/**
 * `source` pulled on its own, up to `max` items ahead of whoever iterates the result: while the consumer
 * waits on something else (a blob group's COPY ending and committing), the items keep coming in instead of
 * the source being paused until it asks again. Memory is bounded by `max` items. The source's error reaches
 * the consumer after the items before it; a consumer that stops early stops the pulling (the source itself is
 * its owner's to destroy).
 */
export async function* readAhead<T>(source: AsyncIterable<T>, max: number): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  const queue: T[] = [];
  let ended = false;
  let failure: { error: unknown } | null = null;
  let stopped = false;
  let pulling: Promise<void> | null = null;
  let wake: (() => void) | null = null;

  const pull = async (): Promise<void> => {
    try {
      while (!stopped && queue.length < max) {
        const next = await it.next();
        if (next.done) {
          ended = true;
          break;
        }
        queue.push(next.value);
        wake?.();
      }
    } catch (err) {
      failure = { error: err };
    } finally {
      pulling = null;
      wake?.();
    }
  };

  try {
    for (;;) {
      if (!pulling && !ended && !failure && queue.length < max) pulling = pull();
      if (queue.length > 0) {
        yield queue.shift()!;
        continue;
      }
      if (failure) throw (failure as { error: unknown }).error;
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = null;
    }
  } finally {
    // A pull in flight settles on its own (it never rejects): waiting for it here could wait on a stalled
    // client for ever, before the caller gets to destroy the source.
    stopped = true;
  }
}
