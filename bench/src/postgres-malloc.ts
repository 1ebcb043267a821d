import { readFileSync } from 'node:fs';
import type pg from 'pg';

/**
 * How the PostgreSQL server the bench measures sets glibc's malloc, as its backends' environment says: the
 * `BLOB_STORE=postgres` figure depends on it (a 1 MiB piece is mapped and faulted in afresh by every backend
 * writing it under glibc's defaults; docs/operations.md, "PostgreSQL for BLOB_STORE=postgres"), and it is a
 * setting of the server, not of batchcast. Read from /proc, so only for a server on this host: the backend
 * serving `client` is found by its pid and checked by its command line, which names the client's own port
 * (a server in a container of its own has other pids). The environment is its postmaster's (the backend's
 * parent): a backend writes its process title over the memory /proc shows as its environment.
 */
export async function postgresMalloc(client: pg.Client): Promise<string> {
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
  const localPort = (client as unknown as { connection?: { stream?: { localPort?: number } } }).connection?.stream?.localPort;
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (localPort === undefined || !command.includes(`(${localPort})`)) return 'unknown (not a server on this host)';
    // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const postmaster = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
    const settings = readFileSync(`/proc/${postmaster}/environ`, 'utf8')
      .split('\0')
      .filter((v) => /^(MALLOC_[A-Z_]+|GLIBC_TUNABLES)=/.test(v));
    return settings.length > 0 ? settings.join(' ') : "glibc's defaults";
  } catch (err) {
    return `unknown (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`;
  }
}
