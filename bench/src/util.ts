import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const outDir = path.join(repoRoot, 'bench', 'out');
export const examplesDir = path.join(repoRoot, 'examples');

/** Same defaults as test/support/platform.ts (the server's `postgres` database is the admin connection). */
export const PG_BASE = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_BASE = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const now = (): number => performance.now();

export { freePort } from '@batchcast/runtime';

/** Nearest-rank percentile of numbers (p in 0..1). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** Median of numbers (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function databaseUrl(dbName: string): string {
  const u = new URL(PG_BASE);
  u.pathname = `/${dbName}`;
  return u.toString();
}

export const fmt = {
  s: (x: number): string => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : 'n/a'),
  ms: (x: number): string => (Number.isFinite(x) ? x.toFixed(x < 100 ? 1 : 0) : 'n/a'),
  rate: (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a'),
  mb: (kb: number): string => (Number.isFinite(kb) ? (kb / 1024).toFixed(0) : 'n/a'),
  int: (x: number): string => Math.round(x).toLocaleString('en-US'),
  x: (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a'),
  /**
   * A ratio judged against `target`, with as many decimals as it takes not to print as the target when it is not
   * it: 4.998 printed "5.00×" beside a ✗ read as a mistake of the bench, not as a miss by a hair.
   */
  xAgainst: (x: number, target: number): string => {
    if (!Number.isFinite(x)) return 'n/a';
    let digits = 2;
    while (digits < 6 && x !== target && Number(x.toFixed(digits)) === target) digits++;
    return `${x.toFixed(digits)}×`;
  },
  /** Several times in seconds, as `fmt.s` prints each: "2.33, 2.36, 2.69". */
  sList: (xs: readonly number[]): string => xs.map((x) => fmt.s(x)).join(', '),
};

export interface BusyProcess {
  pid: number;
  cpu: number;
  command: string;
}

/** The busiest processes right now according to `top -bn1` (a noise indicator), excluding `skipPids`. */
export function busyProcesses(skipPids: Set<number> = new Set(), minCpu = 10): { load: string; busy: BusyProcess[] } {
  try {
    const out = execFileSync('top', ['-bn1', '-w', '200'], { encoding: 'utf8', timeout: 5000 });
    const lines = out.split('\n');
    const head = lines.findIndex((l) => /^\s*PID\s+USER/.test(l));
    const load = /load average:\s*([\d.,\s]+)/.exec(out)?.[1]?.trim() ?? '';
    const busy: BusyProcess[] = [];
    for (const l of lines.slice(head + 1)) {
      const f = l.trim().split(/\s+/);
      if (f.length < 12) continue;
      const pid = Number(f[0]);
      const cpu = Number(f[8]);
      if (cpu >= minCpu && !skipPids.has(pid)) busy.push({ pid, cpu, command: f.slice(11).join(' ') });
    }
    return { load, busy };
  } catch {
    return { load: '', busy: [] };
  }
}

/** The message of anything thrown. */
export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
