/**
 * Which models a cache of loaded models lets go: the least recently used first, until it is within its limits of
 * models and graph bytes. Used by a thread's session cache (session-cache.ts) and by the real-time pool's account
 * of what each of its threads holds (scoring-pool.ts), which must agree with what the thread itself drops.
 */
export interface CacheLimits {
  models: number;
  graphBytes: number;
}

/**
 * The keys to drop from `entries` (key → graph bytes, least recently used first) so that what stays, plus
 * `coming` (a model about to be added, not among the entries), is within `limits`. Entries `kept` says must stay
 * (the model in hand, one still loading) are passed over.
 */
export function beyondLimits<K>(
  entries: Iterable<[K, number]>,
  limits: CacheLimits,
  coming: { models: number; graphBytes: number } = { models: 0, graphBytes: 0 },
  kept: (key: K) => boolean = () => false,
): K[] {
  const all = [...entries];
  let models = all.length + coming.models;
  let bytes = coming.graphBytes;
  for (const [, b] of all) bytes += b;
  const drop: K[] = [];
  for (const [key, b] of all) {
    if (models <= limits.models && bytes <= limits.graphBytes) break;
    if (kept(key)) continue;
    drop.push(key);
    models--;
    bytes -= b;
  }
  return drop;
}
