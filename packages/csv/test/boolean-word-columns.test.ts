import { describe, expect, it } from 'vitest';
import type { BatchParserOptions } from '../src/batch-parser.js';
import { readBatchesWith } from '../src/read-batches.js';
import type { ColumnTarget, RecordBatch } from '../src/index.js';
import { layoutOf, tempFile } from './helpers.js';

/*
 * A batch says which columns held a cell a number input read as a true/false word (RecordBatch.booleanWordColumns):
 * kept with the chunk, it spares a typed download reading every number column again for such words (csvResultTypes
 * in @batchcast/jobs). It must name every such column, whatever path read the cell, and none where there is none.
 */

const PATHS: Record<string, BatchParserOptions> = { wasm: {}, js: { wasm: false }, general: { fast: false } };

async function batchesOf(text: string, targets: ColumnTarget[], paths: BatchParserOptions = {}, batchSize = 1000): Promise<RecordBatch[]> {
  const layout = layoutOf(text);
  const options = { start: layout.dataStart, end: Buffer.byteLength(text), firstRow: 0, header: layout.header, targets, batchSize };
  const batches: RecordBatch[] = [];
  for await (const b of readBatchesWith(tempFile(text), options, paths)) batches.push(b);
  return batches;
}

const words = (batches: RecordBatch[]) => batches.map((b) => [...b.booleanWordColumns!].sort((x, y) => x - y));

describe('the columns of a batch where a number input read a true/false word', () => {
  for (const [name, paths] of Object.entries(PATHS)) {
    it(`are named for float32, float64, int32 and int64 inputs, quoted or not (${name} path)`, async () => {
      const text = 'id,a,b,c\nx,1.5,True,2\ny,2.5,3,"FALSE"\nz,3.5,4,5\n';
      for (const type of ['float32', 'float64', 'int32', 'int64'] as const) {
        const batches = await batchesOf(text, [{ name: 'x', type, columns: [1, 2, 3] }], paths);
        // (int inputs fail the 1.5 rows: the words are read all the same, as a typed download would see them.)
        expect(words(batches), type).toEqual([[2, 3]]);
      }
    });

    it(`are none in a file of numbers, missing values and other text (${name} path)`, async () => {
      const text = 'a,b\n1.5,2\n,NA\n"3",1\n0,abc\n-1e3,yes\n';
      for (const type of ['float32', 'float64', 'int32', 'int64'] as const) {
        expect(words(await batchesOf(text, [{ name: 'x', type, columns: [0, 1] }], paths)), type).toEqual([[]]);
      }
    });
  }

  it('are per batch: a word in the second batch only is named by that batch', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => `${i + 0.5},${i === 7 ? 'false' : '1'}`);
    const batches = await batchesOf(`a,b\n${rows.join('\n')}\n`, [{ name: 'x', type: 'float32', columns: [0, 1] }], {}, 4);
    expect(words(batches)).toEqual([[], [1], []]);
    // Each batch keeps its own list once the next is read into the arrays it gave back.
    expect(batches[1]!.booleanWordColumns).toEqual([1]);
  });

  it('are the header columns of a column several inputs read, and leave out text and bool inputs', async () => {
    const text = 's,f,g\nTrue,true,TRUE\nfalse,2,3\n';
    const targets: ColumnTarget[] = [
      { name: 'text', type: 'string', columns: [0] },
      { name: 'flag', type: 'bool', columns: [1] },
      { name: 'n1', type: 'float32', columns: [2] },
      { name: 'n2', type: 'float64', columns: [2] },
    ];
    expect(words(await batchesOf(text, targets))).toEqual([[2]]);
  });

  it('include a word in a row that failed for another cell, or for its field count', async () => {
    const text = 'a,b\nTrue,abc\n1,2,3\nfalse\n';
    const batches = await batchesOf(text, [{ name: 'x', type: 'float64', columns: [0, 1] }]);
    expect(batches[0]!.errors.map((e) => e.row)).toEqual([0, 1, 2]);
    expect(words(batches)).toEqual([[0]]);
  });

  it('are read from a decimal-comma file as from any other', async () => {
    const text = 'a;b\n1,5;TRUE\n2,5;1\n';
    const options = { start: 'a;b\n'.length, end: Buffer.byteLength(text), firstRow: 0, header: ['a', 'b'], batchSize: 10 };
    const batches: RecordBatch[] = [];
    const targets: ColumnTarget[] = [{ name: 'x', type: 'float64', columns: [0, 1] }];
    for await (const b of readBatchesWith(tempFile(text), { ...options, targets, dialect: { delimiter: ';', decimal: ',' } }, {}))
      batches.push(b);
    expect(batches[0]!.data[0]).toEqual(new Float64Array([1.5, 1, 2.5, 1]));
    expect(words(batches)).toEqual([[1]]);
  });
});
