import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

const hasProc = process.platform === 'linux';

/**
 * Whether `pid` names a running process. EPERM means "exists, but belongs to another user" (a postgres
 * server seen by a non-root user), so it counts as alive; a zombie waiting to be reaped does not.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!hasProc) return true;
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

interface ProcStat {
  state: string;
  startTime: string;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: fields are counted after it.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', startTime: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

let bootId: string | undefined;

/**
 * A string that names one process for its whole life and never another one: the boot plus the start time
 * on Linux, the start time from `ps` elsewhere. A pid alone is reused (after a reboot it often is), so a
 * lock or pid file that only kept the pid could take a stranger for its owner.
 */
export function processStartIdentity(pid: number): string | undefined {
  if (hasProc) {
    const stat = readStat(pid);
    if (!stat) return undefined;
    bootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return `${bootId}:${stat.startTime}`;
  }
  const ps = spawnSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8' });
  const started = ps.status === 0 ? ps.stdout.trim() : '';
  return started === '' ? undefined : started;
}

/** The start time field of /proc/<pid>/stat (what the watchdog compares before it signals), '' off Linux. */
export function procStartTime(pid: number): string {
  return readStat(pid)?.startTime ?? '';
}

/** The working directory of a process (PostgreSQL and Redis both chdir into their data directory); Linux only. */
export function processCwd(pid: number): string | undefined {
  if (!hasProc) return undefined;
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/** The command line of a process, arguments joined by spaces. */
export function processCommand(pid: number): string | undefined {
  if (hasProc) {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      return undefined;
    }
  }
  const ps = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
  return ps.status === 0 ? ps.stdout.trim() : undefined;
}

/**
 * Whether `pid` is a server working in `dir`: its working directory is `dir` (Linux), or, where that
 * cannot be read, its command line names one of `commandNames`.
 */
export function isServerOf(pid: number, dir: string, commandNames: string[]): boolean {
  if (!isProcessAlive(pid)) return false;
  const cwd = processCwd(pid);
  if (cwd !== undefined) return cwd === dir;
  const command = processCommand(pid) ?? '';
  return commandNames.some((name) => command.includes(name));
}

/**
 * Every process whose working directory is inside `dir` or whose command line mentions it (servers,
 * their backends, our watchdogs): what must be gone once the platform has stopped. Linux only ([] elsewhere).
 */
export function processesUsingDir(dir: string): number[] {
  if (!hasProc) return [];
  const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const cwd = processCwd(pid);
    const command = processCommand(pid) ?? '';
    if (cwd === dir || cwd?.startsWith(prefix) || mentions(command, dir)) {
      if (isProcessAlive(pid)) found.push(pid);
    }
  }
  return found;
}

/** Whether a command line names `dir` or a path in it (not merely a longer name that starts the same). */
function mentions(command: string, dir: string): boolean {
  for (let at = command.indexOf(dir); at >= 0; at = command.indexOf(dir, at + 1)) {
    const next = command[at + dir.length];
    if (next === undefined || next === ' ' || next === path.sep) return true;
  }
  return false;
}

/** Waits until `pid` is gone (for processes that are not our children, so no 'exit' event); true if it went. */
export async function waitForProcessExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

/** Sends `signal` if the process still exists; a process that is already gone is not an error. */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
