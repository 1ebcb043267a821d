/** Whether a server answered and let us in; `detail` says why not, in words for the start-up line. */
export interface ProbeResult {
  ok: boolean;
  detail: string;
  /** It answered but refused the login (a wrong user or password): waiting for it will not help. */
  refused?: boolean;
  /** It let us in but is set up in a way batchcast cannot run on (`detail` says how, and what to set). */
  unfit?: boolean;
}

export const PROBE_TIMEOUT_MS = 1_000;

/** host:port of a URL, for messages (never the password). */
export function addressOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.host || url;
  } catch {
    return url;
  }
}
