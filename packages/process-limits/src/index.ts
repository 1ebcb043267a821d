/**
 * How batchcast starts a process that runs models (a real-time scoring process, the worker process): the command,
 * wrapped (where util-linux is installed, as on Debian and in our image) so that
 * - its memory is bounded (`prlimit --data`: RLIMIT_DATA, which counts the heap, mmap'd arenas and ONNX Runtime's
 *   tensors, but not address space merely reserved): a model run that asks for more fails with ONNX Runtime's
 *   "Failed to allocate memory" (the row fails saying so) instead of taking the machine's memory;
 * - it is killed with its parent (`setpriv --pdeathsig KILL`), when asked: a process stuck in a model run never
 *   reads its IPC channel's end, and would otherwise outlive a parent that was killed.
 * Both only lower the process's own limits: no privilege is needed, in a container either.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface LimitedCommand {
  file: string;
  args: string[];
  /** Whether the memory bound asked for is enforced (prlimit found); false when none was asked for. */
  memoryBounded: boolean;
}

export interface Limits {
  /** RLIMIT_DATA of the process, in bytes. */
  memoryBytes?: number;
  /** SIGKILL the process when the process starting it ends. */
  dieWithParent?: boolean;
}

/** An executable on PATH (or in /usr/bin, /bin), or null. */
export function findExecutable(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** `file args…` with the limits put on it, as far as this machine has the tools. */
export function limitedCommand(file: string, args: string[], limits: Limits): LimitedCommand {
  let memoryBounded = false;
  const linux = process.platform === 'linux';
  const prlimit = limits.memoryBytes === undefined || !linux ? null : findExecutable('prlimit');
  if (prlimit) {
    args = [`--data=${limits.memoryBytes}`, '--', file, ...args];
    file = prlimit;
    memoryBounded = true;
  }
  const setpriv = limits.dieWithParent && linux ? findExecutable('setpriv') : null;
  if (setpriv) {
    args = ['--pdeathsig', 'KILL', '--', file, ...args];
    file = setpriv;
  }
  return { file, args, memoryBounded };
}
