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

/** ppid, comm and utime+stime (ticks) of a process, or null if it is gone. */
export function readStat(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' ');
    // after ") ": state(0) ppid(1) ... utime(11) stime(12) ... starttime(19)
    return { pid, comm, state: f[0], ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), start: f[19] };
  } catch {
    return null;
  }
}

const cmdCache = new Map();
/** A process's command line (cached per PID and start time: a PostgreSQL backend's title names its database). */
export function cmdline(pid, start = '') {
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
export function allProcs() {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** The descendants of rootPid (children, grandchildren...), with their command lines. */
export function descendants(rootPid, procs = allProcs()) {
  const byParent = new Map();
  for (const p of procs) {
    if (!byParent.has(p.ppid)) byParent.set(p.ppid, []);
    byParent.get(p.ppid).push(p);
  }
  const out = [];
  const walk = (pid) => {
    for (const child of byParent.get(pid) ?? []) {
      out.push({ ...child, cmd: cmdline(child.pid, child.start) });
      walk(child.pid);
    }
  };
  walk(rootPid);
  return out;
}

/** VmHWM (peak RSS) and VmRSS of a process in kB, or null if it is gone. */
export function readMemory(pid) {
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

/** Whether the process is running (not a zombie) and, when `start` is given, is still the same process (no PID reuse). */
export function isAlive(pid, start) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const s = readStat(pid);
  return s !== null && s.state !== 'Z' && (start === undefined || s.start === start);
}

/** Busy and total CPU ticks of the whole machine, from /proc/stat. */
export function machineTicks() {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = v;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/**
 * A snapshot of CPU time per process, each classified by `classify(proc)` into a kind ('web', 'worker',
 * 'postgres', 'other', ...). Two snapshots give the CPU seconds each kind used in between.
 */
export function cpuSnapshot(classify) {
  const at = performance.now();
  const machine = machineTicks();
  const procs = new Map();
  for (const p of allProcs()) procs.set(p.pid, { kind: classify(p), ticks: p.ticks, comm: p.comm, start: p.start });
  return { at, machine, procs };
}

/** CPU seconds per kind between two snapshots; `unattributed` is CPU of processes that ended in between. */
export function cpuDiff(a, b) {
  const wall = (b.at - a.at) / 1000;
  const kinds = {};
  const others = new Map();
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
  return {
    wall,
    machineBusy: busy,
    kinds,
    unattributed: Math.max(0, busy - attributed / CLK_TCK),
    topOthers,
  };
}
