import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CellType, ColumnTarget } from '@batchcast/csv';
import { parquetLayout, readParquetBatches } from '@batchcast/formats';
import { DuckDBInstance } from '@duckdb/node-api';
import { type FileMetaData, parquetMetadata } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The reader itself, for what only a damaged file can make it do.
import { FloatColumnReader } from '../src/parquet-floats.js';

// Number columns are decoded by our own page reader (parquet-floats.ts) when their layout allows, by hyparquet
// otherwise: both must give the values DuckDB wrote, whatever the compression, page version, row groups and
// nulls, and whichever slice of a row group a chunk is.

const ROWS = 30_000;
const SOURCE = `SELECT i::DOUBLE * 0.37::DOUBLE AS d, ((i % 97)::DOUBLE * 1.5::DOUBLE)::FLOAT AS f,
  CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 1000)::DOUBLE / 8 END AS dnull,
  (i % 5)::DOUBLE AS few, CASE WHEN i % 3 = 0 THEN NULL ELSE i % 13 END::INTEGER AS inull
  FROM range(0, ${ROWS}) t(i)`;
const expected = (i: number): number[] => [
  i * 0.37,
  (i % 97) * 1.5,
  i % 7 === 0 ? Number.NaN : (i % 1000) / 8,
  i % 5,
  i % 3 === 0 ? Number.NaN : i % 13,
];

/**
 * Reads every chunk of `file` (chunks of `chunkRows`, batches of `batchRows`) into `type` inputs, expecting no row
 * error and each row's five values as `expected` gives them (rounded to float32 for float32): the rows read.
 */
async function readAllAsExpected(file: string, type: 'float32' | 'float64', chunkRows: number, batchRows: number): Promise<number> {
  const layout = await parquetLayout(file, { chunkRows });
  const targets: ColumnTarget[] = [{ name: 'x', type: type satisfies CellType, columns: [0, 1, 2, 3, 4] }];
  const round = type === 'float32' ? Math.fround : (x: number) => x;
  let seen = 0;
  for (const chunk of layout.chunks) {
    for await (const batch of readParquetBatches(file, layout, chunk, targets, batchRows)) {
      expect(batch.errors).toEqual([]);
      const data = batch.data[0] as Float32Array | Float64Array;
      for (let r = 0; r < batch.count; r++) {
        expect([...data.subarray(r * 5, r * 5 + 5)]).toEqual(expected(batch.firstRow + r).map(round));
      }
      seen += batch.count;
    }
  }
  return seen;
}

const VARIANTS: Record<string, string> = {
  snappy: '',
  zstd: ', COMPRESSION zstd',
  uncompressed: ', COMPRESSION uncompressed',
  'pages v2': ', PARQUET_VERSION v2',
  'row groups of 7,000': ', ROW_GROUP_SIZE 7000',
};

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'batchcast-parquet-floats-'));
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    for (const [name, options] of Object.entries(VARIANTS)) {
      await c.run(`COPY (${SOURCE}) TO '${path.join(dir, `${name}.parquet`)}' (FORMAT parquet${options})`);
    }
  } finally {
    c.closeSync();
    db.closeSync();
  }
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.each(Object.keys(VARIANTS))('number columns of a DuckDB file, %s', (name) => {
  it.each(['float32', 'float64'] as const)(
    'read into %s inputs as DuckDB wrote them, null as NaN, in chunks that slice row groups',
    async (type) => {
      expect(await readAllAsExpected(path.join(dir, `${name}.parquet`), type, 4000, 1000)).toBe(ROWS);
    },
  );
});

describe('number columns of a file pandas wrote with its defaults (pyarrow: dictionary pages, statistics in page headers)', () => {
  it.each(['float32', 'float64'] as const)('read into %s inputs as pyarrow wrote them, null as NaN', async (type) => {
    // fixtures/make_pyarrow.py; its page headers hold binary min/max, a kind of field the reader skipped short.
    expect(await readAllAsExpected(path.join(import.meta.dirname, 'fixtures/pyarrow.parquet'), type, 1000, 700)).toBe(3000);
  });
});

describe('sizes a damaged footer or page header claims are refused before anything that large is allocated', () => {
  async function readerOf(edit: (metadata: FileMetaData) => void) {
    const bytes = await readFile(path.join(dir, 'snappy.parquet'));
    const metadata = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    edit(metadata);
    return new FloatColumnReader(metadata, async (into, position) => {
      into.set(bytes.subarray(position, position + into.length));
    });
  }

  it('a column chunk larger than its row group of numbers can take', async () => {
    const reader = await readerOf((m) => {
      m.row_groups[0]!.columns[0]!.meta_data!.total_compressed_size = 2n ** 40n;
    });
    await expect(reader.read(0, 'd', 0, 10, new Float64Array(10))).rejects.toThrow(
      /column "d", row group 0: its footer says 1099511627776 bytes for 30000 numbers; the file is damaged/,
    );
  });

  it('a page with more values than its row group has rows', async () => {
    const reader = await readerOf((m) => {
      m.row_groups[0]!.num_rows = 100n;
    });
    await expect(reader.read(0, 'd', 0, 10, new Float64Array(10))).rejects.toThrow(
      /column "d", row group 0: a page claims 30000 values in \d+ bytes, more than its row group of 100 rows holds/,
    );
  });
});
