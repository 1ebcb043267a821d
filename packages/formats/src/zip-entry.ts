import { pipeline } from 'node:stream/promises';
import { crc32, createInflateRaw } from 'node:zlib';
import { FormatError, formatBytes } from './errors.js';

/**
 * The one data file of a ZIP archive, inflated as the archive streams in: people zip their CSVs (Windows' "Send to
 * > Compressed folder", macOS' "Compress", downloads from data portals), and a zip of one file is read as a gzip
 * file is. No zip library streams an archive reliably (yauzl reads the central directory at the end, by random
 * access; unzipper finds a data descriptor by looking for its signature in the compressed bytes), so this reads
 * the local file headers itself, hands the entry to node:zlib's raw inflate, and checks the archive against its
 * central directory once all of it has arrived:
 * - Entries before the data file that hold no data are skipped: folders (`data/`), macOS' `__MACOSX/` resource
 *   forks and `.DS_Store`, Windows' `Thumbs.db` and `desktop.ini`.
 * - The first other entry is the data file: stored (method 0) or deflated (8), not encrypted. A deflated entry
 *   whose size is written after it (a data descriptor, as macOS' Archive Utility and streaming zippers write)
 *   ends where its deflate stream does; a stored one cannot be told apart from what follows it, and is refused.
 * - At the end, the central directory (the archive's index, zip64 too) must list that entry and no other data
 *   file, and the bytes inflated must have the CRC-32 and size it records: a second file is never left out
 *   unsaid, and a damaged archive is never scored.
 */

/** How unzipDataFile reads an archive. */
export interface ZipEntryOptions {
  /** Refuse an entry that inflates to more than this many bytes (a "zip bomb" cannot fill the disk). */
  maxBytes: number;
  /** Told the data file's name (its path in the archive) once its local header is read, before its first byte. */
  onEntry?: (name: string) => void;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;

/** Bytes of each piece the inflater hands on (as gunzip's, compression.ts: fewer, larger pieces to store). */
const INFLATE_CHUNK_BYTES = 256 * 1024;

/**
 * The end of the archive kept for its central directory: 1 MiB of entries (about 10,000 names of 50 characters)
 * and the end record's longest comment. An archive whose index is larger holds far more than one data file.
 */
const TAIL_BYTES = 1024 * 1024 + 65_557;

/** Entries that hold no data of the person's: a folder, and what operating systems add to what they zip. */
export function isZipClutter(name: string): boolean {
  if (name.endsWith('/') || name.startsWith('__MACOSX/')) return true;
  const base = name.slice(name.lastIndexOf('/') + 1);
  return base === '.DS_Store' || base === 'Thumbs.db' || base === 'desktop.ini' || base.startsWith('._');
}

/** The compression methods of the ZIP specification people may meet, for the refusal of the ones not read. */
const METHOD_NAMES: Record<number, string> = {
  1: 'Shrink',
  6: 'Implode',
  9: 'Deflate64',
  12: 'bzip2',
  14: 'LZMA',
  93: 'Zstandard',
  95: 'XZ',
  98: 'PPMd',
  99: 'AES encryption',
};

const REZIP = 'zip the file again with your system’s “Compress” command (or `zip`), or compress it with gzip';

function corrupt(what: string, at: number): FormatError {
  return new FormatError('corrupt', `the ZIP archive is damaged (${what}, at byte ${at}): ${REZIP}, and upload it again`);
}

function truncated(at: number): FormatError {
  return new FormatError('truncated', `the ZIP archive is incomplete (cut short at byte ${at}): upload it again`);
}

/** Reads the archive's bytes in order, as the upload delivers them. */
class ArchiveReader {
  private pieces: Buffer[] = [];
  private buffered = 0;
  /** Bytes of the archive taken so far: the archive offset of the next byte. */
  offset = 0;
  private ended = false;
  private readonly it: AsyncIterator<Buffer>;

  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** Buffers at least `n` bytes; false when the archive ends first. */
  async fill(n: number): Promise<boolean> {
    while (this.buffered < n && !this.ended) {
      const next = await this.it.next();
      if (next.done) this.ended = true;
      else if (next.value.length > 0) {
        this.pieces.push(next.value);
        this.buffered += next.value.length;
      }
    }
    return this.buffered >= n;
  }

  /** The next `n` bytes, taken (an error naming where the archive ended when it has fewer). */
  async take(n: number): Promise<Buffer> {
    if (!(await this.fill(n))) throw truncated(this.offset + this.buffered);
    const all = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces);
    this.pieces = all.length > n ? [all.subarray(n)] : [];
    this.buffered -= n;
    this.offset += n;
    return all.subarray(0, n);
  }

  /** Puts `bytes`, the last ones taken, back in front of what is still to be read. */
  giveBack(bytes: Buffer): void {
    this.pieces.unshift(bytes);
    this.buffered += bytes.length;
    this.offset -= bytes.length;
  }

  /** Up to `max` bytes as they come (null at the end of the archive). */
  async next(max = Number.POSITIVE_INFINITY): Promise<Buffer | null> {
    if (this.buffered === 0 && !(await this.fill(1))) return null;
    const first = this.pieces[0]!;
    const piece = first.length > max ? first.subarray(0, max) : first;
    if (piece.length === first.length) this.pieces.shift();
    else this.pieces[0] = first.subarray(piece.length);
    this.buffered -= piece.length;
    this.offset += piece.length;
    return piece;
  }
}

interface LocalEntry {
  name: string;
  flags: number;
  method: number;
  crc: number;
  /** Sizes from the local header (zip64's extra field when they are 0xFFFFFFFF); unknown with a data descriptor. */
  compressedSize: number;
  size: number;
  at: number;
}

/** A local file header, its signature already taken: the 26 bytes after it, then its name and extra field. */
async function readLocalHeader(reader: ArchiveReader): Promise<LocalEntry> {
  const at = reader.offset - 4;
  const fixed = await reader.take(26);
  const flags = fixed.readUInt16LE(2);
  const nameLength = fixed.readUInt16LE(22);
  // The version needed to extract is at most 6.3 in every ZIP specification, and an entry has a name: other bytes
  // after the signature are not an archive (a cut or random file), said as damaged rather than read on as sizes.
  if (fixed.readUInt16LE(0) > 63 || nameLength === 0) throw corrupt('its entry header is not valid', at);
  const variable = await reader.take(nameLength + fixed.readUInt16LE(24));
  // Bit 11: the name is UTF-8; otherwise IBM code page 437, of which ASCII names (nearly all) are the same.
  const name = variable.subarray(0, nameLength).toString(flags & 0x800 ? 'utf8' : 'latin1');
  let compressedSize = fixed.readUInt32LE(14);
  let size = fixed.readUInt32LE(18);
  if (compressedSize === 0xffffffff || size === 0xffffffff) {
    const zip64 = zip64Sizes(variable.subarray(nameLength));
    if (zip64) [size, compressedSize] = zip64;
  }
  return { name, flags, method: fixed.readUInt16LE(4), crc: fixed.readUInt32LE(10), compressedSize, size, at };
}

/** The uncompressed and compressed sizes of a local header's zip64 extra field (id 1), or null. */
function zip64Sizes(extra: Buffer): [number, number] | null {
  for (let p = 0; p + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(p);
    const length = extra.readUInt16LE(p + 2);
    if (id === 1 && length >= 16 && p + 20 <= extra.length) {
      return [Number(extra.readBigUInt64LE(p + 4)), Number(extra.readBigUInt64LE(p + 12))];
    }
    p += 4 + length;
  }
  return null;
}

/**
 * The data file's bytes (see the module's comment). Errors are FormatErrors: `unsupported_format` for what is not
 * read (several data files, encryption, another method), `truncated`, `corrupt` and `too_large` as for gzip.
 */
export async function* unzipDataFile(source: AsyncIterable<Buffer>, opts: ZipEntryOptions): AsyncGenerator<Buffer> {
  const reader = new ArchiveReader(source);
  let entry: LocalEntry | null = null;
  const skipped: string[] = [];
  for (;;) {
    if (!(await reader.fill(4))) throw truncated(reader.offset);
    const signature = (await reader.take(4)).readUInt32LE(0);
    if (signature !== LOCAL_HEADER) {
      if (signature === CENTRAL_HEADER || signature === END_OF_CENTRAL_DIRECTORY) break;
      throw corrupt('no entry header where one should be', reader.offset - 4);
    }
    const local = await readLocalHeader(reader);
    if (!isZipClutter(local.name)) {
      entry = local;
      break;
    }
    // A folder or an operating system's file ahead of the data file: skipped, when its size says how far.
    if (local.flags & 0x08) {
      throw new FormatError(
        'unsupported_format',
        `the ZIP archive starts with "${local.name}", whose size is written only after it, so the file after it cannot be found as the archive arrives: ${REZIP}`,
      );
    }
    skipped.push(local.name);
    for (let left = local.compressedSize; left > 0; ) {
      const piece = await reader.next(left);
      if (piece === null) throw truncated(reader.offset);
      left -= piece.length;
    }
  }
  if (entry === null) {
    throw new FormatError(
      'empty_file',
      `the ZIP archive holds no data file${skipped.length ? ` (only ${quoteNames(skipped)})` : ''}: zip the data file itself`,
    );
  }
  refuseUnreadable(entry);
  opts.onEntry?.(entry.name);

  let produced = 0;
  let crc = 0;
  const count = (out: Buffer): Buffer => {
    produced += out.length;
    if (produced > opts.maxBytes) {
      throw new FormatError(
        'too_large',
        `"${entry.name}" in the ZIP archive unzips to more than ${formatBytes(opts.maxBytes)}, the most this server accepts; split the data into smaller files`,
      );
    }
    crc = crc32(out, crc);
    return out;
  };
  const known = (entry.flags & 0x08) === 0;
  if (entry.method === 0) {
    for (let left = entry.compressedSize; left > 0; ) {
      const piece = await reader.next(left);
      if (piece === null) throw truncated(reader.offset);
      left -= piece.length;
      yield count(piece);
    }
  } else {
    yield* inflate(reader, known ? entry.compressedSize : null, count);
  }
  // The rest of the archive: its central directory is at the end.
  const tail = await archiveTail(reader);
  checkCentralDirectory(tail, reader.offset, entry, produced, crc);
}

function refuseUnreadable(entry: LocalEntry): void {
  if (entry.flags & 0x01) {
    throw new FormatError(
      'unsupported_format',
      `"${entry.name}" in the ZIP archive is encrypted (password-protected): zip it again without a password, or upload the file itself`,
    );
  }
  if (entry.method !== 0 && entry.method !== 8) {
    const method = METHOD_NAMES[entry.method] ?? `method ${entry.method}`;
    throw new FormatError(
      'unsupported_format',
      `"${entry.name}" in the ZIP archive is compressed with ${method}, which batchcast does not read (it reads Deflate, what zip tools use by default): ${REZIP}`,
    );
  }
  if (entry.method === 0 && entry.flags & 0x08) {
    throw new FormatError(
      'unsupported_format',
      `"${entry.name}" in the ZIP archive is stored uncompressed with its size written only after it, so its end cannot be found as the archive arrives: ${REZIP}`,
    );
  }
}

/** Bytes of the archive handed to the inflater at a time. */
const FEED_BYTES = 1024 * 1024;

/**
 * Inflates the entry: `compressedSize` bytes of it, or, when the size comes after the entry (null), as far as its
 * deflate stream goes. node:zlib ends a raw stream there, ignores the bytes written after it, and counts the bytes
 * it used (`bytesWritten`): those written past it are given back to the reader, for the central directory.
 */
async function* inflate(reader: ArchiveReader, compressedSize: number | null, count: (out: Buffer) => Buffer): AsyncGenerator<Buffer> {
  const z = createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES });
  const start = reader.offset;
  // The pieces written that zlib may not have used yet, and how many bytes of the entry came before them.
  const written: Buffer[] = [];
  let before = 0;
  let total = 0;
  let stop = false;
  // The feed's read in progress: it must end (and its piece be counted) before the archive is read on.
  let reading: Promise<Buffer | null> | null = null;
  async function* feed(): AsyncGenerator<Buffer> {
    for (let left = compressedSize ?? Number.POSITIVE_INFINITY; left > 0 && !stop; ) {
      reading = reader.next(Math.min(left, FEED_BYTES));
      const piece = await reading;
      reading = null;
      if (piece === null) return;
      left -= piece.length;
      total += piece.length;
      written.push(piece);
      while (written.length > 1 && before + written[0]!.length <= z.bytesWritten) before += written.shift()!.length;
      yield piece;
    }
  }
  // Observed below: an error surfaces through the iteration of `z` (and stopping the feed aborts it).
  const feeding = pipeline(feed(), z);
  feeding.catch(() => undefined);
  try {
    for await (const out of z as AsyncIterable<Buffer>) yield count(out);
  } catch (err) {
    throw inflateError(err, start, reader.offset);
  } finally {
    stop = true;
    z.destroy();
  }
  // The feed's last read ends before the archive is read on (the reader serves one read at a time): the feed
  // records its piece as soon as the read resolves, before this continues (a turn of the event loop later).
  await feeding.catch(() => undefined);
  if (reading !== null) {
    await (reading as Promise<Buffer | null>).catch(() => null);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const used = z.bytesWritten;
  if (compressedSize !== null && used !== compressedSize) {
    throw corrupt(`its data ends ${compressedSize - used} bytes before the size its header gives`, start + used);
  }
  // Bytes written past the end of the deflate stream: the archive after the entry.
  if (total > used) {
    const all = Buffer.concat(written);
    reader.giveBack(all.subarray(all.length - (total - used)));
  }
}

function inflateError(err: unknown, start: number, at: number): unknown {
  if (err instanceof FormatError) return err;
  const code = (err as { code?: string }).code;
  if (code === 'Z_BUF_ERROR') return truncated(at);
  if (code === 'Z_DATA_ERROR') return corrupt((err as Error).message, start);
  return err;
}

/** The last TAIL_BYTES of the archive (read to its end). */
async function archiveTail(reader: ArchiveReader): Promise<Buffer> {
  let kept: Buffer[] = [];
  let length = 0;
  for (;;) {
    const piece = await reader.next();
    if (piece === null) break;
    kept.push(piece);
    length += piece.length;
    if (length > 2 * TAIL_BYTES) {
      const all = Buffer.concat(kept);
      kept = [all.subarray(all.length - TAIL_BYTES)];
      length = TAIL_BYTES;
    }
  }
  const all = Buffer.concat(kept);
  return all.length > TAIL_BYTES ? all.subarray(all.length - TAIL_BYTES) : all;
}

interface CentralEntry {
  name: string;
  crc: number;
  size: number;
}

/**
 * Checks the archive's index against what was read: it lists the data file read, with its CRC-32 and size, and no
 * other data file. `tail` is the end of an archive of `total` bytes.
 */
function checkCentralDirectory(tail: Buffer, total: number, entry: LocalEntry, produced: number, crc: number): void {
  const entries = centralDirectory(tail, total);
  const data = entries.filter((e) => !isZipClutter(e.name));
  if (data.length > 1) {
    throw new FormatError(
      'unsupported_format',
      `the ZIP archive holds ${data.length} files, ${quoteNames(data.map((e) => e.name))}: batchcast scores one file per job; upload them one at a time (each file itself, or one zip per file)`,
    );
  }
  const listed = data[0];
  if (listed === undefined || listed.name !== entry.name) {
    throw corrupt(`its index does not list "${entry.name}", the file read`, total - tail.length);
  }
  if (listed.size !== produced || listed.crc >>> 0 !== crc >>> 0) {
    throw corrupt(`"${entry.name}" unzips to other bytes than its index records (its size or CRC-32 differs)`, entry.at);
  }
}

/** The central directory's entries, from the end of the archive (zip64 too). */
function centralDirectory(tail: Buffer, total: number): CentralEntry[] {
  const base = total - tail.length;
  let end = -1;
  for (let p = tail.length - 22; p >= 0 && p >= tail.length - 65_557; p--) {
    if (tail.readUInt32LE(p) === END_OF_CENTRAL_DIRECTORY) {
      end = p;
      break;
    }
  }
  if (end < 0) throw truncated(total);
  let count = tail.readUInt16LE(end + 10);
  let size = tail.readUInt32LE(end + 12);
  let offset = tail.readUInt32LE(end + 16);
  if ((count === 0xffff || size === 0xffffffff || offset === 0xffffffff) && end >= 20 && tail.readUInt32LE(end - 20) === ZIP64_LOCATOR) {
    const at = Number(tail.readBigUInt64LE(end - 20 + 8)) - base;
    if (at < 0 || at + 56 > tail.length || tail.readUInt32LE(at) !== ZIP64_END_OF_CENTRAL_DIRECTORY) {
      throw corrupt('its zip64 end record is missing', base + Math.max(at, 0));
    }
    count = Number(tail.readBigUInt64LE(at + 32));
    size = Number(tail.readBigUInt64LE(at + 40));
    offset = Number(tail.readBigUInt64LE(at + 48));
  }
  const start = offset - base;
  if (start < 0) {
    throw new FormatError(
      'unsupported_format',
      `the ZIP archive's index is larger than ${formatBytes(TAIL_BYTES)}: it holds thousands of files; upload the data file itself`,
    );
  }
  if (start + size > tail.length) throw corrupt('its index points past its end', offset);
  const entries: CentralEntry[] = [];
  for (let p = start, k = 0; k < count; k++) {
    if (p + 46 > start + size || tail.readUInt32LE(p) !== CENTRAL_HEADER) throw corrupt('its index is broken', base + p);
    const flags = tail.readUInt16LE(p + 8);
    const nameLength = tail.readUInt16LE(p + 28);
    const extraLength = tail.readUInt16LE(p + 30);
    const commentLength = tail.readUInt16LE(p + 32);
    const name = tail.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLength);
    let entrySize = tail.readUInt32LE(p + 24);
    if (entrySize === 0xffffffff) {
      // zip64 extra field: the uncompressed size comes first.
      const extra = tail.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength);
      for (let q = 0; q + 4 <= extra.length; q += 4 + extra.readUInt16LE(q + 2)) {
        if (extra.readUInt16LE(q) === 1 && q + 12 <= extra.length) entrySize = Number(extra.readBigUInt64LE(q + 4));
      }
    }
    entries.push({ name, crc: tail.readUInt32LE(p + 16), size: entrySize });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function quoteNames(names: string[]): string {
  const shown = names.slice(0, 5).map((n) => `"${n}"`);
  const more = names.length > 5 ? ` and ${names.length - 5} more` : '';
  return shown.length === 1 ? shown[0]! : `${shown.slice(0, -1).join(', ')}${more ? ', ' : ' and '}${shown.at(-1)}${more}`;
}
