import { collectSoon } from './collect-soon.js';
import { sha256Hex } from './hash.js';
import { beyondLimits, type CacheLimits } from './least-recently-used.js';
import { ScoringSession, type SessionOptions } from './session.js';
import type { ModelSchema } from './types.js';

/** How many models a thread keeps loaded at most; the least recently used is dropped beyond that. */
export const SESSION_CACHE_SIZE = 16;

/**
 * What a thread's cache may hold: models, and bytes of their ONNX graphs. A loaded model takes far more memory
 * than its graph (a 25 MB random forest: about 770 MB resident with the forest evaluator, 630 MB with ONNX
 * Runtime), so a count alone let a thread that scored a few big models in turn keep gigabytes. The model just
 * loaded is kept whatever its size: it is the one being scored.
 */
export type SessionCacheLimits = CacheLimits;

let limits: SessionCacheLimits = { models: SESSION_CACHE_SIZE, graphBytes: Number.POSITIVE_INFINITY };

/** Sets this thread's limits (MODEL_CACHE_MB), once at its start; the cache is trimmed to them at once. */
export function limitSessionCache(next: Partial<SessionCacheLimits>): void {
  limits = { ...limits, ...next };
  trim(null);
}

interface Entry {
  loading: Promise<ScoringSession>;
  /** The graph's bytes once loaded (0 while loading). */
  graphBytes: number;
  /** Leases not yet given back: an entry dropped from the cache is released only once none is left. */
  users: number;
  dropped: boolean;
}

/** The thread-wide cache, least recently used first. */
const cache = new Map<string, Entry>();

/** A session lent to one use (a chunk, a request): give it back with `done()`, once, when the use ends. */
export interface SessionLease {
  readonly session: ScoringSession;
  done(): void;
}

function releaseIfUnused(entry: Entry): Promise<void> {
  if (!entry.dropped || entry.users > 0) return Promise.resolve();
  return entry.loading
    .then((s) => s.release())
    .then(collectSoon)
    .catch(() => undefined);
}

function drop(sha256: string, entry: Entry): Promise<void> {
  if (cache.get(sha256) === entry) cache.delete(sha256);
  entry.dropped = true;
  return releaseIfUnused(entry);
}

/** Drops the least recently used models until the cache is within its limits, never `keep`. */
function trim(keep: Entry | null): void {
  const sizes = [...cache].map(([sha256, e]) => [sha256, e.graphBytes] as [string, number]);
  // Never the model in hand, nor one still loading (its size is not known yet).
  const kept = (sha256: string) => cache.get(sha256) === keep || cache.get(sha256)!.graphBytes === 0;
  for (const sha256 of beyondLimits(sizes, limits, undefined, kept)) void drop(sha256, cache.get(sha256)!);
}

/**
 * Lends the thread-wide session of a model, loaded on first use. Concurrent callers share one load; a failed
 * load is not cached. The first caller's `opts` decide the session's threads. Bytes whose sha256 differs from
 * the key are refused: a session cached under the wrong key would score every later job with the wrong model.
 * A session the cache drops (beyond its limits) is released once every lease of it is given back, so its
 * native memory and its evaluator's WebAssembly memory go at once, not whenever a garbage collection finds it.
 */
export async function leaseSession(
  sha256: string,
  loadBytes: () => Promise<Uint8Array>,
  schema: ModelSchema,
  opts: SessionOptions,
): Promise<SessionLease> {
  let entry = cache.get(sha256);
  if (entry) {
    cache.delete(sha256);
    cache.set(sha256, entry); // most recently used last
  } else {
    const fresh: Entry = { loading: Promise.resolve(null as never), graphBytes: 0, users: 0, dropped: false };
    fresh.loading = (async () => {
      const bytes = await loadBytes();
      const actual = sha256Hex(bytes);
      if (actual !== sha256) throw new Error(`Model bytes have sha256 ${actual}, expected ${sha256}.`);
      const session = await ScoringSession.create(bytes, schema, opts);
      fresh.graphBytes = bytes.length;
      trim(fresh);
      return session;
    })();
    fresh.loading.catch(() => {
      if (cache.get(sha256) === fresh) cache.delete(sha256);
    });
    cache.set(sha256, fresh);
    entry = fresh;
  }
  const held = entry;
  held.users++;
  let session: ScoringSession;
  try {
    session = await held.loading;
  } catch (err) {
    held.users--;
    throw err;
  }
  let given = false;
  return {
    session,
    done() {
      if (given) return;
      given = true;
      held.users--;
      void releaseIfUnused(held);
    },
  };
}

/**
 * The thread-wide session of a model without a lease: released as soon as the cache drops it, in use or not.
 * For uses that no drop can overlap (tests, warming the cache); scoring takes a lease.
 */
export async function getSession(
  sha256: string,
  loadBytes: () => Promise<Uint8Array>,
  schema: ModelSchema,
  opts: SessionOptions,
): Promise<ScoringSession> {
  const lease = await leaseSession(sha256, loadBytes, schema, opts);
  lease.done();
  return lease.session;
}

/** Drops a model's session from the cache; resolves once it is released, or at once if leases of it are out. */
export async function evictSession(sha256: string): Promise<void> {
  const entry = cache.get(sha256);
  if (entry) await drop(sha256, entry);
}

/** Drops every cached session (worker shutdown, tests). */
export async function clearSessionCache(): Promise<void> {
  await Promise.all([...cache.keys()].map((k) => evictSession(k)));
}

/** What the cache holds, least recently used first (tests, logs). */
export function cachedSessions(): { sha256: string; graphBytes: number; users: number }[] {
  return [...cache].map(([sha256, e]) => ({ sha256, graphBytes: e.graphBytes, users: e.users }));
}
