import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CellType, ColumnTarget } from '@batchcast/csv';
import { parquetLayout, readParquetBatches } from '@batchcast/formats';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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
      const file = path.join(dir, `${name}.parquet`);
      const layout = await parquetLayout(file, { chunkRows: 4000 });
      const targets: ColumnTarget[] = [{ name: 'x', type: type satisfies CellType, columns: [0, 1, 2, 3, 4] }];
      const round = type === 'float32' ? Math.fround : (x: number) => x;
      let seen = 0;
      for (const chunk of layout.chunks) {
        for await (const batch of readParquetBatches(file, layout, chunk, targets, 1000)) {
          expect(batch.errors).toEqual([]);
          const data = batch.data[0] as Float32Array | Float64Array;
          for (let r = 0; r < batch.count; r++) {
            const want = expected(batch.firstRow + r).map(round);
            expect([...data.subarray(r * 5, r * 5 + 5)]).toEqual(want);
          }
          seen += batch.count;
        }
      }
      expect(seen).toBe(ROWS);
    },
  );
});
