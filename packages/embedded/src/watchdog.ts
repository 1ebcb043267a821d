import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { procStartTime } from './process-info.js';
import type { StopStep } from './stop-steps.js';

/**
 * Stops a server when the process that started it dies, however it dies (SIGKILL and OOM included).
 *
 * Node has no prctl(PR_SET_PDEATHSIG), and the servers run in their own session (so a Ctrl-C in the
 * terminal reaches the platform, which stops its workers first, and not the database under them). So a
 * tiny `sh` sits beside each server reading a pipe whose other end only we hold: the kernel closes that
 * end when we exit for any reason, `read` sees end-of-file, and the watchdog runs the server's bounded
 * shutdown. Before each signal it checks the pid still has the start time it had (with shell builtins
 * only: it runs when the machine may be busy), so a pid reused by another program is never signalled. On a normal stop we SIGKILL the watchdog ourselves, after the
 * server has exited. Its argv carries the data directory, so leftovers can be found by directory.
 */
const script = `trap '' INT HUP
pid=$1; start=$2; shift 2
while read -r _; do :; done
same() {
  kill -0 "$pid" 2>/dev/null || return 1
  [ -n "$start" ] && [ -r "/proc/$pid/stat" ] || return 0
  read -r stat < "/proc/$pid/stat" || return 1
  set -- \${stat##*) }
  shift 19
  [ "$1" = "$start" ]
}
for step in "$@"; do
  same || exit 0
  kill -s "\${step%:*}" "$pid" 2>/dev/null
  n=0; limit=$(( \${step#*:} / 100 ))
  while [ "$n" -lt "$limit" ]; do same || exit 0; sleep 0.1; n=$((n + 1)); done
done
same && kill -s KILL "$pid"
exit 0
`;

export interface Watchdog {
  pid: number;
  /** The server exited or was stopped by us: the watchdog has nothing left to do. Resolves once it is gone. */
  release(): Promise<void>;
}

export function startWatchdog(serverPid: number, steps: StopStep[], label: string): Watchdog {
  const child = spawn(
    '/bin/sh',
    ['-c', script, `batchcast-watchdog ${label}`, String(serverPid), procStartTime(serverPid), ...steps.map(stepArg)],
    { stdio: ['pipe', 'ignore', 'ignore'], detached: true },
  );
  // Neither the watchdog nor its pipe may keep the platform's event loop alive.
  child.unref();
  (child.stdin as Socket | null)?.unref();
  child.stdin?.on('error', () => {});
  const gone = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  return {
    pid: child.pid ?? -1,
    release() {
      if (child.exitCode === null && child.signalCode === null) {
        // Whoever awaits this must not see the event loop run dry first (node would exit mid-await).
        child.ref();
        child.kill('SIGKILL');
      }
      return gone;
    },
  };
}

function stepArg(step: StopStep): string {
  return `${step.signal.replace(/^SIG/, '')}:${step.waitMs}`;
}
