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

describe('failUnknownCategories with the categories of a bool column, given numbers', () => {
  it('gives 0 and 1 as pandas reads them (0, 1.0, 1e0, +1, -0, " 1") the categories False and True, as numpy compares 0 == False', () => {
    const schema = schemaWith([{ column: 'is_member', values: ['False', 'True'], missing: false, encoder }]);
    const cells = ['0', '1', '0.0', '1.0', '1e0', '+1', '-0', ' 1', '01', '1.'];
    const batch = batchOf(cells, Array(cells.length).fill('red'));
    failUnknownCategories(schema, batch, targets);
    expect(batch.errors).toEqual([]);
    expect(batch.data[0]).toEqual(['False', 'True', 'False', 'True', 'True', 'True', 'False', 'True', 'True', 'True']);
  });

  it('refuses other numbers (2, 0.5, -1, nan) as unknown categories, as scikit-learn does', () => {
    const schema = schemaWith([{ column: 'is_member', values: ['False', 'True'], missing: false, encoder }]);
    const batch = batchOf(['2', '0.5', '-1', 'nan', '1'], Array(5).fill('red'));
    failUnknownCategories(schema, batch, targets);
    expect(batch.errors.map((e) => [e.row, e.value])).toEqual([
      [0, '2'],
      [1, '0.5'],
      [2, '-1'],
      [3, 'nan'],
    ]);
    expect(batch.errors[0]!.message).toBe(
      `is_member: "2" was not among the categories the model was trained on (False, True); ${encoder} has handle_unknown='error', so scikit-learn would refuse this row too`,
    );
    expect(batch.data[0]![4]).toBe('True');
  });

  it('leaves 0 and 1 refused where the categories hold the missing one too (scikit-learn 1.2 raises for numbers there)', () => {
    const schema = schemaWith([{ column: 'is_member', values: ['False', 'True'], missing: true, encoder }]);
    const batch = batchOf(['0', '1', 'True'], Array(3).fill('red'));
    failUnknownCategories(schema, batch, targets);
    expect(batch.errors.map((e) => e.row)).toEqual([0, 1]);
  });

  it("does not read numbers as bools in a text column whose categories are not a bool's", () => {
    const schema = schemaWith([{ column: 'color', values: ['red', '0'], missing: false, encoder }]);
    const batch = batchOf(['x', 'x'], ['0.0', '1']);
    failUnknownCategories(schema, batch, targets);
    expect(batch.data[1]).toEqual(['0.0', '1']);
    expect(batch.errors.map((e) => e.row)).toEqual([0, 1]);
  });
});

describe('failUnknownCategories with a bool column in a file read with a decimal comma', () => {
  it("reads 1,0 and 0,0 as 1 and 0 where the batch's decimal is a comma (pandas.read_csv(decimal=',')), as text otherwise", () => {
    const schema = schemaWith([{ column: 'is_member', values: ['False', 'True'], missing: false, encoder }]);
    const comma = { ...batchOf(['1,0', '0,0', '0,5'], Array(3).fill('red')), decimal: ',' as const };
    failUnknownCategories(schema, comma, targets);
    expect(comma.data[0]).toEqual(['True', 'False', '0,5']);
    expect(comma.errors.map((e) => e.row)).toEqual([2]);

    const point = batchOf(['1,0', '1.0'], Array(2).fill('red'));
    failUnknownCategories(schema, point, targets);
    expect(point.data[0]).toEqual(['1,0', 'True']);
    expect(point.errors.map((e) => e.row)).toEqual([0]);
  });
});

describe('failUnknownCategories: numbers only for the categories Python names a bool', () => {
  it('leaves 0 and 1 refused where the categories are the text "false"/"true" (scikit-learn 1.2 raises for numbers against text categories)', () => {
    const schema = schemaWith([{ column: 'is_member', values: ['false', 'true'], missing: false, encoder }]);
    const batch = batchOf(['0', '1', 'TRUE'], Array(3).fill('red'));
    failUnknownCategories(schema, batch, targets);
    expect(batch.data[0]).toEqual(['0', '1', 'true']);
    expect(batch.errors.map((e) => e.row)).toEqual([0, 1]);
  });
});
