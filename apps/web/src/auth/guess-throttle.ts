/**
 * Counts wrong secrets (admin tokens) per client address and refuses that client for a while once it has
 * made too many: guessing a token must cost hours, not milliseconds. While a client is refused even a right
 * token is refused, so the answer never tells it which guess was right. In-process memory, like the request
 * rate limits: right for the one web process `npm start` runs.
 */
export class GuessThrottle {
  private readonly failures = new Map<string, number[]>();
  private static readonly MAX_CLIENTS = 10_000;

  constructor(
    private readonly limit: number,
    private readonly windowMs = 15 * 60_000,
  ) {}

  /** Seconds until `client` may try again, or null when it may try now. */
  retryAfter(client: string, now = Date.now()): number | null {
    const recent = this.recent(client, now);
    if (recent.length < this.limit) return null;
    return Math.max(1, Math.ceil((recent[0]! + this.windowMs - now) / 1000));
  }

  fail(client: string, now = Date.now()): void {
    const recent = this.recent(client, now);
    recent.push(now);
    this.failures.delete(client);
    this.failures.set(client, recent);
    // Bounded memory: the clients seen longest ago are forgotten first (Map keeps insertion order).
    while (this.failures.size > GuessThrottle.MAX_CLIENTS) this.failures.delete(this.failures.keys().next().value!);
  }

  private recent(client: string, now: number): number[] {
    const list = this.failures.get(client) ?? [];
    const kept = list.filter((t) => now - t < this.windowMs);
    if (kept.length !== list.length) this.failures.set(client, kept);
    return kept;
  }
}

const throttles = new Map<number, GuessThrottle>();
/** The process's throttle of wrong admin tokens (one per limit, so apps built by tests share nothing stale). */
export function adminGuesses(limit: number): GuessThrottle {
  let t = throttles.get(limit);
  if (!t) {
    t = new GuessThrottle(limit);
    throttles.set(limit, t);
  }
  return t;
}
