/** pandas' `DataFrame.to_json()` layouts that are one JSON object holding the whole frame, which batchcast unwraps. */
export type PandasJsonLayout = 'table' | 'split' | 'index' | 'columns';

/** A row label as pandas writes a default (RangeIndex) or integer index's: `"0"`, `"1"`… */
const ROW_LABEL = /^(0|[1-9][0-9]*)$/;

/** The first member's key, and either `[` or the first key of its object value. */
const FIRST_MEMBER = /^\{\s*"((?:[^"\\]|\\.)*)"\s*:\s*(?:(\[)|(\{)\s*(?:"((?:[^"\\]|\\.)*)"\s*:)?)?/;
const TABLE = /^\{\s*"schema"\s*:\s*\{\s*"fields"\s*:\s*\[/;
/**
 * 'split' written in another key order than pandas' (JSON does not fix it): "data" first, its rows lists of values
 * (`[[`, not a wrapper's `[{`), or "index" first.
 */
const SPLIT_REORDERED = /^\{\s*(?:"data"\s*:\s*\[\s*\[|"index"\s*:\s*\[)/;

function decoded(key: string): string {
  try {
    return JSON.parse(`"${key}"`) as string;
  } catch {
    return key;
  }
}

/**
 * The pandas layout of a JSON file whose text starts with `start` (from its `{`; the server's first 4 KiB, the
 * browser's first MiB), or null for JSON Lines:
 * - 'table': `{"schema": {"fields": [...` (then the records under "data");
 * - 'split': `{"columns": [...` (then "index" and "data", the rows as lists of values), or in another order of
 *   its keys: `{"data": [[...` or `{"index": [...`;
 * - 'columns' (the default): `{"a": {"0": ...` — a column name holding values keyed by row labels (`"0"`, `"1"`…);
 * - 'index': `{"0": {"a": ...` — a row label holding the row's values keyed by column names.
 * Row labels tell 'columns' from 'index' when they are a default or integer index's; with labels of other kinds
 * (or columns named by numbers too) the two cannot be told apart, and the file goes the JSON Lines way, whose
 * reader refuses it naming both. A first object that ends within `start` and is followed by more is JSON Lines
 * whatever its keys.
 */
export function pandasJsonLayout(start: string): PandasJsonLayout | null {
  if (TABLE.test(start)) return 'table';
  const first = FIRST_MEMBER.exec(start);
  if (!first) return null;
  let layout: PandasJsonLayout | null = null;
  const key = decoded(first[1]!);
  if ((first[2] && key === 'columns') || SPLIT_REORDERED.test(start)) layout = 'split';
  else if (first[3] && first[4] !== undefined) {
    const outerLabel = ROW_LABEL.test(key);
    const innerLabel = ROW_LABEL.test(decoded(first[4]));
    if (innerLabel && !outerLabel) layout = 'columns';
    else if (outerLabel && !innerLabel) layout = 'index';
  }
  if (layout === null) return null;
  const end = firstValueEnd(start);
  return end !== -1 && start.slice(end).trim() !== '' ? null : layout;
}

/** Where the JSON value at the start of `text` ends (an object or array, nesting and strings followed), or -1. */
function firstValueEnd(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c /* \ */) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * The column a frame's index is kept in once a layout is read a record per row: "index", or "level_0" when a column
 * is already called "index" (pandas' reset_index). The server's readers and the upload page's check name it alike.
 */
export function indexColumnName(columns: Iterable<string>): string {
  for (const c of columns) if (c === 'index') return 'level_0';
  return 'index';
}
