// /proc helpers: process trees (the way test/support/platform.ts finds worker PIDs), memory and CPU accounting.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // getconf missing: 100 is the Linux default
}
export const CLK_TCK = clkTck;

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** utime and stime apart, in clock ticks. */
  userTicks: number;
  systemTicks: number;
  /** Start time since boot (ticks, as text): with the PID, identifies a process even after its PID is reused. */
  start: string;
}

/** ppid, comm and utime+stime (ticks) of a process, or null if it is gone. */
export function readStat(pid: number): ProcStat | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' ');
    // after ") ": state(0) ppid(1) ... utime(11) stime(12) ... starttime(19)
    const userTicks = Number(f[11]);
    const systemTicks = Number(f[12]);
    return { pid, comm, state: f[0] ?? '', ppid: Number(f[1]), ticks: userTicks + systemTicks, userTicks, systemTicks, start: f[19] ?? '' };
  } catch {
    return null;
  }
}

/** A process's user and system CPU so far, in seconds, or null if it is gone. */
export function readUserSystemSeconds(pid: number): { user: number; system: number } | null {
  const s = readStat(pid);
  return s && { user: s.userTicks / CLK_TCK, system: s.systemTicks / CLK_TCK };
}

const cmdCache = new Map<string, string>();
/** A process's command line (cached per PID and start time: a PostgreSQL backend's title names its database). */
export function cmdline(pid: number, start = ''): string {
  const key = `${pid}:${start}`;
  const cached = cmdCache.get(key);
  if (cached !== undefined) return cached;
  let cmd = '';
  try {
    cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
  // Only cache non-empty command lines (a process being exec'd may briefly show none).
  if (cmd) cmdCache.set(key, cmd);
  return cmd;
}

/** Every process visible in /proc, with its stat. */
export function allProcs(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** The descendants of rootPid (children, grandchildren...), with their command lines. */
export function descendants(rootPid: number, procs: ProcStat[] = allProcs()): (ProcStat & { cmd: string })[] {
  const byParent = new Map<number, ProcStat[]>();
  for (const p of procs) {
    const list = byParent.get(p.ppid) ?? [];
    list.push(p);
    byParent.set(p.ppid, list);
  }
  const out: (ProcStat & { cmd: string })[] = [];
  const walk = (pid: number): void => {
    for (const child of byParent.get(pid) ?? []) {
      out.push({ ...child, cmd: cmdline(child.pid, child.start) });
      walk(child.pid);
    }
  };
  walk(rootPid);
  return out;
}

/** VmHWM (peak RSS) and VmRSS of a process in kB, or null if it is gone. */
export function readMemory(pid: number): { hwmKb: number; rssKb: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    if (!hwm || !rss) return null; // a zombie has no memory lines
    return { hwmKb: Number(hwm[1]), rssKb: Number(rss[1]) };
  } catch {
    return null;
  }
}

/** A process's proportional set size in kB (its private pages, and each shared page divided by its sharers), or null. */
export function readPssKb(pid: number): number | null {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Whether the process is running (not a zombie) and, when `start` is given, is still the same process (no PID reuse). */
export function isAlive(pid: number, start?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const s = readStat(pid);
  return s !== null && s.state !== 'Z' && (start === undefined || s.start === start);
}

/** Busy and total CPU ticks of the whole machine, from /proc/stat. */
export function machineTicks(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** Classifies a process into a kind ('web', 'worker', 'postgres', 'other', ...) for CPU accounting. */
export type Classifier = (p: ProcStat) => string;

/**
 * Every process on the machine, for CPU accounting during one phase: the measured tree's own processes by
 * `own` (PID -> kind), the bench and its upload client, the PostgreSQL backends of the measured database
 * (`dbName`, as `dbKind`), PostgreSQL's shared background processes, Redis, and everything else as 'other'
 * (what foreignCores counts, with other databases' backends, as load from elsewhere).
 */
export function processClassifier({
  own,
  dbName = null,
  dbKind = 'postgres',
}: {
  own: ReadonlyMap<number, string>;
  dbName?: string | null;
  dbKind?: string;
}): Classifier {
  return (p) => {
    // The bench and its upload client (curl; once it has ended its CPU shows as "ended processes").
    if (p.pid === process.pid || p.comm === 'curl') return 'bench';
    const kind = own.get(p.pid);
    if (kind) return kind;
    if (p.comm === 'postgres') {
      const cmd = cmdline(p.pid, p.start);
      if (dbName && cmd.includes(dbName)) return dbKind;
      if (/\(\d+\)|\[local\]/.test(cmd)) return 'other-postgres'; // a backend of some other database/client
      return 'postgres-bg'; // postmaster, checkpointer, WAL writer...: shared by everyone
    }
    if (p.comm === 'redis-server') return 'redis';
    return 'other';
  };
}

export interface CpuSnapshot {
  at: number;
  machine: { busy: number; total: number };
  procs: Map<number, { kind: string; ticks: number; comm: string; start: string }>;
}

/** A snapshot of CPU time per process, each classified by `classify`. Two snapshots give the CPU seconds each kind used in between. */
export function cpuSnapshot(classify: Classifier): CpuSnapshot {
  const at = performance.now();
  const machine = machineTicks();
  const procs: CpuSnapshot['procs'] = new Map();
  for (const p of allProcs()) procs.set(p.pid, { kind: classify(p), ticks: p.ticks, comm: p.comm, start: p.start });
  return { at, machine, procs };
}

export interface CpuDiff {
  wall: number;
  machineBusy: number;
  /** CPU seconds per kind. */
  kinds: Record<string, number>;
  /** CPU of processes that ended in between (not attributable). */
  unattributed: number;
  topOthers: [string, number][];
}

/** CPU seconds per kind between two snapshots; `unattributed` is CPU of processes that ended in between. */
export function cpuDiff(a: CpuSnapshot, b: CpuSnapshot): CpuDiff {
  const wall = (b.at - a.at) / 1000;
  const kinds: Record<string, number> = {};
  const others = new Map<string, number>();
  let attributed = 0;
  for (const [pid, p] of b.procs) {
    const before = a.procs.get(pid);
    const d = p.ticks - (before && before.start === p.start ? before.ticks : 0);
    if (d <= 0) continue;
    kinds[p.kind] = (kinds[p.kind] ?? 0) + d / CLK_TCK;
    attributed += d;
    if (p.kind.startsWith('other')) others.set(p.comm, (others.get(p.comm) ?? 0) + d / CLK_TCK);
  }
  const busy = (b.machine.busy - a.machine.busy) / CLK_TCK;
  const topOthers = [...others].sort((x, y) => y[1] - x[1]).slice(0, 4);
  return { wall, machineBusy: busy, kinds, unattributed: Math.max(0, busy - attributed / CLK_TCK), topOthers };
}

/** CPU seconds (user + system) of this process so far, all its threads included. */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
