import { mkdir, readFile, stat, unlink, utimes, writeFile, link } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '@batchcast/log';
import { isProcessAlive, processStartIdentity } from './process-info.js';

/** Who runs the embedded servers of a DATA_DIR: written by the process that started them. */
export interface DataDirOwner {
  hostname: string;
  pid: number;
  /** Tells this pid's process from a later one that got the same pid (see processStartIdentity). */
  processStart?: string;
  startedAt: string;
}

export type OwnerStatus =
  /** This very process holds the lock. */
  | 'this-process'
  /** A live process on this host holds it. */
  | 'running-here'
  /** A process on another host holds it and refreshed it lately. */
  | 'running-elsewhere'
  /** Its owner is gone: dead on this host, or silent for longer than STALE_AFTER_MS on another host. */
  | 'stale';

export interface OwnerState {
  owner: DataDirOwner;
  status: OwnerStatus;
  heartbeatAgeMs: number;
  lockFile: string;
}

/** The owner touches the lock this often, so that other hosts (which cannot see its pid) can tell it lives. */
export const HEARTBEAT_MS = 10_000;
/** A lock from another host not touched for this long belongs to a host that is gone (crashed, container recreated). */
export const STALE_AFTER_MS = 60_000;

export function lockFilePath(dataDir: string): string {
  return path.join(path.resolve(dataDir), 'embedded', 'owner.json');
}

/** Refused: the DATA_DIR's embedded servers are run by another process, maybe on another host. */
export class EmbeddedInUseError extends Error {
  constructor(
    readonly state: OwnerState,
    dataDir: string,
  ) {
    super(describeOwner(state, dataDir));
    this.name = 'EmbeddedInUseError';
  }
}

function describeOwner(state: OwnerState, dataDir: string): string {
  const { owner } = state;
  const since = `since ${owner.startedAt}`;
  switch (state.status) {
    case 'this-process':
      return `The embedded PostgreSQL/Redis of DATA_DIR ${dataDir} are already started by this process (pid ${owner.pid}): use the services it returned, or stop() them first.`;
    case 'running-here':
      return `DATA_DIR ${dataDir} is in use by another batchcast process on this host (pid ${owner.pid}, ${since}), which runs its embedded PostgreSQL/Redis: stop that one first, or give this one another DATA_DIR.`;
    default:
      return (
        `DATA_DIR ${dataDir} is in use by batchcast on host "${owner.hostname}" (pid ${owner.pid}, ${since}, last seen ${Math.round(state.heartbeatAgeMs / 1000)} s ago), ` +
        'which runs its embedded PostgreSQL/Redis there. Embedded servers serve one host: point the other hosts at that host with ' +
        `DATABASE_URL/REDIS_URL, or run PostgreSQL and Redis as servers of their own. If "${owner.hostname}" is gone for good, delete ${state.lockFile}.`
      );
  }
}

/** Who holds the DATA_DIR, and whether that owner still lives; undefined when nobody does. */
export async function inspectDataDirOwner(dataDir: string): Promise<OwnerState | undefined> {
  const lockFile = lockFilePath(dataDir);
  let text: string;
  let heartbeatAgeMs: number;
  try {
    [text, heartbeatAgeMs] = await Promise.all([readFile(lockFile, 'utf8'), stat(lockFile).then((s) => Date.now() - s.mtimeMs)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const owner = parseOwner(text);
  if (!owner) {
    // Written whole (link of a complete file), so an unreadable lock is damage, not a writer at work.
    return { owner: { hostname: '?', pid: 0, startedAt: '?' }, status: 'stale', heartbeatAgeMs, lockFile };
  }
  return { owner, status: ownerStatus(owner, heartbeatAgeMs), heartbeatAgeMs, lockFile };
}

function parseOwner(text: string): DataDirOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<DataDirOwner>;
    if (typeof value.hostname !== 'string' || typeof value.pid !== 'number' || typeof value.startedAt !== 'string') return undefined;
    return { hostname: value.hostname, pid: value.pid, processStart: value.processStart, startedAt: value.startedAt };
  } catch {
    return undefined;
  }
}

function ownerStatus(owner: DataDirOwner, heartbeatAgeMs: number): OwnerStatus {
  if (owner.hostname !== os.hostname()) return heartbeatAgeMs > STALE_AFTER_MS ? 'stale' : 'running-elsewhere';
  if (!isProcessAlive(owner.pid)) return 'stale';
  const start = processStartIdentity(owner.pid);
  if (owner.processStart !== undefined && start !== undefined && start !== owner.processStart) return 'stale';
  return owner.pid === process.pid ? 'this-process' : 'running-here';
}

/**
 * Refuses when another process, on this host or another one sharing the volume, runs the embedded
 * servers of `dataDir`. PostgreSQL's own postmaster.pid only protects a data directory on one host (it
 * checks the pid locally), so two hosts starting an embedded PostgreSQL on one shared DATA_DIR would both
 * think the other's lock stale and corrupt the cluster: this lock names the host and is refreshed every
 * HEARTBEAT_MS so that others can tell a live owner from a dead one. Passes when nobody, or this process,
 * holds it, or when the holder is gone.
 */
export async function assertEmbeddedIsSingleHost(opts: { dataDir: string }): Promise<void> {
  const state = await inspectDataDirOwner(opts.dataDir);
  if (state && (state.status === 'running-here' || state.status === 'running-elsewhere')) throw new EmbeddedInUseError(state, opts.dataDir);
}

export interface DataDirLock {
  /** The owner that held the DATA_DIR before us and was found gone (its servers may be orphans). */
  previousOwner?: DataDirOwner;
  release(): Promise<void>;
}

/** Takes the DATA_DIR for this process, or throws EmbeddedInUseError. */
export async function acquireDataDirLock(dataDir: string, log: Logger): Promise<DataDirLock> {
  const lockFile = lockFilePath(dataDir);
  await mkdir(path.dirname(lockFile), { recursive: true, mode: 0o700 });
  const me: DataDirOwner = {
    hostname: os.hostname(),
    pid: process.pid,
    processStart: processStartIdentity(process.pid),
    startedAt: new Date().toISOString(),
  };
  let previousOwner: DataDirOwner | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    // Written to a file of our own and linked into place: the lock appears whole or not at all, and
    // link() fails with EEXIST when someone else's is there, with no window between test and create.
    const tmp = `${lockFile}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(me), { mode: 0o600 });
    try {
      await link(tmp, lockFile);
      await unlink(tmp);
      return ownedLock(lockFile, me, previousOwner, log);
    } catch (error) {
      await unlink(tmp).catch(() => {});
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const state = await inspectDataDirOwner(dataDir);
    if (!state) continue;
    if (state.status !== 'stale') throw new EmbeddedInUseError(state, dataDir);
    previousOwner = state.owner;
    log.warn(
      { previousOwner: state.owner, lockFile },
      `taking over DATA_DIR from a batchcast that is gone (pid ${state.owner.pid} on ${state.owner.hostname})`,
    );
    await unlink(lockFile).catch(() => {});
  }
  throw new Error(`Could not take the lock ${lockFile}: it keeps changing; is another batchcast starting on this DATA_DIR right now?`);
}

function ownedLock(lockFile: string, me: DataDirOwner, previousOwner: DataDirOwner | undefined, log: Logger): DataDirLock {
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lockFile, now, now).catch((error: unknown) => log.warn({ err: error, lockFile }, 'could not refresh the DATA_DIR lock'));
  }, HEARTBEAT_MS);
  heartbeat.unref();
  let released = false;
  return {
    previousOwner,
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      // Only our own lock: if someone deleted it and another process took the DATA_DIR, leave theirs.
      const text = await readFile(lockFile, 'utf8').catch(() => undefined);
      const owner = text === undefined ? undefined : parseOwner(text);
      if (owner && owner.pid === me.pid && owner.hostname === me.hostname && owner.startedAt === me.startedAt) {
        await unlink(lockFile).catch(() => {});
      }
    },
  };
}
