import { pandasHeader } from '@batchcast/names';
import { describeDelimiter } from './dialect.js';
import { truncate } from './messages.js';
import { CsvFormatError, type CsvDelimiter } from './types.js';

/** The delimiters a file may really use when the one it was read with gives a single column. */
const DELIMITERS: readonly CsvDelimiter[] = [',', ';', '\t', '|'];

/**
 * Checks the header names and throws an actionable CsvFormatError for the problems that would make every
 * later error message confusing (wrong delimiter, a blank header); returns the names, each kept exactly as
 * written (no trimming: they are matched against model input names; `" "` stays `" "`, as in pandas), but for a
 * column with no name at all, which is named as pandas names it (unnamedColumn), and for a name equal (ignoring
 * case) to an earlier one, renamed `<name>.1` as pandas renames it (listed in `duplicates`).
 *
 * @param line 1-based line of the header, for the error
 */
export function validateHeader(
  names: string[],
  line: number,
  delimiter: CsvDelimiter = ',',
  detected = false,
): { names: string[]; duplicates: HeaderDuplicate[] } {
  // A one-column header that contains the delimiter (quoted) is a deliberate name, not a delimiter problem.
  if (names.length === 1 && !names[0]!.includes(delimiter)) {
    const only = names[0]!;
    // Count each candidate; the most frequent one is the delimiter the file really uses.
    let best: string | null = null;
    let bestCount = 0;
    for (const d of DELIMITERS) {
      if (d === delimiter) continue;
      const count = only.split(d).length - 1;
      if (count > bestCount) {
        best = d;
        bestCount = count;
      }
    }
    if (best !== null) {
      const shown = describeDelimiter(best);
      let message: string;
      if (detected) {
        message =
          `the header seems to use ${shown} as delimiter, but the rows do not have as many ${shown}-separated fields ` +
          'as the header; check that every row has a value for every column, or choose the delimiter explicitly';
      } else if (delimiter === ',') {
        // A comma chosen (the upload's delimiter option) or a reader without detection: batchcast reads ';',
        // tab and '|' files too, so the way out is detection or the right delimiter, not a re-export.
        message = `the file seems to use ${shown} as delimiter, but it was read as comma-separated; leave out the delimiter option to let batchcast detect it, or set the delimiter to ${shown}`;
      } else {
        message = `the file seems to use ${shown} as delimiter, not ${describeDelimiter(delimiter)} as chosen; choose ${shown}, or let batchcast detect it`;
      }
      throw new CsvFormatError('wrong_delimiter', message, line);
    }
  }
  if (names.every((n) => n.trim() === '')) {
    throw new CsvFormatError('no_header', `line ${line} should be the header (the column names) but it is empty`, line);
  }
  const named = names.map((name, i) => (name === '' ? unnamedColumn(i) : name));
  return renameDuplicates(named, line);
}

/**
 * Two header names that are one column to batchcast (equal ignoring case: the typed results, and the databases
 * that read them, cannot hold `a` and `A` apart). Such a header is read as pandas reads it, the later column
 * renamed `<name>.1` (`.2`…; validateHeader), and is refused only when the model needs that column
 * (`duplicate_column` with `message`, said by the job's column check): which of the two would it read?
 */
export interface HeaderDuplicate {
  /** 0-based positions of the first column of that name and of the later one (renamed). */
  columns: [number, number];
  /** What the refusal says: the name and both positions, and to rename one of them. */
  message: string;
  /** 1-based line of the header. */
  line: number;
}

/** `named` read as pandas reads it (pandasHeader: the second `note` is `note.1`), its duplicates said as refusals. */
function renameDuplicates(named: string[], line: number): { names: string[]; duplicates: HeaderDuplicate[] } {
  const { names, duplicates } = pandasHeader(named, (n) => truncate(n));
  return {
    names,
    duplicates: duplicates.map(({ columns, text }) => ({
      columns,
      message: `the header (line ${line}) has ${text}; rename one of them`,
      line,
    })),
  };
}

/**
 * The name of a column whose header cell is blank: `Unnamed: <position from 0>`, as pandas names it, so that
 * the commonest such file reads as the data scientist knows it: `DataFrame.to_csv` writes its index as a first
 * column without a name (`,a,b`), and Excel writes a trailing blank column (`a,b,`) for cells once formatted.
 */
export function unnamedColumn(index: number): string {
  return `Unnamed: ${index}`;
}
