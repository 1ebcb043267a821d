import { randomBytes } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { access, type FileHandle, lstat, open, readlink, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UsageError } from './args.js';

/**
 * Where `--out NAME` writes results, by what is at NAME:
 * - nothing yet, or a regular file: `replace`, written under a temporary name in the same folder and renamed
 *   over it, so that nobody reads half the results and a failed download leaves the file as it was;
 * - a symbolic link: what it points to, replaced as above in the folder of the link's target (the link stays a
 *   link). A dangling link gets the file it names created, as the shell's `>` does;
 * - anything else (a FIFO, a character device such as /dev/null or a terminal) and an open descriptor's name
 *   (/dev/fd/N, /proc/self/fd/N): `direct`, opened and written to as it is, streaming: a temporary file
 *   renamed over it would put a regular file in its place, and a reader would never get the results;
 * - this process's own stdout by a name (/dev/stdout, /dev/fd/1, /proc/self/fd/1): `stdout`, as `--out -`. It is
 *   not opened again: a socket (what a parent process often gives as stdout) cannot be (ENXIO), and a file that
 *   stdout is would be truncated rather than appended to (`>>`);
 * - a folder: refused.
 */
export type Destination = { kind: 'replace'; file: string } | { kind: 'direct'; file: string } | { kind: 'stdout' };

/** The kernel's own limit on links followed in one path (ELOOP beyond it). */
const MAX_LINKS = 40;

/** /dev/fd/N, /proc/self/fd/N, /proc/PID/fd/N: names of a descriptor a process has open, not of a file in a folder. */
const isDescriptorName = (p: string) => p.startsWith('/dev/fd/') || /^\/proc\/[^/]+\/(task\/[^/]+\/)?fd\//.test(p);

/** A name of this process's descriptor 1 (what /dev/stdout links to). */
const isOwnStdout = (p: string) => p === '/dev/fd/1' || new RegExp(`^/proc/(self|thread-self|${process.pid})(/task/\\d+)?/fd/1$`).test(p);

/**
 * NAME and the paths its symbolic links lead to, in order; the last is not a link (or not there). Each link is
 * read relative to its folder's real path, so that `..` in a link's target means what the kernel makes of it.
 */
async function linkChain(name: string): Promise<string[]> {
  const chain = [path.resolve(name)];
  for (;;) {
    const last = chain.at(-1)!;
    const entry = await lstat(last).catch(() => null);
    if (!entry?.isSymbolicLink()) return chain;
    if (chain.length > MAX_LINKS) throw new UsageError(`--out: ${name}: too many symbolic links`);
    chain.push(path.resolve(await realpath(path.dirname(last)), await readlink(last)));
  }
}

/** What `--out NAME` writes to (see Destination); a problem with NAME itself is a UsageError naming it. */
export async function resultsDestination(name: string): Promise<Destination> {
  if (name === '') throw new UsageError('--out: the file name is empty; give the name of the file to write (or - for stdout)');
  const chain = await linkChain(name);
  const found = await stat(name).catch((err: NodeJS.ErrnoException) => {
    // Not there, or a file where a folder of its path should be: said by checkOutFile about the folder.
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
    throw new UsageError(`--out: cannot use ${name} (${err.code ?? err.message})`);
  });
  if (found?.isDirectory()) throw new UsageError(`--out: ${name} is a folder; give the name of the file to write`);
  if (found && chain.some(isOwnStdout)) return { kind: 'stdout' };
  // Opened by the name given: opening follows every link, /proc's descriptor links included.
  if (found && (!found.isFile() || chain.some(isDescriptorName))) return { kind: 'direct', file: name };
  return { kind: 'replace', file: chain.at(-1)! };
}

/**
 * --out NAME checked before anything is sent or waited for, so that a job is not scored (or a download fetched)
 * only to fail at the end: an empty name, a folder, a folder that is not there, one where no file can be
 * created (tried: `access` says yes to root in /proc or on a read-only mount), a device that cannot be written.
 * `-` (stdout) and no --out pass.
 */
export async function checkOutFile(name: string | undefined): Promise<void> {
  if (name === undefined || name === '-') return;
  const dest = await resultsDestination(name);
  if (dest.kind === 'stdout') return;
  if (dest.kind === 'direct') {
    // Not opened here: opening a FIFO waits for its reader.
    await access(dest.file, constants.W_OK).catch(() => {
      throw new UsageError(`--out: cannot write to ${name} (permission denied)`);
    });
    return;
  }
  const dir = path.dirname(dest.file);
  const via = dest.file === path.resolve(name) ? '' : ` (where ${name} points: ${dest.file})`;
  const folder = await stat(dir).catch(() => null);
  if (!folder) throw new UsageError(`--out: the folder ${dir} does not exist${via}`);
  if (!folder.isDirectory()) throw new UsageError(`--out: ${dir} is not a folder${via}`);
  const probe = partNameFor(dest.file);
  try {
    await (await open(probe, 'wx')).close();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : (code ?? 'error');
    throw new UsageError(`--out: cannot create a file in ${dir}${via} (${why})`);
  }
  await rm(probe, { force: true });
}

/** The temporary name results are written under beside `file`: hidden, and unlike any other download's. */
const partNameFor = (file: string) => path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.part`);

/** Counts the bytes that pass. */
function counter(): { stream: Transform; bytes: () => number } {
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, bytes: () => bytes };
}

/**
 * A file system failure said about the name the person gave, not the temporary or resolved one; anything else
 * (the connection dropped mid-download) as it is.
 */
function writeError(name: string, err: unknown): unknown {
  const e = err as NodeJS.ErrnoException;
  return e.path !== undefined || e.syscall === 'write' ? new Error(`cannot write ${name} (${e.code ?? e.message})`) : err;
}

/**
 * Opens a `direct` destination for writing, without creating anything: if the FIFO or device is gone by now,
 * that is an error rather than a regular file made in its place. A FIFO waits here for its reader.
 */
export async function openDirect(dest: Destination & { kind: 'direct' }, name: string): Promise<FileHandle> {
  return open(dest.file, constants.O_WRONLY | constants.O_TRUNC).catch((err: unknown) => {
    throw writeError(name, err);
  });
}

/** Streams `body` into an opened `direct` destination, and closes it; the bytes written. */
export async function writeDirect(body: Readable, handle: FileHandle, name: string): Promise<number> {
  const count = counter();
  try {
    // The stream closes the handle when it ends or fails (autoClose).
    await pipeline(body, count.stream, handle.createWriteStream());
  } catch (err) {
    throw writeError(name, err);
  }
  return count.bytes();
}

/** Writes `body` to a temporary name beside `file`, then renames it over `file`; the bytes written. */
export async function writeReplacing(body: Readable, file: string, name: string): Promise<number> {
  const tmp = partNameFor(file);
  const count = counter();
  try {
    await pipeline(body, count.stream, createWriteStream(tmp, { flags: 'wx' }));
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw writeError(name, err);
  }
  return count.bytes();
}
