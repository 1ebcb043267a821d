import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Whether this process may create network namespaces (root with iproute2, and a kernel that allows it). */
export async function canCreateNamespaces(): Promise<{ ok: boolean; why: string }> {
  const probe = `bcprobe${process.pid}`;
  try {
    await run('ip', ['netns', 'add', probe]);
    await run('ip', ['netns', 'del', probe]);
    return { ok: true, why: '' };
  } catch (err) {
    return { ok: false, why: (err as Error).message.split('\n')[0]! };
  }
}

/**
 * A test host: a network namespace joined to the machine by a veth pair on its own /24. It has no default
 * route, so it reaches only the machine's address on its link (where the test puts proxies to PostgreSQL
 * and Redis), never another test host.
 */
export class TestHost {
  readonly ns: string;
  readonly hostIf: string;
  readonly nsIf: string;
  readonly hostAddress: string;
  readonly address: string;
  private procs: ChildProcess[] = [];

  constructor(name: string, subnet: number) {
    this.ns = `bc${name}${process.pid}`.slice(0, 15);
    this.hostIf = `bh${subnet}p${process.pid}`.slice(0, 15);
    this.nsIf = `bn${subnet}p${process.pid}`.slice(0, 15);
    this.hostAddress = `10.213.${subnet}.1`;
    this.address = `10.213.${subnet}.2`;
  }

  async create(): Promise<void> {
    await run('ip', ['netns', 'add', this.ns]);
    await run('ip', ['link', 'add', this.hostIf, 'type', 'veth', 'peer', 'name', this.nsIf]);
    await run('ip', ['link', 'set', this.nsIf, 'netns', this.ns]);
    await run('ip', ['addr', 'add', `${this.hostAddress}/24`, 'dev', this.hostIf]);
    await run('ip', ['link', 'set', this.hostIf, 'up']);
    await run('ip', ['netns', 'exec', this.ns, 'ip', 'addr', 'add', `${this.address}/24`, 'dev', this.nsIf]);
    await run('ip', ['netns', 'exec', this.ns, 'ip', 'link', 'set', this.nsIf, 'up']);
    await run('ip', ['netns', 'exec', this.ns, 'ip', 'link', 'set', 'lo', 'up']);
  }

  /** Starts a command inside the namespace. */
  spawn(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.ns, command, ...args], { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.push(child);
    return child;
  }

  /** Can this host open a TCP connection to address:port? (Checks the isolation.) */
  async canReach(address: string, port: number): Promise<boolean> {
    try {
      await run('ip', [
        'netns',
        'exec',
        this.ns,
        'node',
        '-e',
        `
        const s = require('net').connect(${port}, '${address}');
        s.setTimeout(1500, () => process.exit(1));
        s.on('connect', () => process.exit(0));
        s.on('error', () => process.exit(1));`,
      ]);
      return true;
    } catch {
      return false;
    }
  }

  async destroy(): Promise<void> {
    for (const p of this.procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    // Processes still in the namespace (grandchildren) are killed with it.
    await run('ip', ['netns', 'pids', this.ns])
      .then(({ stdout }) => {
        for (const pid of stdout.split('\n').filter(Boolean)) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // gone already
          }
        }
      })
      .catch(() => undefined);
    await run('ip', ['link', 'del', this.hostIf]).catch(() => undefined);
    await run('ip', ['netns', 'del', this.ns]).catch(() => undefined);
  }
}
