// The bench's CSV in the other input formats the issue asks about: gzip (node:zlib, level 6) and Parquet
// written by DuckDB (a writer other than ours, with its defaults), each cached beside the CSV in bench/out/.
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';

export interface FormatFile {
  file: string;
  bytes: number;
  /** How it was made, for the report. */
  how: string;
  seconds: number;
  cached: boolean;
  /** Parquet: row groups and their largest row count, and the compression DuckDB chose. */
  rowGroups?: number;
  rowGroupRows?: number;
  compression?: string;
}

/** A cached file is reused only when it is newer than the CSV it was made from. */
async function newerThan(file: string, csv: string): Promise<boolean> {
  try {
    return (await stat(file)).mtimeMs >= (await stat(csv)).mtimeMs;
  } catch {
    return false;
  }
}

/** gzip's trailer ends with the input's size modulo 2^32: a cheap check that a cached file is the whole CSV. */
async function gzipInputSize(file: string): Promise<number> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const tail = Buffer.alloc(4);
    await fh.read(tail, 0, 4, size - 4);
    return tail.readUInt32LE(0);
  } finally {
    await fh.close();
  }
}

/** `csv` compressed with node:zlib's gzip at the default level (6), cached at `${csv}.gz`. */
export async function ensureGzip(csv: string): Promise<FormatFile> {
  const out = `${csv}.gz`;
  const how = 'node:zlib gzip, level 6';
  const csvBytes = (await stat(csv)).size;
  if ((await newerThan(out, csv)) && (await gzipInputSize(out)) === csvBytes % 2 ** 32) {
    return { file: out, bytes: (await stat(out)).size, how, seconds: 0, cached: true };
  }
  const tmp = `${out}.tmp-${process.pid}`;
  const t0 = performance.now();
  try {
    await pipeline(
      createReadStream(csv, { highWaterMark: 1 << 20 }),
      createGzip({ level: constants.Z_DEFAULT_COMPRESSION }),
      createWriteStream(tmp),
    );
    await rename(tmp, out);
  } finally {
    await rm(tmp, { force: true });
  }
  return { file: out, bytes: (await stat(out)).size, how, seconds: (performance.now() - t0) / 1000, cached: false };
}

const sqlText = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/**
 * `csv` as Parquet written by DuckDB with its defaults (snappy, row groups of 122,880 rows; column types
 * from read_csv's detection), cached at `csv` with `.parquet` for `.csv`. Reused when it holds `rows` rows.
 */
export async function ensureParquet(csv: string, rows: number): Promise<FormatFile> {
  const out = csv.replace(/\.csv$/, '.parquet');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const facts = async (file: string) => {
      const meta = await c.runAndReadAll(`SELECT num_rows::BIGINT AS rows FROM parquet_file_metadata(${sqlText(file)})`);
      const groups = await c.runAndReadAll(
        `SELECT count(DISTINCT row_group_id)::INTEGER AS groups, max(row_group_num_rows)::BIGINT AS biggest,
                string_agg(DISTINCT compression, ',') AS compression
         FROM parquet_metadata(${sqlText(file)})`,
      );
      const g = groups.getRowObjects()[0] ?? {};
      return {
        rows: Number(meta.getRowObjects()[0]?.rows),
        groups: Number(g.groups),
        biggest: Number(g.biggest),
        compression: String(g.compression),
      };
    };
    let cached = false;
    let seconds = 0;
    if (await newerThan(out, csv)) cached = (await facts(out).catch(() => null))?.rows === rows;
    if (!cached) {
      const tmp = `${out}.tmp-${process.pid}`;
      const t0 = performance.now();
      try {
        await c.run(`COPY (SELECT * FROM read_csv(${sqlText(csv)})) TO ${sqlText(tmp)} (FORMAT parquet)`);
        await rename(tmp, out);
      } finally {
        await rm(tmp, { force: true });
      }
      seconds = (performance.now() - t0) / 1000;
    }
    const f = await facts(out);
    if (f.rows !== rows) throw new Error(`${out} holds ${f.rows} rows, expected ${rows}`);
    return {
      file: out,
      bytes: (await stat(out)).size,
      how: 'DuckDB COPY ... (FORMAT parquet), its defaults',
      seconds,
      cached,
      rowGroups: f.groups,
      rowGroupRows: f.biggest,
      compression: f.compression,
    };
  } finally {
    c.closeSync();
    db.closeSync();
  }
}
