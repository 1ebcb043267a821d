/**
 * Files a scheduled run may read: regular files strictly inside the directories the operator configured
 * (SCHEDULE_SOURCE_DIRS), after every symlink is followed. Nothing is readable until directories are
 * configured, and /proc, /sys and /dev never are (their "files" are the process's environment, memory and
 * devices). Errors name the path that was given, never anything read from a file.
 */
import { constants } from 'node:fs';
import { access, open, readlink, realpath, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

export type FileSourceErrorCode =
  /** No directories configured. */
  | 'not_configured'
  /** Not an absolute path, has `..` segments or a NUL byte. */
  | 'invalid_path'
  /** Leads (after symlinks) outside every allowed directory, or into /proc, /sys, /dev. */
  | 'outside_allowed'
  | 'not_found'
  /** A directory, device, FIFO or socket. */
  | 'not_regular_file'
  /** Exists but this process may not read it. */
  | 'unreadable';

export class FileSourceError extends Error {
  constructor(
    readonly code: FileSourceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FileSourceError';
  }
}

const SYSTEM_TREES = ['/proc', '/sys', '/dev'];
const SETTING = 'SCHEDULE_SOURCE_DIRS';

const strictlyInside = (file: string, dir: string): boolean => {
  const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
  return file !== dir && file.startsWith(prefix);
};

const shown = (file: string) => JSON.stringify(file.length > 200 ? `${file.slice(0, 200)}…` : file);

/** The allowed directories as they really are (symlinks followed); ones that do not exist are left out. */
async function realDirs(allowedDirs: readonly string[]): Promise<string[]> {
  const configured = allowedDirs.map((d) => d.trim()).filter((d) => d !== '');
  if (configured.length === 0) {
    throw new FileSourceError(
      'not_configured',
      `Scheduled runs cannot read files: no directory is allowed. Set ${SETTING} to the directories (comma-separated) whose files schedules may read.`,
    );
  }
  const found: string[] = [];
  for (const d of configured) {
    if (!path.isAbsolute(d)) continue;
    try {
      found.push(await realpath(d));
    } catch {
      // A directory that does not exist (yet) allows nothing.
    }
  }
  return found;
}

function checkSyntax(file: string): void {
  if (typeof file !== 'string' || file === '' || file.includes('\0')) {
    throw new FileSourceError('invalid_path', 'Give the absolute path of a CSV file.');
  }
  if (!path.isAbsolute(file)) {
    throw new FileSourceError('invalid_path', `${shown(file)} is not an absolute path: give the full path, e.g. /data/exports/daily.csv.`);
  }
  if (file.split(/[\\/]/).includes('..')) {
    throw new FileSourceError('invalid_path', `${shown(file)} contains "..": give the path without it.`);
  }
}

function outside(file: string, allowedDirs: readonly string[]): FileSourceError {
  return new FileSourceError(
    'outside_allowed',
    `${shown(file)} is not inside the directories scheduled runs may read (${allowedDirs.join(', ')}; ${SETTING}).`,
  );
}

function refuseSystemTree(file: string, real: string, allowedDirs: readonly string[]): void {
  if (SYSTEM_TREES.some((t) => real === t || strictlyInside(real, t))) throw outside(file, allowedDirs);
}

/**
 * The real path of `file` when it is a readable regular file strictly inside one of `allowedDirs` (both
 * with symlinks followed); a FileSourceError saying why not otherwise.
 */
export async function resolveInside(file: string, allowedDirs: readonly string[]): Promise<string> {
  const dirs = await realDirs(allowedDirs);
  checkSyntax(file);
  let real: string;
  try {
    real = await realpath(file);
  } catch (err) {
    throw fsError(file, err);
  }
  refuseSystemTree(file, real, allowedDirs);
  // An allowed directory itself is not "outside" them (that message listed it as allowed): it is a
  // directory, as a subdirectory is said to be.
  if (dirs.includes(real)) {
    throw new FileSourceError(
      'not_regular_file',
      `${shown(file)} is a directory, not a regular file: give the path of a file inside it, e.g. ${shown(path.join(file, 'daily.csv'))}.`,
    );
  }
  if (!dirs.some((d) => strictlyInside(real, d))) throw outside(file, allowedDirs);
  let kind: string | null;
  try {
    const s = await stat(real);
    kind = s.isFile() ? null : describeKind(s);
    if (kind === null) await access(real, constants.R_OK);
  } catch (err) {
    throw fsError(file, err);
  }
  if (kind !== null) throw new FileSourceError('not_regular_file', `${shown(file)} is ${kind}, not a regular file.`);
  return real;
}

/**
 * Opens a file source for reading, closing the gap between check and open: the resolved path is opened
 * without following a final symlink and without blocking on a FIFO, and the open descriptor itself must be
 * a regular file that is (on Linux, by /proc/self/fd) still inside an allowed directory.
 */
export async function openInside(
  file: string,
  allowedDirs: readonly string[],
): Promise<{ handle: FileHandle; path: string; size: number }> {
  const real = await resolveInside(file, allowedDirs);
  let handle: FileHandle;
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    throw fsError(file, err);
  }
  try {
    const s = await handle.stat();
    if (!s.isFile()) throw new FileSourceError('not_regular_file', `${shown(file)} is ${describeKind(s)}, not a regular file.`);
    const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => null);
    if (opened !== null) {
      const dirs = await realDirs(allowedDirs);
      refuseSystemTree(file, opened, allowedDirs);
      if (!dirs.some((d) => strictlyInside(opened, d))) throw outside(file, allowedDirs);
    }
    return { handle, path: real, size: s.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

function describeKind(s: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a named pipe (FIFO)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function fsError(file: string, err: unknown): FileSourceError {
  if (err instanceof FileSourceError) return err;
  const code = (err as { code?: unknown }).code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new FileSourceError('not_found', `There is no file ${shown(file)}.`);
    case 'EACCES':
    case 'EPERM':
      return new FileSourceError(
        'unreadable',
        `${shown(file)} cannot be read: permission denied. The web app and the workers must both be able to read it.`,
      );
    case 'ELOOP':
      return new FileSourceError('invalid_path', `${shown(file)} is a symbolic link that changed while it was opened, or loops.`);
    default:
      return new FileSourceError('unreadable', `${shown(file)} cannot be read${typeof code === 'string' ? ` (${code})` : ''}.`);
  }
}
