/**
 * How a ScoringPool starts one scoring process: `node <flags> scoring-process.js`, wrapped (where util-linux is
 * installed, as on Debian and in our image) so that
 * - its memory is bounded (`prlimit --data`: RLIMIT_DATA, which counts the heap, mmap'd arenas and ONNX Runtime's
 *   tensors, but not address space merely reserved): a model run that asks for more fails with ONNX Runtime's
 *   "Failed to allocate memory" (the row fails saying so) instead of taking the machine's memory;
 * - it is killed with its parent (`setpriv --pdeathsig KILL`): a process stuck in a model run never reads the
 *   IPC channel's end, and would otherwise outlive a web process that was killed.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface ScorerCommand {
  file: string;
  args: string[];
  /** Whether the memory bound asked for is enforced (prlimit found). */
  memoryBounded: boolean;
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

export function scorerCommand(script: string, nodeFlags: string[], memoryBytes: number | undefined): ScorerCommand {
  let file = process.execPath;
  let args = [...nodeFlags, script];
  let memoryBounded = false;
  const prlimit = memoryBytes === undefined || process.platform !== 'linux' ? null : findExecutable('prlimit');
  if (prlimit) {
    args = [`--data=${memoryBytes}`, '--', file, ...args];
    file = prlimit;
    memoryBounded = true;
  }
  const setpriv = process.platform === 'linux' ? findExecutable('setpriv') : null;
  if (setpriv) {
    args = ['--pdeathsig', 'KILL', '--', file, ...args];
    file = setpriv;
  }
  return { file, args, memoryBounded };
}
