import type { Pool } from '@batchcast/db';
import type { Model } from '../records.js';

/**
 * Which version a model reference meant, for a second (real-time predictions: see resolveRecently in predict.ts).
 * The process that removes or registers a version forgets what it resolved at once (forgetResolvedModels);
 * another web process sees the change within a second.
 */
const RESOLVED_FOR_MS = 1_000;
/** Per database (a process may work with several: tests do). */
const resolvedIn = new WeakMap<Pool, Map<string, { model: Model; at: number }>>();

/** The version `ref` meant less than a second ago, if this process resolved it since the last change. */
export function recallResolved(pool: Pool, ref: string): Model | null {
  const hit = resolvedIn.get(pool)?.get(ref);
  return hit && Date.now() - hit.at < RESOLVED_FOR_MS ? hit.model : null;
}

export function rememberResolved(pool: Pool, ref: string, model: Model): void {
  let resolved = resolvedIn.get(pool);
  if (!resolved) {
    resolved = new Map();
    resolvedIn.set(pool, resolved);
  }
  if (resolved.size >= 1_000) resolved.clear(); // references are few; never let odd ones pile up
  resolved.set(ref, { model, at: Date.now() });
}

/** Drops what this process resolved for the database: a version was removed or registered. */
export function forgetResolvedModels(pool: Pool): void {
  resolvedIn.get(pool)?.clear();
}
