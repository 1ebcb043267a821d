/**
 * results.xlsx says its size: the sheet's `<dimension>` covers the header and every row, as wide as the header.
 * Without it openpyxl's read-only mode (what pandas and streaming readers use) called the sheet "unsized" and gave
 * each row only up to its last non-empty cell, so a scored row (its `error` cell empty) was shorter than the header
 * and `DataFrame(rows[1:], columns=rows[0])` failed.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { type Cell, type ResultColumn, writeResultsXlsx } from '@batchcast/formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { python, sink } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'batchcast-xlsx-dimension-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const COLUMNS: ResultColumn[] = [
  { name: 'id', type: 'string' },
  { name: 'x', type: 'double' },
  { name: 'prediction', type: 'string' },
  { name: 'probability_a', type: 'double' },
  { name: 'error', type: 'string' },
];

/** `n` rows: every third one failed (no prediction, an error), the others scored (no error: the row ends early). */
function rows(n: number): Cell[][] {
  return Array.from({ length: n }, (_, i) =>
    i % 3 === 2 ? [`r${i}`, 'abc', null, null, 'column "x": "abc" is not a number'] : [`r${i}`, String(i / 2), 'a', '0.5', null],
  );
}

async function written(n: number): Promise<string> {
  const path = join(dir, `results-${n}.xlsx`);
  const out = createWriteStream(path);
  const all = rows(n);
  await writeResultsXlsx(
    out,
    {
      columns: COLUMNS,
      rows: (async function* () {
        for (let i = 0; i < all.length; i += 100) yield all.slice(i, i + 100);
      })(),
    },
    { rows: n },
  );
  await finished(out);
  return path;
}

describe('results.xlsx', () => {
  it("says its size in the sheet's <dimension>: the header and every row, as wide as the header", async () => {
    const path = await written(250);
    const sheet = python('import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read("xl/worksheets/sheet1.xml").decode())', path);
    expect(sheet).toContain('<dimension ref="A1:E251"/>');
    // Where the schema puts it: before the sheet views and the rows.
    expect(sheet.indexOf('<dimension ')).toBeLessThan(sheet.indexOf('<sheetViews>'));
  });

  it('is read by openpyxl read-only as sized: every row as long as the header, a DataFrame of it as pandas makes one', async () => {
    const path = await written(250);
    const out = JSON.parse(
      python(
        `
import json, sys, warnings
import pandas as pd
from openpyxl import load_workbook
ws = load_workbook(sys.argv[1], read_only=True).active
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    dimension = ws.calculate_dimension()
rows = [list(r) for r in ws.iter_rows(values_only=True)]
frame = pd.DataFrame(rows[1:], columns=rows[0])
print(json.dumps({"dimension": dimension, "max_row": ws.max_row, "max_column": ws.max_column,
                  "lengths": sorted(set(len(r) for r in rows)), "shape": list(frame.shape), "first": rows[1], "failed": rows[3],
                  "warnings": [str(w.message) for w in caught]}))
`,
        path,
      ),
    );
    expect(out).toMatchObject({ dimension: 'A1:E251', max_row: 251, max_column: 5, lengths: [5], shape: [250, 5], warnings: [] });
    expect(out.first).toEqual(['r0', 0, 'a', 0.5, null]);
    expect(out.failed).toEqual(['r2', 'abc', null, null, 'column "x": "abc" is not a number']);
  });

  it('refuses to end a sheet whose rows are not the count its dimension was written for', async () => {
    const out = sink();
    const err = await writeResultsXlsx(
      out.stream,
      {
        columns: COLUMNS,
        rows: (async function* () {
          yield rows(3);
        })(),
      },
      { rows: 4 },
    ).catch((e: unknown) => e);
    expect((err as Error).message).toBe('the results have 3 rows, not the 4 their .xlsx sheet was sized for');
  });
});
