import { describe, expect, it } from 'vitest';
import {
  closestName,
  describeMissing,
  hasInvisible,
  invisibleCodes,
  MATCHING,
  missingAdvice,
  noHeaderHint,
  printedTableHint,
  showInvisible,
} from '../src/index.js';

describe('name hints', () => {
  it('shows invisible characters as \\uXXXX and names them as U+XXXX, each once', () => {
    expect(hasInvisible('petal_width')).toBe(false);
    expect(hasInvisible('\u200bpetal_width')).toBe(true);
    // Twice in a row: the global pattern's lastIndex does not carry over from one call to the next.
    expect(hasInvisible('a\ufeff')).toBe(true);
    expect(hasInvisible('a\ufeff')).toBe(true);
    expect(showInvisible('\u200bpetal\u00a0width\u200b')).toBe('\\u200bpetal\\u00a0width\\u200b');
    expect(invisibleCodes('\u200bpetal\u00a0width\u200b')).toEqual(['U+200B', 'U+00A0']);
    expect(showInvisible('café')).toBe('café');
  });

  it('finds the one close name: the same but for case, separators, Unicode form and invisible characters, or a typo away', () => {
    const header = ['sepal length', 'Petal-Width', '\u200bsepal_width', 'species'];
    expect(closestName('sepal_length', header)).toBe('sepal length');
    expect(closestName('petal_width', header)).toBe('Petal-Width');
    expect(closestName('sepal_width', header)).toBe('\u200bsepal_width');
    expect(closestName('petal_length', ['petal_lenght', 'x'])).toBe('petal_lenght');
    expect(closestName('café'.normalize('NFC'), ['CAFÉ'.normalize('NFD')])).toBe('CAFÉ'.normalize('NFD'));
    // Too far, too short to guess, or two equally close: no guess.
    expect(closestName('petal_width', ['species', 'id'])).toBeNull();
    expect(closestName('age', ['agf'])).toBeNull();
    expect(closestName('sepal_length', ['Sepal Length', 'SEPAL-LENGTH'])).toBeNull();
  });

  it('says a header mostly of numbers is a first data row, and lists the model columns to name; a header with a name in it gets nothing', () => {
    const cols = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
    expect(noHeaderHint(['5.1', '3.5', '1.4', '0.2', 'setosa'], cols)).toContain('the file seems to have no header row');
    expect(noHeaderHint(['id', 'name', 'height', '5'], cols)).toBe('');
    expect(noHeaderHint(['5.1', '3.5', ' 1,4', '', '-2e-3'], cols)).toBe(
      'The first line is mostly numbers ("5.1", "3.5", " 1,4", "", "-2e-3"): the file seems to have no header row. If its columns are the model\'s, in the model\'s order (sepal_length, sepal_width, petal_length, petal_width), choose "The file has no header row" under "How to read the file" on the upload page (the "header" field "none" of POST /api/jobs, --no-header in the CLI); otherwise add a first line naming the columns, in the file\'s order.',
    );
    // A sheet's row 1 is no line; on the upload page the option is above, and the API's and the CLI's are noise.
    expect(noHeaderHint(['5.1', '3.5'], cols, { sheet: true, page: true })).toBe(
      'Row 1 of the sheet is mostly numbers ("5.1", "3.5"): the sheet seems to have no header row. If its columns are the model\'s, in the model\'s order (sepal_length, sepal_width, petal_length, petal_width), tick "The file has no header row" under "How to read the file" above; otherwise add a first row naming the columns, in the sheet\'s order.',
    );
    expect(noHeaderHint(['', ''], cols)).toBe('');
    expect(noHeaderHint(['2024', 'x1', 'x2'], cols)).toBe('');
    expect(
      noHeaderHint(
        Array.from({ length: 10 }, (_, i) => String(i)),
        cols,
      ),
    ).toContain('"7" and 2 more)');
  });

  it('says a header of one column holding names apart by runs of spaces is a printed table, and nothing of other headers', () => {
    expect(printedTableHint(['     sepal_length  sepal_width  petal_length'])).toMatch(
      /^Its first line is names apart by runs of spaces: a table printed for reading/,
    );
    expect(printedTableHint(['sepal length (cm)'])).toBe('');
    expect(printedTableHint(['a  b', 'c'])).toBe('');
    expect(printedTableHint(['  padded  '])).toBe('');
  });

  it("finds the name written with a unit after it, as scikit-learn's datasets and spreadsheets write them", () => {
    // load_iris(as_frame=True).frame.to_csv(): the header pandas writes for scikit-learn's own iris data.
    const sklearn = ['Unnamed: 0', 'sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)', 'target'];
    expect(closestName('sepal_length', sklearn)).toBe('sepal length (cm)');
    expect(closestName('petal_width', sklearn)).toBe('petal width (cm)');
    expect(closestName('weight', ['id', 'Weight [kg]'])).toBe('Weight [kg]');
    // The model's name may carry the unit instead of the file's.
    expect(closestName('income (USD)', ['age', 'income'])).toBe('income');
    // The same name in two units is two columns: no guess between them.
    expect(closestName('length', ['length (cm)', 'length (mm)'])).toBeNull();
    // A unit alone is no name: "(cm)" matches nothing.
    expect(closestName('(cm)', ['sepal length (cm)'])).toBeNull();
  });

  it('describes missing names with their hints and the invisible characters of the close ones, in one wording', () => {
    const hints = describeMissing(['sepal_length', 'petal_width', 'flower_id'], ['sepal length', '\u200bpetal_width', 'species']);
    expect(hints).toEqual({
      described: ['sepal_length (the file has "sepal length")', 'petal_width (the file has "\\u200bpetal_width")', 'flower_id'],
      hinted: true,
      unseen: ' In the header, "\\u200bpetal_width" holds an invisible character (U+200B): delete that name and type it again.',
    });
    // A name matching several columns gets no guess; `where` says whose names they are.
    expect(describeMissing(['sepal_length'], ['sepal length'], 'the rows have', new Set(['sepal_length']))).toEqual({
      described: ['sepal_length'],
      hinted: false,
      unseen: '',
    });
    expect(describeMissing(['a_b_c_d'], ['a b c d'], 'the sheet has').described).toEqual(['a_b_c_d (the sheet has "a b c d")']);
    expect(describeMissing(['x\u200b'], []).described).toEqual(['x\\u200b']);
    expect(missingAdvice(2, true, 'to the file')).toBe(
      "Rename the columns of close names to the model's, or add the missing ones to the file",
    );
    expect(missingAdvice(1, false, 'to the file')).toBe('Add it to the file');
    expect(missingAdvice(2, false, 'to the header row')).toBe('Add them to the header row');
    expect(MATCHING).toBe('(names are matched ignoring upper/lower case and surrounding spaces)');
  });
});
