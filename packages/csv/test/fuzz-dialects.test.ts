import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ColumnTarget,
  type CsvDelimiter,
  type CsvDialect,
  type CsvLayout,
  readBatches,
  readRecords,
  splitRecord,
} from '../src/index.js';
import { mergeBatches, scanCuts, tempFile } from './helpers.js';

/*
 * The same table written with each delimiter must read back identically: same layout (but the dialect),
 * same records, same cells from readBatches, over every chunk — chunk boundaries included when quoted
 * fields hold delimiters and line breaks.
 */

const unit = fc.constantFrom('a', '1', '.', '-', ',', ';', '\t', '|', '"', '\n', '\r', ' ', 'é', '=');
const cell = fc.string({ unit, maxLength: 7 });

const table = fc.integer({ min: 1, max: 4 }).chain((ncols) =>
  fc.record({
    // Names without delimiters, so that no one-column header looks like a wrong-delimiter file.
    header: fc.uniqueArray(
      fc.string({ unit: fc.constantFrom('a', 'b', '1', ' ', 'é'), minLength: 1, maxLength: 4 }).filter((s) => s.trim() !== ''),
      {
        minLength: ncols,
        maxLength: ncols,
      },
    ),
    rows: fc.array(fc.array(cell, { minLength: ncols, maxLength: ncols }), { minLength: 1, maxLength: 10 }),
  }),
);

interface Layout {
  quote: boolean[];
  crlf: boolean;
  blank: string[];
  bom: boolean;
  finalNewline: boolean;
}

function serialise(t: { header: string[]; rows: string[][] }, d: CsvDelimiter, s: Layout): Buffer {
  let k = 0;
  const field = (v: string): string => {
    const must = v.includes(d) || v.includes('\n') || v.includes('\r') || v.startsWith('"');
    return must || s.quote[k++ % s.quote.length] ? `"${v.replaceAll('"', '""')}"` : v;
  };
  const line = (fields: string[]): string => {
    const text = fields.map(field).join(d);
    return text === '' ? '""' : text;
  };
  const nl = s.crlf ? '\r\n' : '\n';
  const lines = [line(t.header), ...t.rows.map(line)];
  let out = s.bom ? '\uFEFF' : '';
  lines.forEach((l, i) => {
    out += l;
    if (i < lines.length - 1 || s.finalNewline) out += nl;
    if (i > 0 && i < lines.length - 1) out += s.blank[i % s.blank.length];
  });
  return Buffer.from(out);
}

async function readAll(path: string, layout: CsvLayout, hwm: number) {
  const dialect: Partial<CsvDialect> = layout;
  const ncols = layout.header.length;
  const targets: ColumnTarget[] = [{ name: 's', type: 'string', columns: Array.from({ length: ncols }, (_, i) => i) }];
  const records: string[][] = [];
  const cells: unknown[] = [];
  const chunkRows: number[] = [];
  for (const c of layout.chunks) {
    let n = 0;
    for await (const rs of readRecords(path, { start: c.start, end: c.end, highWaterMark: hwm, dialect })) {
      records.push(...rs.map((r) => splitRecord(r, dialect)));
      n += rs.length;
    }
    chunkRows.push(n);
    const batches = [];
    for await (const b of readBatches(path, {
      start: c.start,
      end: c.end,
      firstRow: c.firstRow,
      header: layout.header,
      targets,
      batchSize: 2,
      highWaterMark: hwm,
      dialect,
    })) {
      batches.push(b);
    }
    const merged = mergeBatches(batches, 1);
    expect(merged.errors).toEqual([]);
    cells.push(...merged.data[0]!);
  }
  return { records, cells, chunkRows };
}

describe('fuzz: every delimiter reads back what the comma file reads', () => {
  it('same records and cells, per chunk, for `;`, tab and `|` as for `,`', async () => {
    await fc.assert(
      fc.asyncProperty(
        table,
        fc.record({
          quote: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
          crlf: fc.boolean(),
          blank: fc.array(fc.constantFrom('', '', '\n', '\r\n'), { minLength: 4, maxLength: 4 }),
          bom: fc.boolean(),
          finalNewline: fc.boolean(),
        }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        async (t, style, chunkRows, hwm, cuts) => {
          let reference: Awaited<ReturnType<typeof readAll>> | null = null;
          for (const d of [',', ';', '\t', '|'] as const) {
            const data = serialise(t, d, style);
            const opts = { chunkRows, dialect: { delimiter: d } };
            const outcome = scanCuts(
              data,
              cuts.map((c) => c % (data.length + 1)),
              opts,
            );
            if ('error' in outcome)
              throw new Error(`${JSON.stringify(d)}: valid file refused: ${outcome.error.message}\n${JSON.stringify(data.toString())}`);
            const layout = outcome.layout;
            expect(layout.header).toEqual(t.header);
            expect(layout.rows).toBe(t.rows.length);
            expect(layout.delimiter).toBe(d === ',' ? undefined : d);
            const got = await readAll(tempFile(data), layout, hwm);
            expect(got.records).toEqual(t.rows);
            expect(got.chunkRows).toEqual(layout.chunks.map((c) => c.rows));
            if (reference === null) reference = got;
            else expect(got).toEqual(reference);
          }
        },
      ),
      { numRuns: Number(process.env.CSV_FUZZ_RUNS ?? 200) },
    );
  });
});
