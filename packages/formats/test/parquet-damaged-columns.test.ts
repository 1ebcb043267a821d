import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ByteSource, ColumnTarget } from '@batchcast/csv';
import { FormatError, type ParquetLayout, parquetLayout, readParquetBatches, readParquetRows } from '@batchcast/formats';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memorySource } from './helpers.js';

/**
 * The results carry every column of a Parquet upload, the model's inputs only some: a page of another column
 * that cannot be read must fail the scoring of its chunk (so the job fails naming the column), not let the
 * job succeed with results no download can make. Files written by DuckDB, damaged a byte at a time.
 */
let dir: string;
let duck: DuckDBConnection;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parquet-damaged-'));
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** x and y (the inputs), then columns of every common kind that no input uses. */
async function writeFile3000(name: string, options: string): Promise<Buffer> {
  const file = join(dir, name);
  await duck.run(
    `copy (select (i % 7)::double as x, (i * 0.5)::double as y, 'note ' || (i % 13) as rep, 'id-' || i as txt,
       case when i % 5 = 0 then null else i * 3 end as n64, i % 2 = 0 as flag, date '2020-01-01' + (i % 30)::int as d,
       (i / 7)::decimal(10,2) as dec
     from range(3000) t(i)) to '${file}' (format parquet, row_group_size 2048, ${options})`,
  );
  return readFile(file);
}

const INPUTS: ColumnTarget[] = [{ name: 'in', type: 'float32', columns: [0, 1] }];

async function failure(read: () => Promise<void>): Promise<FormatError | null> {
  try {
    await read();
    return null;
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(FormatError);
    return err as FormatError;
  }
}

const scoring = (source: ByteSource, layout: ParquetLayout) =>
  failure(async () => {
    for (const chunk of layout.chunks) for await (const _ of readParquetBatches(source, layout, chunk, INPUTS, 512));
  });
const results = (source: ByteSource, layout: ParquetLayout) =>
  failure(async () => {
    for (const chunk of layout.chunks) for await (const _ of readParquetRows(source, layout, chunk));
  });

/** Where each row group's column chunks of the columns no input uses are in the file. */
function unusedChunks(bytes: Buffer): { column: string; start: number; length: number }[] {
  const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer);
  return meta.row_groups.flatMap((g) =>
    g.columns.slice(2).map((c) => {
      const m = c.meta_data!;
      return {
        column: m.path_in_schema[0]!,
        start: Number(m.dictionary_page_offset || m.data_page_offset),
        length: Number(m.total_compressed_size),
      };
    }),
  );
}

describe('a Parquet column the model does not use', () => {
  it('is read with the inputs: a page of it that cannot be read fails the chunk, naming the column', async () => {
    const bytes = await writeFile3000('header.parquet', 'compression snappy');
    const layout = await parquetLayout(memorySource(bytes), { chunkRows: 1000, size: bytes.length });
    expect(await scoring(memorySource(bytes), layout)).toBeNull();
    expect(await results(memorySource(bytes), layout)).toBeNull();
    // The text column's page header in the second row group, overwritten with zeros (as a tester's file had it).
    const txt = unusedChunks(bytes).filter((c) => c.column === 'txt')[1]!;
    const damaged = Buffer.from(bytes);
    damaged.fill(0, txt.start, txt.start + 8);
    const err = (await scoring(memorySource(damaged), layout))!;
    expect(err.code).toBe('invalid_parquet');
    expect(err.message).toMatch(/^column "txt" of the Parquet file cannot be read \(row group 1: .+\); write the file again/);
    // The first row group's chunks still read: only the damaged group's chunk fails.
    for (const chunk of layout.chunks.filter((c) => c.firstRow < 2048))
      for await (const b of readParquetBatches(memorySource(damaged), layout, chunk, INPUTS, 512)) expect(b.errors).toEqual([]);
    expect((await results(memorySource(damaged), layout))?.message).toMatch(/^column "txt"/);
  });

  // Bytes of every unused column's chunks changed three ways (each of the first 24, where the page headers and
  // levels are, then 16 spread over the rest), in files of both page versions and several codecs: whatever the
  // scoring reads, the results read too (the converse need not hold: the scoring also refuses damage hyparquet
  // lets through, such as a dictionary index past the dictionary's end).
  for (const [name, options] of [
    ['gzip, pages v1', 'compression gzip'],
    ['snappy, pages v2', "compression snappy, parquet_version 'v2'"],
    ['uncompressed', 'compression uncompressed'],
  ] as const) {
    it(`changed a byte at a time (${name}): a file the scoring reads is one its results read`, async () => {
      const bytes = await writeFile3000(`${name.replace(/\W+/g, '-')}.parquet`, options);
      const counts = { bothRead: 0, bothRefused: 0, scoringRefusedOnly: 0 };
      for (const chunk of unusedChunks(bytes)) {
        const spread = Array.from({ length: 16 }, (_, i) => 24 + Math.floor(((chunk.length - 24) * i) / 16));
        const offsets = [...new Set([...Array.from({ length: 24 }, (_, i) => i), ...spread])].filter((o) => o < chunk.length);
        for (const at of offsets.map((o) => chunk.start + o)) {
          for (const change of [(b: number) => b ^ 0xff, () => 0, (b: number) => (b + 1) & 0xff]) {
            const damaged = Buffer.from(bytes);
            damaged[at] = change(damaged[at]!);
            const source = memorySource(damaged);
            const layout = await parquetLayout(source, { chunkRows: 1000, size: damaged.length });
            const scored = await scoring(source, layout);
            if (scored !== null) {
              expect(scored.code).toBe('invalid_parquet');
              expect(scored.message).toContain(`column "${chunk.column}" of the Parquet file cannot be read`);
              // Reading the results of a file the scoring refuses could abort Node (see ColumnPageCheck): not tried.
              counts.bothRefused++;
              continue;
            }
            const read = await results(source, layout);
            expect(read?.message ?? null, `byte ${at - chunk.start} of ${chunk.column}'s chunk`).toBeNull();
            counts.bothRead++;
          }
        }
      }
      // Both outcomes occur (the test would prove nothing if every change were harmless, or every one refused).
      expect(counts.bothRead).toBeGreaterThan(100);
      expect(counts.bothRefused).toBeGreaterThan(100);
    }, 120_000);
  }
});

describe('a damaged run of repeated values', () => {
  it('is refused by the page walk, naming its row group, before hyparquet reads the page', async () => {
    // A run header saying 2^30 repeated values: hyparquet writes each into a JS array it grows (a fuzzed file
    // with a run of 177M values aborted Node with a fatal error). Made by changing a run header of DuckDB's
    // page of a text column with one repeated value.
    const file = join(dir, 'run.parquet');
    await duck.run(
      `copy (select i::double as x, i::double as y, 'same' as rep from range(100) t(i)) to '${file}' (format parquet, compression uncompressed)`,
    );
    const bytes = await readFile(file);
    const [rep] = unusedChunks(bytes);
    const page = bytes.subarray(rep!.start, rep!.start + rep!.length);
    // The data page's values: bit width 0 means every index is 0 with no run at all; DuckDB writes width 0
    // or 1 for one value. Find the width byte followed by an RLE run header of 100 (varint 200 = 0xc8 0x01).
    const at = page.indexOf(Buffer.from([0xc8, 0x01]));
    expect(at).toBeGreaterThan(0);
    const damaged = Buffer.from(bytes);
    // 2^30 repeated values: varint of 2^31 (header = count << 1).
    Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08]).copy(damaged, rep!.start + at);
    await writeFile(join(dir, 'run-damaged.parquet'), damaged);
    const source = memorySource(damaged);
    const layout = await parquetLayout(source, { chunkRows: 1000, size: damaged.length });
    const err = (await results(source, layout)) ?? (await scoring(source, layout));
    expect(err?.message).toMatch(/^column "rep" of the Parquet file cannot be read \(row group 0: /);
  });
});
