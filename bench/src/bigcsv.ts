// The benchmark's input files: made by scripts/dist/make-big-csv.js (the project's copy of the shared load-test
// generator) and cached in bench/out/.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './util.js';

export const generatorScript = path.resolve(repoRoot, 'scripts', 'dist', 'make-big-csv.js');

/** Physical lines of a file (LF count, plus one if the last byte is not LF) and its size. */
export async function countLines(file: string): Promise<{ lines: number; bytes: number }> {
  const fh = await open(file, 'r');
  const buf = Buffer.allocUnsafe(4 << 20);
  let lines = 0;
  let bytes = 0;
  let last = 0x0a;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      bytes += bytesRead;
      let i = 0;
      for (;;) {
        const n = buf.indexOf(0x0a, i);
        if (n === -1 || n >= bytesRead) break;
        lines++;
        i = n + 1;
      }
      last = buf[bytesRead - 1] ?? last;
    }
  } finally {
    await fh.close();
  }
  if (bytes > 0 && last !== 0x0a) lines++;
  return { lines, bytes };
}

/** The first line of a file, without its line ending. */
export async function firstLine(file: string): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    const n = text.indexOf('\n');
    return (n === -1 ? text : text.slice(0, n)).replace(/\r$/, '');
  } finally {
    await fh.close();
  }
}

export interface BenchInput {
  file: string;
  bytes: number;
  generator: string;
  seconds: number;
  cached: boolean;
}

/** A CSV of `rows` records resampled from `source` (with `seed`), cached at `out`: reused when it has the same header and rows + 1 lines. */
export async function ensureResampledCsv(source: string, rows: number, out: string, seed = 42): Promise<BenchInput> {
  await mkdir(path.dirname(out), { recursive: true });
  const header = (readFileSync(source, 'utf8').split('\n')[0] ?? '').replace(/\r$/, '');
  if (existsSync(out)) {
    const { lines, bytes } = await countLines(out);
    if (lines === rows + 1 && (await firstLine(out)) === header) {
      return { file: out, bytes, generator: 'cache', seconds: 0, cached: true };
    }
  }
  const tmp = `${out}.tmp-${process.pid}`;
  const t0 = performance.now();
  try {
    const generator = path.relative(repoRoot, generatorScript);
    await run(process.execPath, [generatorScript, source, String(rows), tmp, '--seed', String(seed)], repoRoot);
    const { lines, bytes } = await countLines(tmp);
    if (lines !== rows + 1) throw new Error(`${generator} wrote ${lines} lines to ${tmp}, expected ${rows + 1}`);
    await rename(tmp, out);
    return { file: out, bytes, generator, seconds: (performance.now() - t0) / 1000, cached: false };
  } finally {
    await rm(tmp, { force: true });
  }
}

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(args[0] ?? cmd)} exited with ${signal ?? code}`)),
    );
  });
}

/**
 * The CSV at `source` with every number but the first column's written as pandas writes a float64 holding a
 * float32 (a NumPy float32 array put in a DataFrame): `12.9851` becomes `12.985099792480469`, 16 or 17
 * significant digits. Cached at `out` (reused when it has as many lines as `source`).
 */
export async function ensureLongDigitsCsv(source: string, out: string): Promise<BenchInput> {
  const want = await countLines(source);
  if (existsSync(out)) {
    const { lines, bytes } = await countLines(out);
    if (lines === want.lines) return { file: out, bytes, generator: 'cache', seconds: 0, cached: true };
  }
  const tmp = `${out}.tmp-${process.pid}`;
  const t0 = performance.now();
  try {
    const lines = createInterface({ input: createReadStream(source), crlfDelay: Infinity });
    const writer = createWriteStream(tmp);
    let first = true;
    let pending: string[] = [];
    const flush = async (): Promise<void> => {
      if (!writer.write(pending.join(''))) await once(writer, 'drain');
      pending = [];
    };
    for await (const line of lines) {
      if (first) {
        pending.push(`${line}\n`);
        first = false;
        continue;
      }
      const cells = line.split(',');
      for (let c = 1; c < cells.length; c++) cells[c] = String(Math.fround(Number(cells[c])));
      pending.push(`${cells.join(',')}\n`);
      if (pending.length === 4096) await flush();
    }
    await flush();
    writer.end();
    await once(writer, 'close');
    const { lines: written, bytes } = await countLines(tmp);
    if (written !== want.lines) throw new Error(`wrote ${written} lines to ${tmp}, expected ${want.lines}`);
    await rename(tmp, out);
    return { file: out, bytes, generator: 'ensureLongDigitsCsv', seconds: (performance.now() - t0) / 1000, cached: false };
  } finally {
    await rm(tmp, { force: true });
  }
}
