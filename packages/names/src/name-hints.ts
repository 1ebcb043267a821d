import { NUMBER_CELL } from './number-cells.js';
import { codePointEscape, codePointName, holds, INVISIBLE } from './unseen-characters.js';

/**
 * Hints for a name that was not found (a model's column in a file's header, a model name): the closest of the
 * names there are, and the name shown with its invisible characters made visible. A "missing sepal_length" next
 * to a header holding "sepal length", or a "missing petal_width" when the file's name starts with a zero-width
 * space, left people comparing names that look the same.
 */

/** Whether `s` holds a character that cannot be seen (see INVISIBLE). */
export function hasInvisible(s: string): boolean {
  return holds(s, INVISIBLE);
}

/** `s` with each invisible character written as `\uXXXX` (so "\u200bpetal_width" no longer reads as petal_width). */
export function showInvisible(s: string): string {
  return s.replace(INVISIBLE, codePointEscape);
}

/** The invisible characters of `s`, as `U+200B`, each once. */
export function invisibleCodes(s: string): string[] {
  return [...new Set((s.match(INVISIBLE) ?? []).map(codePointName))];
}

/** A name as compared for hints: its Unicode form, case, invisible characters and word separators left out. */
function hintKey(s: string): string {
  return s
    .normalize('NFC')
    .replace(INVISIBLE, '')
    .toLowerCase()
    .replace(/[\s_.-]+/g, '');
}

/**
 * A unit written after a name in parentheses or brackets, as scikit-learn's own datasets name their columns
 * (`load_iris(as_frame=True)`: "sepal length (cm)") and as spreadsheets often do ("weight [kg]").
 */
const TRAILING_UNIT = /\s*(?:\([^()]*\)|\[[^[\]]*\])\s*$/u;

/** The hint key of `s` without its trailing unit, if it has one (`hintKey`). */
function unitlessKey(s: string): string {
  return hintKey(s.replace(TRAILING_UNIT, ''));
}

/** Levenshtein distance, giving up (returning max + 1) once it exceeds `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let least = i;
    for (let j = 1; j <= b.length; j++) {
      const d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      row.push(d);
      if (d < least) least = d;
    }
    if (least > max) return max + 1;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The one name of `candidates` that `name` was most likely meant as: the same but for case, spaces, `_` `-` `.`,
 * Unicode form and invisible characters; else the same but for a trailing unit ("(cm)", "[kg]"); else within a typo or two (one for names of 4 to 7 characters, two from
 * 8). Null when none is that close, or when two are equally close (a guess between them would mislead).
 */
export function closestName(name: string, candidates: readonly string[]): string | null {
  const key = hintKey(name);
  if (key === '') return null;
  const same = [...new Set(candidates.filter((c) => hintKey(c) === key))];
  if (same.length > 0) return same.length === 1 ? same[0]! : null;
  // Then the same but for a unit after either name: a model trained on "sepal_length" and a file of scikit-learn's
  // "sepal length (cm)" (two names alike once their units are left out, "(cm)" and "(mm)", give no guess).
  const bare = unitlessKey(name);
  const sameButUnit = bare === '' ? [] : [...new Set(candidates.filter((c) => unitlessKey(c) === bare))];
  if (sameButUnit.length > 0) return sameButUnit.length === 1 ? sameButUnit[0]! : null;
  const max = key.length >= 8 ? 2 : key.length >= 4 ? 1 : 0;
  if (max === 0) return null;
  let best: string | null = null;
  let bestDistance = max + 1;
  let tie = false;
  for (const c of new Set(candidates)) {
    const d = editDistance(key, hintKey(c), max);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
      tie = false;
    } else if (d === bestDistance && d <= max) {
      tie = true;
    }
  }
  return tie ? null : best;
}

/** What a missing-columns message says of the names it lists, the same on the server and in the browser. */
export interface MissingNames {
  /**
   * Each missing name, its invisible characters shown, followed by the close name the header has, if any:
   * `sepal_length (the file has "sepal length")`, `petal_width (the file has "\u200bpetal_width")`.
   */
  described: string[];
  /** Whether any missing name got a close name (the advice is then to rename, and not "add them"). */
  hinted: boolean;
  /**
   * A sentence about the close names that hold invisible characters (they look exactly like the model's), with
   * a leading space: ` In the header, "\u200bpetal_width" holds an invisible character (U+200B): delete that
   * name and type it again.`; empty when none does.
   */
  unseen: string;
}

/**
 * The missing names of a model's columns described with their hints: `free` are the header's names that no
 * model column matched (a missing name written differently is one of them); `where` says whose names they are
 * (`the file has`, `the sheet has`, `the rows have`); names in `noGuess` (those matching several columns) get
 * no hint.
 */
export function describeMissing(
  missing: readonly string[],
  free: readonly string[],
  where = 'the file has',
  noGuess: ReadonlySet<string> = new Set(),
): MissingNames {
  const unseen: string[] = [];
  let hinted = false;
  const described = missing.map((name) => {
    const shown = showInvisible(name);
    if (noGuess.has(name)) return shown;
    const near = closestName(name, free);
    if (near === null) return shown;
    hinted = true;
    if (hasInvisible(near)) {
      const codes = invisibleCodes(near);
      unseen.push(
        `"${showInvisible(near)}" holds ${codes.length === 1 ? 'an invisible character' : 'invisible characters'} (${codes.join(', ')})`,
      );
    }
    return `${shown} (${where} "${showInvisible(near)}")`;
  });
  // Written as \uXXXX above: as it is, the name looks exactly like the model's.
  const sentence =
    unseen.length === 0
      ? ''
      : ` In the header, ${unseen.join('; ')}: delete ${unseen.length === 1 ? 'that name and type it' : 'those names and type them'} again.`;
  return { described, hinted, unseen: sentence };
}

/**
 * What to do about `n` missing names, up to where they go (`to the file`, `to the header row`): rename the close
 * ones when some were hinted, else add them.
 */
export function missingAdvice(n: number, hinted: boolean, addTo: string): string {
  return hinted
    ? `Rename the columns of close names to the model's, or add the missing ones ${addTo}`
    : `Add ${n === 1 ? 'it' : 'them'} ${addTo}`;
}

/** How names are matched, as both messages say it (in brackets after the advice). */
export const MATCHING = '(names are matched ignoring upper/lower case and surrounding spaces)';

/**
 * When the line read as the header is mostly numbers (at least half of its non-empty cells), what to say instead of
 * listing it as names: the file has no header row (a UCI dataset, `df.to_csv(header=False)`, a label column or two
 * among the numbers), and what to add. Empty otherwise. Only said when not one of the model's names was found, so a
 * header of years ("2023,2024") gets a wrong reason at worst, never a wrong reading. `columns` are the model's, in
 * its order. The same on the server and in the browser.
 */
export function noHeaderHint(
  header: readonly string[],
  columns: readonly string[],
  /** `sheet`: the header was a sheet's row 1, not a line; `page`: said on the upload page, whose option is above. */
  where: { sheet?: boolean; page?: boolean } = {},
): string {
  const cells = header.filter((h) => h.trim() !== '');
  const numbers = cells.filter((h) => NUMBER_CELL.test(h)).length;
  if (numbers === 0 || numbers * 2 < cells.length) return '';
  const shown = header.slice(0, 8).map((h) => `"${h}"`);
  const more = header.length > 8 ? ` and ${header.length - 8} more` : '';
  const option = where.page
    ? 'tick "The file has no header row" under "How to read the file" above'
    : 'choose "The file has no header row" under "How to read the file" on the upload page (the "header" field "none" of POST /api/jobs, --no-header in the CLI)';
  const first = where.sheet ? ['Row 1 of the sheet', 'the sheet', 'a first row'] : ['The first line', 'the file', 'a first line'];
  return (
    `${first[0]} is mostly numbers (${shown.join(', ')}${more}): ${first[1]} seems to have no header row. ` +
    `If its columns are the model's, in the model's order (${columns.join(', ')}), ${option}; otherwise add ${first[2]} naming ` +
    `the columns, in ${first[1]}'s order.`
  );
}

/**
 * When the line read as the header is one column holding several names apart by runs of spaces, what to say instead
 * of listing it as one name: the file is a table printed for reading (pandas' `print(df)` or `df.to_string()`, a
 * report's fixed-width columns), whose values may hold spaces too, so it cannot be split safely, and a printout
 * may leave rows out (`...`, `[150 rows x 5 columns]`). Empty otherwise. The same on the server and in the browser.
 */
export function printedTableHint(header: readonly string[]): string {
  if (header.length !== 1 || !/\S {2,}\S/.test(header[0]!.trim())) return '';
  return (
    "Its first line is names apart by runs of spaces: a table printed for reading (as pandas' print(df) and " +
    'df.to_string() write it), not a delimited file, and a printout may leave rows out. Write the data itself: ' +
    "df.to_csv('data.csv', index=False) in pandas, or save it as CSV from the program that made it."
  );
}
