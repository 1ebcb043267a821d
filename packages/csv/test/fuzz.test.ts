import fc from 'fast-check';
import { describe as group, expect, it } from 'vitest';
import { CsvFormatError, splitRecord, type ColumnTarget } from '../src/index.js';
import {
  collectBatches,
  collectChunkBatches,
  collectLayoutBatches,
  collectRecords,
  describe,
  mergeBatches,
  scanCuts,
  tempFile,
} from './helpers.js';

/** Characters that stress CSV: delimiters, quotes, line breaks, spaces, formula starts, multi-byte text. */
const nasty = fc.constantFrom('a', 'b', '1', '.', '-', ',', '"', '\n', '\r', ' ', 'é', '€', '💡', '=', ';', '\t');
const cellText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: nasty, maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }).filter((s) => !s.includes('\0')) },
);

interface Table {
  header: string[];
  rows: string[][];
}

const table: fc.Arbitrary<Table> = fc.integer({ min: 1, max: 5 }).chain((ncols) =>
  fc.record({
    header: fc.uniqueArray(
      cellText.filter((s) => s.trim() !== '' && (ncols > 1 || s.includes(',') || !/[;\t|]/.test(s))),
      { minLength: ncols, maxLength: ncols },
    ),
    rows: fc.array(fc.array(cellText, { minLength: ncols, maxLength: ncols }), { minLength: 1, maxLength: 12 }),
  }),
);

/** Serialises a table with random (valid) quoting, random LF/CRLF, blank lines, BOM, final newline. */
const serialised = table.chain((t) =>
  fc
    .record({
      bom: fc.boolean(),
      finalNewline: fc.boolean(),
      quoteDecisions: fc.array(fc.boolean(), { minLength: 200, maxLength: 200 }),
      crlf: fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }),
      blanks: fc.array(fc.constantFrom('', '', '', '\n', '\r\n', '\n\n'), { minLength: 20, maxLength: 20 }),
    })
    .map((s) => {
      let k = 0;
      const field = (v: string): string => {
        // Must quote: delimiters or line breaks inside, or a leading quote. May quote anything else.
        const must = /[,\r\n]/.test(v) || v.startsWith('"');
        const quote = must || s.quoteDecisions[k++ % 200]!;
        return quote ? `"${v.replaceAll('"', '""')}"` : v;
      };
      const line = (fields: string[]): string => {
        const text = fields.map(field).join(',');
        // A single empty unquoted field would be a blank line, which is not a record.
        return text === '' ? '""' : text;
      };
      const lines = [line(t.header), ...t.rows.map(line)];
      let out = s.bom ? '\uFEFF' : '';
      lines.forEach((l, i) => {
        out += l;
        if (i < lines.length - 1 || s.finalNewline) out += s.crlf[i % 20] ? '\r\n' : '\n';
        if (i > 0 && i < lines.length - 1) out += s.blanks[i % 20];
      });
      return { table: t, data: Buffer.from(out, 'utf8') };
    }),
);

const cuts = fc.array(fc.nat(), { maxLength: 8 });

/** More runs on demand: CSV_FUZZ_RUNS=20000 npx vitest run packages/csv/test/fuzz */
const runs = (n: number): number => Number(process.env.CSV_FUZZ_RUNS ?? n);

function stringTargets(ncols: number): ColumnTarget[] {
  return [{ name: 's', type: 'string', columns: Array.from({ length: ncols }, (_, i) => i) }];
}

group('fuzz: random tables round-trip', () => {
  it('scanner, readRecords and readBatches give back exactly the cells that were written', async () => {
    await fc.assert(
      fc.asyncProperty(
        serialised,
        cuts,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 40 }),
        async ({ table: t, data }, cutList, chunkRows, hwm) => {
          const outcome = scanCuts(
            data,
            cutList.map((c) => c % (data.length + 1)),
            { chunkRows },
          );
          if ('error' in outcome) throw new Error(`valid CSV rejected: ${outcome.error.message}\n${JSON.stringify(data.toString())}`);
          const layout = outcome.layout;
          expect(layout.header).toEqual(t.header);
          expect(layout.rows).toBe(t.rows.length);
          const path = tempFile(data);
          const records = await collectRecords(path, layout.dataStart, layout.bytes, hwm);
          expect(records.map(splitRecord)).toEqual(t.rows);
          const perChunk: string[][] = [];
          for (const c of layout.chunks) {
            const rs = await collectRecords(path, c.start, c.end, hwm);
            expect(rs.length).toBe(c.rows);
            perChunk.push(...rs.map(splitRecord));
          }
          expect(perChunk).toEqual(t.rows);
          const batches = await collectLayoutBatches(path, layout, {
            targets: stringTargets(t.header.length),
            batchSize: 3,
            highWaterMark: hwm,
          });
          const merged = mergeBatches(batches, 1);
          expect(merged.errors).toEqual([]);
          expect(merged.data[0]).toEqual(t.rows.flat());
        },
      ),
      { numRuns: runs(300) },
    );
  });
});

/** Random damage to valid CSV bytes. */
const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    byte: fc.constantFrom(0x22, 0x2c, 0x0a, 0x0d, 0x00, 0xff, 0xc3, 0x80, 0xe2, 0x3b, 0x20),
  }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 20 }) }),
);

interface Mutation {
  kind: string;
  at: number;
  byte?: number;
  len?: number;
}

function mutate(data: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(data);
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    if (m.kind === 'set' && at < b.length) b[at] = m.byte!;
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([m.byte!]), b.subarray(at)]);
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len!)]);
    else if (m.kind === 'truncate') b = b.subarray(0, at);
    else if (m.kind === 'duplicate') b = Buffer.concat([b.subarray(0, at + m.len!), b.subarray(at)]);
  }
  return b;
}

group('fuzz: damaged files', () => {
  it('the scanner either succeeds or throws CsvFormatError (same outcome for any pieces); readers never throw', async () => {
    await fc.assert(
      fc.asyncProperty(
        serialised,
        fc.array(mutation, { minLength: 1, maxLength: 5 }),
        cuts,
        fc.constantFrom(undefined, 8, 64),
        fc.constantFrom(undefined, 6, 16),
        fc.integer({ min: 1, max: 3 }),
        async ({ data }, ms, cutList, maxFieldBytes, maxHeaderBytes, chunkRows) => {
          const bad = mutate(data, ms);
          const opts = { chunkRows, maxFieldBytes, maxHeaderBytes, maxColumns: 4 };
          const whole = scanCuts(bad, [], opts);
          const pieces = scanCuts(
            bad,
            cutList.map((c) => c % (bad.length + 1)),
            opts,
          );
          expect(describe(pieces)).toEqual(describe(whole));
          if ('error' in whole) expect(whole.error).toBeInstanceOf(CsvFormatError);
          const path = tempFile(bad);
          const targets: ColumnTarget[] = [
            { name: 'f', type: 'float32', columns: [0] },
            { name: 'i', type: 'int32', columns: [1] },
            { name: 'b', type: 'bool', columns: [1] },
            { name: 'l', type: 'int64', columns: [0] },
            { name: 's', type: 'string', columns: [0, 1, 2] },
          ];
          // Whatever the scanner said, the readers are lenient: any byte range reads without throwing.
          const anyRange = await collectBatches(path, {
            start: 0,
            end: bad.length,
            firstRow: 0,
            header: ['x', 'y', 'z'],
            targets,
            batchSize: 4,
            highWaterMark: 7,
          });
          const n = mergeBatches(anyRange, targets.length).rows;
          expect((await collectRecords(path, 0, bad.length, 5)).length).toBe(n);
          if ('layout' in whole) {
            const layout = whole.layout;
            const ncols = layout.header.length;
            const t: ColumnTarget[] = [
              { name: 'f', type: 'float64', columns: [0] },
              { name: 's', type: 'string', columns: Array.from({ length: ncols }, (_, i) => i) },
            ];
            const all = mergeBatches(await collectLayoutBatches(path, layout, { targets: t, batchSize: 2, highWaterMark: 9 }), 2);
            expect(all.rows).toBe(layout.rows);
            const records = await collectRecords(path, layout.dataStart, layout.bytes, 4);
            expect(records.length).toBe(layout.rows);
            // Rows without errors hold exactly the record's fields.
            const failed = new Set(all.errors.map((e) => e.row));
            records.forEach((r, i) => {
              const fields = splitRecord(r);
              if (fields.length !== ncols) expect(failed.has(i)).toBe(true);
              else if (!failed.has(i)) expect(all.data[1]!.slice(i * ncols, (i + 1) * ncols)).toEqual(fields);
              else expect(all.data[1]!.slice(i * ncols, (i + 1) * ncols)).toEqual(fields.map(() => ''));
            });
            let sum = 0;
            for (const c of layout.chunks) {
              const part = mergeBatches(await collectChunkBatches(path, layout, c, { targets: t, batchSize: 2 }), 2);
              expect(part.rows).toBe(c.rows);
              sum += part.rows;
            }
            expect(sum).toBe(layout.rows);
          }
        },
      ),
      { numRuns: runs(400) },
    );
  });
});
