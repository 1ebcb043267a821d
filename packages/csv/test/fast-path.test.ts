import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BatchParserOptions } from '../src/batch-parser.js';
import { type ReadBatchesOptions, readBatchesWith } from '../src/read-batches.js';
import type { ColumnTarget, CsvDecimal, CsvDelimiter, CsvDialect, RecordBatch } from '../src/index.js';
import { tempFile } from './helpers.js';

/*
 * The all-float fast paths (parseFloatRecords in JavaScript, its WebAssembly twin) must give exactly what
 * the general cell-by-cell path gives — same bits in the typed arrays, same row errors — for every file,
 * dialect, block size and batch size. The general path's own rules are tested in read-batches.test.ts.
 */

const PATHS: Record<string, BatchParserOptions> = {
  wasm: {},
  js: { wasm: false },
  general: { fast: false },
};

async function readWith(path: string, opts: ReadBatchesOptions, paths: BatchParserOptions): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const b of readBatchesWith(path, opts, paths)) out.push(b);
  return out;
}

/** Batches in a form where equal means bit-identical (NaN payloads included). */
function comparable(batches: RecordBatch[]): unknown {
  return batches.map((b) => ({
    firstRow: b.firstRow,
    count: b.count,
    data: b.data.map((d) => (Array.isArray(d) ? d : Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex'))),
    errors: b.errors,
  }));
}

/** Reads with every path and checks they agree; returns the general path's batches. */
async function allPathsAgree(
  data: string | Buffer,
  opts: Omit<ReadBatchesOptions, 'start' | 'end'> & { start?: number },
): Promise<RecordBatch[]> {
  const buf = Buffer.from(data);
  const path = tempFile(buf);
  const full = { start: 0, end: buf.length, ...opts };
  const reference = await readWith(path, full, PATHS.general!);
  for (const name of ['wasm', 'js']) {
    const got = await readWith(path, full, PATHS[name]!);
    expect(comparable(got), `${name} path differs from the general path`).toEqual(comparable(reference));
  }
  return reference;
}

const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });

/** Number-ish cells of every shape the fast paths must take or hand over, written with decimal `dec`. */
function numberCell(dec: CsvDecimal): fc.Arbitrary<string> {
  const thousands = dec === ',' ? '.' : ',';
  return fc.oneof(
    {
      weight: 10,
      arbitrary: fc
        .tuple(fc.constantFrom('', '-', '+'), digits(0, 9), fc.boolean(), digits(0, 9))
        .map(([s, i, d, f]) => s + i + (d ? dec : '') + f),
    },
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom('', '-'), digits(1, 12), digits(1, 12)).map(([s, i, f]) => `${s}${i}${dec}${f}`) },
    { weight: 2, arbitrary: fc.double({ noNaN: true }).map((x) => String(x).replace('.', dec)) },
    { weight: 2, arbitrary: fc.constant('') },
    {
      weight: 1,
      arbitrary: fc.constantFrom('NaN', 'inf', '-Infinity', ' 1', '2 ', '1e5', `1${dec}5E-3`, '-', '+', dec, `-${dec}`, 'abc', '0x1'),
    },
    // pandas' missing-value markers (NaN for every path), and near misses that stay refused.
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'NA',
        'NULL',
        '#N/A',
        '#N/A N/A',
        '<NA>',
        'None',
        'n/a',
        '-nan',
        '-1.#IND',
        '1.#QNAN',
        'na',
        ' NA',
        'Null',
        '?',
        'nil',
      ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(digits(1, 3), digits(3, 3), digits(0, 2)).map(([a, b, f]) => `${a}${thousands}${b}${f ? dec + f : ''}`),
    },
    { weight: 1, arbitrary: fc.tuple(digits(1, 3), digits(1, 4)).map(([a, b]) => `${a}${thousands}${b}`) },
  );
}

const dialects: fc.Arbitrary<CsvDialect> = fc
  .record({ delimiter: fc.constantFrom<CsvDelimiter>(',', ';', '\t', '|'), decimal: fc.constantFrom<CsvDecimal>('.', ',') })
  .map((d) => (d.delimiter === ',' ? { delimiter: ',', decimal: '.' } : d));

/** A field for the file: quoted when it must be, sometimes when it need not. */
function field(v: string, d: CsvDialect, quote: boolean): string {
  const must = v.includes(d.delimiter) || v.includes('"') || v.includes('\n') || v.includes('\r');
  return must || quote ? `"${v.replaceAll('"', '""')}"` : v;
}

const idCell = fc.oneof(
  fc.string({ unit: fc.constantFrom('R', '1', ' ', '"', ',', ';', '\t', '|', '\n', 'é'), maxLength: 6 }),
  fc.nat().map((n) => `R${n}`),
);

const numericFile = dialects.chain((dialect) =>
  fc.record({
    dialect: fc.constant(dialect),
    ncols: fc.integer({ min: 1, max: 6 }),
    rows: fc.array(fc.tuple(idCell, fc.array(numberCell(dialect.decimal), { minLength: 0, maxLength: 8 })), {
      minLength: 1,
      maxLength: 30,
    }),
    quotes: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
    crlf: fc.boolean(),
    blank: fc.array(fc.constantFrom('', '', '', '\n', '\r\n'), { minLength: 8, maxLength: 8 }),
    finalNewline: fc.boolean(),
    ragged: fc.boolean(),
  }),
);

/** The 19-digit texts on either side of the halfway point between the double d (1 <= d < 10^6) and the next. */
function nearDoubleTie(d: number): string[] {
  const bits = new BigUint64Array(new Float64Array([d]).buffer)[0]!;
  const exponent = Number((bits >> 52n) & 0x7ffn) - 1075;
  const halfway = (((bits & 0xfffffffffffffn) | 0x10000000000000n) * 2n + 1n) * 5n ** BigInt(1 - exponent);
  // halfway * 10^(exponent - 1) is the tie exactly: its digits, the point 1 - exponent places from the right.
  const text = halfway.toString();
  const point = text.length - (1 - exponent);
  const below = BigInt(text.slice(0, 19));
  return [below, below + 1n].map((m) => {
    const t = m.toString();
    return `${t.slice(0, point)}.${t.slice(point)}`;
  });
}

describe('fast paths agree with the general path', () => {
  it('random numeric files in every dialect, any block and batch size, one or several targets', async () => {
    await fc.assert(
      fc.asyncProperty(
        numericFile,
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom('float32', 'float64', 'two', 'subset'),
        async (f, hwm, batchSize, shape) => {
          const d = f.dialect;
          let k = 0;
          const nl = f.crlf ? '\r\n' : '\n';
          const lines = f.rows.map(([id, cells], r) => {
            // Most rows have the header's field count; a ragged file also has rows with more or fewer.
            const n = f.ragged ? cells.length : f.ncols;
            const row = Array.from({ length: n }, (_, c) => cells[c % Math.max(cells.length, 1)] ?? '');
            return [id, ...row].map((v) => field(v, d, f.quotes[k++ % 64]!)).join(d.delimiter) + (f.blank[r % 8] ?? '');
          });
          const text = `${lines.join(nl)}${f.finalNewline ? nl : ''}`;
          const header = ['id', ...Array.from({ length: f.ncols }, (_, c) => `x${c}`)];
          const cols = Array.from({ length: f.ncols }, (_, c) => c + 1);
          const targets: ColumnTarget[] =
            shape === 'two' && f.ncols > 1
              ? [
                  { name: 'a', type: 'float32', columns: cols.slice(0, 1) },
                  { name: 'b', type: 'float64', columns: cols.slice(1) },
                ]
              : [
                  {
                    name: 'x',
                    type: shape === 'float64' ? 'float64' : 'float32',
                    columns: shape === 'subset' ? cols.filter((c) => c % 2 === 1).reverse() : cols,
                  },
                ];
          await allPathsAgree(text, { firstRow: 0, header, targets, batchSize, highWaterMark: hwm, dialect: d });
        },
      ),
      { numRuns: Number(process.env.CSV_FUZZ_RUNS ?? 300) },
    );
  });

  it('damaged numeric files (stray quotes, line breaks, separators, bytes): the paths still agree and never throw', async () => {
    const damage = fc.array(
      fc.record({
        at: fc.nat(),
        byte: fc.constantFrom(0x22, 0x0d, 0x0a, 0x2c, 0x3b, 0x09, 0x7c, 0x2e, 0x2d, 0x30, 0x39, 0x20, 0x00, 0xff, 0x65),
        insert: fc.boolean(),
      }),
      { minLength: 1, maxLength: 6 },
    );
    await fc.assert(
      fc.asyncProperty(numericFile, damage, fc.integer({ min: 1, max: 40 }), async (f, hits, hwm) => {
        const d = f.dialect;
        const text = f.rows.map(([id, cells]) => [id.replaceAll('"', ''), ...cells.slice(0, f.ncols)].join(d.delimiter)).join('\n');
        let bytes = Buffer.from(text);
        for (const h of hits) {
          const at = h.at % (bytes.length + 1);
          bytes =
            h.insert || at >= bytes.length
              ? Buffer.concat([bytes.subarray(0, at), Buffer.from([h.byte]), bytes.subarray(at)])
              : Buffer.concat([bytes.subarray(0, at), Buffer.from([h.byte]), bytes.subarray(at + 1)]);
        }
        const header = ['id', ...Array.from({ length: f.ncols }, (_, c) => `x${c}`)];
        const cols = Array.from({ length: f.ncols }, (_, c) => c + 1);
        await allPathsAgree(bytes, {
          firstRow: 0,
          header,
          targets: [{ name: 'x', type: 'float32', columns: cols }],
          batchSize: 3,
          highWaterMark: hwm,
          dialect: d,
        });
      }),
      { numRuns: Number(process.env.CSV_FUZZ_RUNS ?? 300) },
    );
  });

  it("pandas' missing-value markers are NaN on every path, among numbers the fast paths take, in every dialect", async () => {
    const markers = ['NA', 'NULL', 'null', 'N/A', 'n/a', '#N/A', '#N/A N/A', '#NA', '<NA>', 'None', 'NaN', 'nan', '-NaN', '-nan'];
    const more = ['1.#IND', '-1.#IND', '1.#QNAN', '-1.#QNAN'];
    for (const d of [
      { delimiter: ',', decimal: '.' },
      { delimiter: ';', decimal: ',' },
      { delimiter: '\t', decimal: '.' },
      { delimiter: '|', decimal: ',' },
    ] as CsvDialect[]) {
      const cells = [...markers, ...more];
      const text = `id${d.delimiter}v${d.delimiter}w\n${cells.map((c, i) => [`r${i}`, `1${d.decimal}5`, c].join(d.delimiter)).join('\n')}\n`;
      for (const type of ['float32', 'float64'] as const) {
        const batches = await allPathsAgree(text, {
          start: 7,
          firstRow: 0,
          header: ['id', 'v', 'w'],
          targets: [{ name: 'x', type, columns: [1, 2] }],
          batchSize: 5,
          dialect: d,
        });
        expect(batches.flatMap((b) => b.errors)).toEqual([]);
        expect(batches.flatMap((b) => Array.from(b.data[0] as Float32Array))).toEqual(cells.flatMap(() => [1.5, NaN]));
      }
    }
  });

  it('edge cells: 15 and 16 digits, signs, zeros, lone separators, exponents, spaces', async () => {
    const cells = [
      '123456789012345',
      '1234567890123456',
      '0.00000000000001',
      '-0',
      '-0.0',
      '.5',
      '5.',
      '.',
      '-',
      '+.5',
      '00012.5000',
      '1e3',
      ' 7',
      '7 ',
      '',
      '"3.5"',
      '9007199254740993',
      '0.1',
      '16777217',
    ];
    const text = `id,v\n${cells.map((c, i) => `r${i},${c}`).join('\n')}\n`;
    for (const type of ['float32', 'float64'] as const) {
      const batches = await allPathsAgree(text, {
        start: 5,
        firstRow: 0,
        header: ['id', 'v'],
        targets: [{ name: 'v', type, columns: [1] }],
        batchSize: 4,
      });
      const values = batches.flatMap((b) => Array.from(b.data[0] as Float32Array));
      const expected = [
        123456789012345,
        1234567890123456,
        1e-14,
        -0,
        -0,
        0.5,
        5,
        NaN,
        NaN,
        0.5,
        12.5,
        1000,
        7,
        7,
        NaN,
        3.5,
        9007199254740992,
        0.1,
        16777217,
      ];
      expect(values).toEqual(type === 'float32' ? expected.map(Math.fround) : expected);
      expect(batches.flatMap((b) => b.errors.map((e) => e.row))).toEqual([7, 8]);
    }
  });

  it("numbers of 16 to 19 digits and exponents (pandas' float64 text): what Number() gives, also next to a tie", async () => {
    // The WebAssembly kernel reads these itself for float32 targets (an approximation it can prove rounds to
    // one float32) and hands the rest to the general path: ties between two float32s and the doubles
    // beside them, where the approximation could round either way, and every one into float64.
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const bits = new Float32Array(1);
    const word = new Uint32Array(bits.buffer);
    const cells: string[] = [];
    for (let k = 0; k < 400; k++) {
      cells.push(String(random() * 10 ** Math.floor(random() * 8)));
      // The double halfway between a float32 and the next, and the doubles on either side of it.
      bits[0] = random() * 10 ** Math.floor(random() * 6);
      const a = bits[0]!;
      word[0]! += 1;
      const tie = (a + bits[0]!) / 2;
      const [below, above] = [tie - tie * 2 ** -53, tie + tie * 2 ** -53];
      cells.push(String(tie), String(below), String(above), `-${tie}`);
    }
    // 19-digit texts just below and just above the halfway point between a double and the next (for
    // float64 targets the tie that m / 10^k rounded twice gets wrong about half the time), and random ones.
    for (let k = 0; k < 200; k++) cells.push(...nearDoubleTie(random() * 10 ** Math.floor(random() * 6)));
    for (let k = 0; k < 200; k++) {
      const digits = Array.from({ length: 19 }, () => Math.floor(random() * 10)).join('');
      const point = 1 + Math.floor(random() * 7);
      cells.push(`${digits.slice(0, point)}.${digits.slice(point)}`.replace(/^0+(?=\d)/, ''));
    }
    cells.push('1234567890123456', '12345678901234567', '123456789012345678', '1234567890123456789', '12345678901234567890');
    cells.push('0.000000000000000001', '0.0000000000000000012345', '-9999999999999999999', '99999999999999999999');
    // Leading zeros are not significant digits: 17 and 19 of them after 3 zeros, 20 (too many for the kernel).
    for (let k = 0; k < 100; k++) cells.push(String(random() * 10 ** -(1 + (k % 5))));
    cells.push('0.0001234567890123456789', '-0.0009999999999999999999', '0.00012345678901234567891', '000012345678901234567.5');
    // Exponents, as pandas (5e-05, 1.2345678901234567e-05) and JavaScript (1e+21) write them, and past the edges.
    for (let k = 0; k < 100; k++) {
      const x = random() * 10 ** -Math.floor(random() * 12);
      cells.push(x.toExponential(), x.toExponential(4).replace(/e-(\d)$/, 'e-0$1'), `${Math.floor(random() * 1e6)}E+${k % 25}`);
    }
    cells.push('1e22', '1e23', '1e-22', '1e-23', '1.5e-0', '7E+000', '7e0001', '-1.25e2', '9e38', '9e-46');
    const ncols = 5;
    const rows: string[][] = [];
    for (let i = 0; i < cells.length; i += ncols) rows.push(Array.from({ length: ncols }, (_, c) => cells[i + c] ?? ''));
    const text = rows.map((r, i) => [`R${i}`, ...r].join(',')).join('\n');
    const header = ['id', ...Array.from({ length: ncols }, (_, c) => `x${c}`)];
    for (const type of ['float32', 'float64'] as const) {
      const batches = await allPathsAgree(text, {
        firstRow: 0,
        header,
        targets: [{ name: 'x', type, columns: [1, 2, 3, 4, 5] }],
        batchSize: 64,
      });
      const values = batches.flatMap((b) => Array.from(b.data[0] as Float32Array | Float64Array));
      const expected = rows.flat().map((c) => (c === '' ? NaN : Number(c)));
      expect(values).toEqual(type === 'float32' ? expected.map(Math.fround) : expected);
    }
  });

  it('a record cut by every possible block boundary, CRLF and quoted skipped fields with line breaks', async () => {
    const text = 'id,a,b\r\n"x\r\ny",1.5,-2\r\n"q""r",3,4.25\r\nplain,,7\r\n"",8,9';
    for (let hwm = 1; hwm <= text.length; hwm++) {
      const batches = await allPathsAgree(text, {
        start: text.indexOf('\n') + 1,
        firstRow: 0,
        header: ['id', 'a', 'b'],
        targets: [{ name: 'x', type: 'float32', columns: [1, 2] }],
        batchSize: 2,
        highWaterMark: hwm,
      });
      expect(batches.flatMap((b) => Array.from(b.data[0] as Float32Array))).toEqual([1.5, -2, 3, 4.25, NaN, 7, 8, 9]);
    }
  });
});

describe('the WebAssembly module', () => {
  it('is the build of float-records.wat (run packages/wasm/scripts/build-wasm.mjs after editing it)', async () => {
    const build = await import('@batchcast/wasm/build');
    expect(build.committedWasmModuleSource('float-records')).toBe(await build.buildWasmModuleSource('float-records'));
  });
});
