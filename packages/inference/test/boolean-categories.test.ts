import type { ColumnTarget, RecordBatch } from '@batchcast/csv';
import { describe, expect, it } from 'vitest';
import { failUnknownCategories } from '../src/index.js';
import type { KnownCategories, ModelSchema } from '../src/types.js';

/*
 * A OneHotEncoder fitted on a pandas bool column has the categories False and True; pandas.read_csv reads TRUE and
 * true as the same bool, and this platform reads an Excel boolean cell as `true`: such cells are given the
 * category's spelling before the graph compares text. One input per column, as the importer converts encoders.
 */
const encoder = "OneHotEncoder (ColumnTransformer part 'member')";

function schemaWith(known: KnownCategories[]): ModelSchema {
  return {
    task: 'classifier',
    inputs: [
      { name: 'is_member', type: 'string', shape: [null, 1], width: 1, columns: ['is_member'] },
      { name: 'color', type: 'string', shape: [null, 1], width: 1, columns: ['color'] },
    ],
    outputs: [],
    labelOutput: null,
    probabilityOutput: null,
    valueOutput: null,
    classLabels: [0, 1],
    fixedBatch: null,
    notes: [],
    knownCategories: known,
  } as unknown as ModelSchema;
}

const targets: ColumnTarget[] = [
  { name: 'is_member', type: 'string', columns: [0] },
  { name: 'color', type: 'string', columns: [1] },
];

function batchOf(members: string[], colors: string[]): RecordBatch {
  return { firstRow: 0, count: members.length, data: [[...members], [...colors]], errors: [] };
}

describe('failUnknownCategories with the categories of a bool column', () => {
  it('gives TRUE, true, " True " and FALSE the categories True and False, which then match', () => {
    const schema = schemaWith([{ column: 'is_member', values: ['False', 'True'], missing: false, encoder }]);
    const batch = batchOf(['TRUE', 'false', 'True', ' True ', 'FALSE', 'yes', ''], Array(7).fill('red'));
    failUnknownCategories(schema, batch, targets);
    expect(batch.data[0]).toEqual(['True', 'False', 'True', 'True', 'False', 'yes', '']);
    expect(batch.errors.map((e) => [e.row, e.value])).toEqual([
      [5, 'yes'],
      [6, ''],
    ]);
  });

  it('spells them as the categories do when those are lower case (a text column that held "true")', () => {
    const schema = schemaWith([{ column: 'is_member', values: ['false', 'true'], missing: true, encoder }]);
    const batch = batchOf(['True', 'FALSE', 'true'], ['a', 'b', 'c']);
    failUnknownCategories(schema, batch, targets);
    expect(batch.data[0]).toEqual(['true', 'false', 'true']);
  });

  it('leaves columns whose categories are not one true and one false as they are: there TRUE and true may differ', () => {
    const schema = schemaWith([
      { column: 'is_member', values: ['True', 'TRUE', 'False'], missing: false, encoder },
      { column: 'color', values: ['red', 'True'], missing: false, encoder },
    ]);
    const batch = batchOf(['true', 'TRUE'], ['true', 'red']);
    failUnknownCategories(schema, batch, targets);
    expect(batch.data).toEqual([
      ['true', 'TRUE'],
      ['true', 'red'],
    ]);
  });
});
