import { describe, expect, it } from 'vitest';
import { planColumns, prepareModel } from '../src/index.js';
import type { ModelSchema } from '../src/index.js';
import { modelBytes, readCsv } from './helpers.js';

const iris = (await prepareModel(modelBytes('iris-logreg.onnx'))).schema;
const churn = (await prepareModel(modelBytes('churn-pipeline.onnx'))).schema;
const cancer = (await prepareModel(modelBytes('breast-cancer-rf.onnx'))).schema; // no feature names

describe('planColumns', () => {
  it('maps a reordered header by name', () => {
    const plan = planColumns(iris, ['species', 'petal_width', 'sepal_width', 'petal_length', 'sepal_length']);
    expect(plan).toEqual({
      ok: true,
      targets: [{ name: 'input', type: 'float32', columns: [4, 2, 3, 1] }],
      columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
    });
  });

  it('maps one target per input for one-input-per-column graphs, in input order', () => {
    const plan = planColumns(churn, ['support_tickets', 'customer_id', 'monthly_charges', 'tenure_months', 'payment_method', 'contract']);
    expect(plan.ok && plan.targets).toEqual([
      { name: 'contract', type: 'string', columns: [5] },
      { name: 'payment_method', type: 'string', columns: [4] },
      { name: 'tenure_months', type: 'float32', columns: [3] },
      { name: 'monthly_charges', type: 'float32', columns: [2] },
      { name: 'support_tickets', type: 'float32', columns: [0] },
    ]);
  });

  it('matches names whose accents are written as combining characters (NFD, as macOS may save them)', () => {
    // The file said "longueur_sépale" with "e" + U+0301, the model "é": it was refused as missing the very name it showed.
    const names = ['longueur_sépale', 'largeur_sépale', 'longueur_pétale', 'largeur_pétale'].map((n) => n.normalize('NFC'));
    const french: ModelSchema = { ...iris, inputs: [{ ...iris.inputs[0]!, columns: names }] };
    const header = ['id', ...names.map((n) => n.normalize('NFD'))];
    expect(header[1]).not.toBe(names[0]);
    const plan = planColumns(french, header);
    expect(plan.ok && plan.targets[0]!.columns).toEqual([1, 2, 3, 4]);
  });

  it('ignores extra columns', () => {
    const plan = planColumns(iris, ['id', 'sepal_length', 'note', 'sepal_width', 'petal_length', 'petal_width', 'x']);
    expect(plan.ok && plan.targets[0]!.columns).toEqual([1, 3, 4, 5]);
  });

  it('lists every missing column, in a sentence', () => {
    const plan = planColumns(iris, ['sepal_width', 'petal_length', 'species']);
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.missing).toEqual(['sepal_length', 'petal_width']);
    expect(plan.message).toMatch(/^The CSV is missing 2 columns the model needs: sepal_length, petal_width\./);
  });

  it('names the format the columns came from: an Excel sheet or a Parquet file is not "the CSV"', () => {
    const header = ['sepal_width', 'petal_length', 'Sepal_Length ', ' sepal_length', 'petal_width'];
    for (const [source, text] of [
      ['Parquet file', 'The Parquet file is missing 1 column'],
      ['Excel sheet', 'The Excel sheet is missing 1 column'],
    ]) {
      const plan = planColumns(iris, header, source);
      expect(plan.ok).toBe(false);
      if (plan.ok) return;
      expect(plan.message).toMatch(new RegExp(`^${text} the model needs: sepal_length\\.`));
      expect(plan.message).toContain('Some names match more than one column, rename all but one');
      expect(plan.message).not.toContain('CSV');
    }
  });

  it('says what was read as the header when not one name matches (a title line above the header, another model’s file)', () => {
    const plan = planColumns(iris, ['Iris export, December 2026']);
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.message).toContain(
      'None of them is in the header as read, "Iris export, December 2026": if the column names are on a later line, delete the lines above them; if the file is meant for another model, choose that model.',
    );
    const wide = planColumns(iris, [`x${'y'.repeat(100)}`, ...Array.from({ length: 10 }, (_, i) => `c${i}`)]);
    expect(!wide.ok && wide.message).toContain(`as read, "x${'y'.repeat(56)}...", "c0", "c1", "c2", "c3", "c4", "c5", "c6" and 3 more:`);
    // One name found: the header is the right line, and only what is missing is said.
    const some = planColumns(iris, ['sepal_length', 'x']);
    expect(!some.ok && some.message).not.toContain('header as read');
    // Where else the columns may be (a workbook's other sheets) comes first, when the caller knows it.
    const sheet = planColumns(iris, ['notes'], 'Excel sheet', undefined, 'that is sheet "Notes"; choose "Data"');
    expect(!sheet.ok && sheet.message).toContain(
      'None of them is in the header as read, "notes": that is sheet "Notes"; choose "Data"; if the column names are on a later line,',
    );
    const one = planColumns(iris, ['sepal_length', 'x'], 'Excel sheet', undefined, 'look elsewhere');
    expect(!one.ok && one.message).not.toContain('look elsewhere');
  });

  it('names the close header names of missing columns, with invisible characters shown', () => {
    const spaced = planColumns(iris, ['sepal length', 'sepal_width', 'petal_length', 'Petal Width', 'species']);
    expect(!spaced.ok && spaced.message).toMatch(
      /^The CSV is missing 2 columns the model needs: sepal_length \(the file has "sepal length"\), petal_width \(the file has "Petal Width"\)\. Rename the columns of close names to the model's, or add the missing ones to the file /,
    );
    // A typo is close too; a name far from every header name gets no guess.
    const typo = planColumns(iris, ['sepal_lenght', 'sepal_width', 'petal_length', 'x']);
    expect(!typo.ok && typo.message).toContain('needs: sepal_length (the file has "sepal_lenght"), petal_width.');
    // A zero-width space: the name looks like the model's, so it is shown escaped and said to hold one.
    const zw = planColumns(iris, ['sepal_length', 'sepal_width', 'petal_length', '\u200bpetal_width']);
    expect(!zw.ok && zw.message).toBe(
      'The CSV is missing 1 column the model needs: petal_width (the file has "\\u200bpetal_width"). ' +
        "Rename the columns of close names to the model's, or add the missing ones to the file (names are matched ignoring upper/lower case and surrounding spaces). " +
        'In the header, "\\u200bpetal_width" holds an invisible character (U+200B): delete that name and type it again.',
    );
    // Every name written differently: the header is the right line, no "header as read" about title lines.
    const all = planColumns(iris, ['Sepal Length', 'Sepal Width', 'Petal Length', 'Petal Width']);
    expect(!all.ok && all.message).not.toContain('header as read');
  });

  it('says "1 column" for one missing column', () => {
    const plan = planColumns(churn, ['contract', 'payment_method', 'tenure_months', 'monthly_charges']);
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.missing).toEqual(['support_tickets']);
    expect(plan.message).toContain('missing 1 column the model needs: support_tickets.');
  });

  it('matches ignoring case and surrounding spaces, preferring exact names', () => {
    const plan = planColumns(iris, [' Sepal_Length ', 'SEPAL_WIDTH', 'petal_length', 'Petal_Width']);
    expect(plan.ok && plan.targets[0]!.columns).toEqual([0, 1, 2, 3]);
    const exact = planColumns(iris, ['Sepal_Length', 'sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    expect(exact.ok && exact.targets[0]!.columns).toEqual([1, 2, 3, 4]);
  });

  it('does not guess between two columns that differ only in case', () => {
    const plan = planColumns(iris, ['Sepal_Length', 'SEPAL_LENGTH', 'sepal_width', 'petal_length', 'petal_width']);
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.missing).toEqual(['sepal_length']);
    expect(plan.message).toContain('"sepal_length" matches "Sepal_Length" and "SEPAL_LENGTH"');
  });

  it('uses the header in order when the model names no features and the count matches', () => {
    const header = readCsv('breast_cancer.csv').header.slice(1);
    const plan = planColumns(cancer, header);
    expect(plan.ok && plan.targets[0]!.columns).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(plan.ok && plan.columns).toEqual(header);
  });

  it('refuses to guess when the model names no features and the count differs', () => {
    const header = readCsv('breast_cancer.csv').header; // patient_id + 30 features
    const plan = planColumns(cancer, header);
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.missing).toEqual([]);
    expect(plan.message).toContain('needs 30 feature columns');
    expect(plan.message).toContain('the CSV has 31 columns');
    expect(plan.message).toContain('"features"');
  });

  it('plans a hand-written schema with several 2-D inputs', () => {
    const schema: ModelSchema = {
      task: 'regressor',
      inputs: [
        { name: 'num', type: 'float64', shape: [null, 2], width: 2, columns: ['a', 'b'] },
        { name: 'flag', type: 'bool', shape: [null], width: 1, columns: ['f'] },
      ],
      outputs: [{ name: 'y', type: 'float32', shape: [null, 1] }],
      labelOutput: null,
      probabilityOutput: null,
      valueOutput: 'y',
      classLabels: null,
      fixedBatch: null,
      notes: [],
    };
    expect(planColumns(schema, ['f', 'b', 'a'])).toEqual({
      ok: true,
      targets: [
        { name: 'num', type: 'float64', columns: [2, 1] },
        { name: 'flag', type: 'bool', columns: [0] },
      ],
      columns: ['a', 'b', 'f'],
    });
  });
});
