import { numberCellShare, winsDelimiterTie } from '@batchcast/names';
import { truncate } from './messages.js';
import type { CsvDecimal, CsvDelimiter, CsvDialect } from './types.js';

/** The dialect of every function whose dialect argument is absent (and of layouts stored without one). */
export const DEFAULT_DIALECT: Readonly<CsvDialect> = Object.freeze({ delimiter: ',', decimal: '.' });

const DELIMITERS: readonly CsvDelimiter[] = [',', ';', '\t', '|'];

/** Whether `d` is a delimiter batchcast reads. */
export function isCsvDelimiter(d: string): d is CsvDelimiter {
  return (DELIMITERS as readonly string[]).includes(d);
}

/** `'tab'`, `';'`… for messages. */
export function describeDelimiter(d: string): string {
  return d === '\t' ? 'tab' : `'${d}'`;
}

/**
 * The complete dialect from a partial one (a CsvLayout qualifies: its optional `delimiter`/`decimal`),
 * checked: an unknown delimiter, or a decimal comma in a comma-delimited file, is a programming or
 * request error, thrown as a RangeError that says what is allowed.
 */
export function resolveDialect(dialect?: Partial<CsvDialect> | null): CsvDialect {
  const delimiter = dialect?.delimiter ?? ',';
  const decimal = dialect?.decimal ?? '.';
  if (!DELIMITERS.includes(delimiter)) {
    throw new RangeError(`unsupported delimiter ${JSON.stringify(delimiter)}: use ',', ';', tab or '|'`);
  }
  if (decimal !== '.' && decimal !== ',') {
    throw new RangeError(`unsupported decimal separator ${JSON.stringify(decimal)}: use '.' or ','`);
  }
  if (delimiter === ',' && decimal === ',') {
    throw new RangeError("a comma-delimited file cannot use ',' as decimal separator: choose ';' or tab as delimiter, or '.' as decimal");
  }
  return { delimiter, decimal };
}

/** The dialect's bytes, for the byte-level readers. */
export function dialectBytes(dialect?: Partial<CsvDialect> | null): { delimiter: number; decimal: number } {
  const d = resolveDialect(dialect);
  return { delimiter: d.delimiter.charCodeAt(0), decimal: d.decimal.charCodeAt(0) };
}

/** What detectDialect concluded, and why (the reason is shown to the user next to the choice). */
export interface DetectedDialect extends CsvDialect {
  /**
   * `high`: one delimiter splits the header and every sampled row into the same number (>= 2) of fields.
   * `low`: a guess (one line only, a one-column file, a tie, or a few ragged rows).
   * `none`: no delimiter is consistent; `delimiter` is then `,` and the scanner reports wrong_delimiter.
   */
  confidence: 'high' | 'low' | 'none';
  /** One sentence: which delimiter gives how many fields on how many lines, and what decided the decimal. */
  reason: string;
  /** With confidence `none`, what to do about it when the sample shows it (the scanner's message ends with it). */
  advice?: string;
  /**
   * The decimal separator was detected (the delimiter allowing a decimal comma) from a sample holding no number
   * with a decimal part, and lines of the file were left unseen: '.' by default, nothing telling '.' from ','.
   */
  decimalUndecided?: true;
  /**
   * The decimal separator was detected from number cells that read both ways, and from nothing else: this cell, the
   * first of them (`2,020`: 2.02 with a decimal comma, 2020 with a thousands comma; `1.234`: 1.234, or 1234). The
   * separator taken may be the wrong one, and every such cell then a wrong number, with no row failing: the job's
   * notes say so. Present only then.
   */
  decimalAmbiguous?: string;
}

export interface DetectDialectOptions {
  /** The sample is the whole file (its last line is complete even without a line ending). Default false. */
  complete?: boolean;
  /** Lines looked at, header included (default 200). */
  maxLines?: number;
  /** A delimiter chosen by the user: only the decimal separator is detected, and the file is never refused. */
  delimiter?: CsvDelimiter;
  /** A decimal separator chosen by the user: only the delimiter is detected. */
  decimal?: CsvDecimal;
}

/**
 * Most sampled rows have one field more than the header, and that field is empty: each row ends with the
 * delimiter (some exports write one after every value), which is worth saying instead of "no delimiter fits".
 */
function endsWithDelimiter(rows: string[][]): boolean {
  const fields = rows[0]!.length;
  const data = rows.slice(1);
  const extra = data.filter((r) => r.length === fields + 1 && r[fields] === '').length;
  return data.length > 0 && extra * 2 > data.length;
}

/**
 * The first sampled data rows whose field count is not the header's, split by `delimiter`: "with ',' (4 fields in
 * the header), data row 1 has 5 fields, row 2 has 3" (rows counted from 1 below the header, as errors.csv counts them).
 */
function raggedRows(rows: string[][], delimiter: CsvDelimiter): string {
  const fields = rows[0]!.length;
  const off: string[] = [];
  let more = 0;
  rows.slice(1).forEach((r, i) => {
    if (r.length === fields) return;
    if (off.length < 3) off.push(`${off.length === 0 ? 'data row' : 'row'} ${i + 1} has ${r.length}`);
    else more++;
  });
  const rest = more > 0 ? ` (and ${more} more)` : '';
  return `with ${describeDelimiter(delimiter)} (${fields} fields in the header), ${off.join(', ')}${rest}`;
}

const COMMA_DECIMAL_CELL = /^[+-]?\d*,\d+(?:[eE][+-]?\d+)?$/;
/** `1.234,5`, `1 234,5` (a space, U+00A0 or U+202F, as French Excel writes it): one grouping throughout. */
const GROUPED_COMMA_DECIMAL_CELL = /^[+-]?\d{1,3}([. \u00a0\u202f])\d{3}(?:\1\d{3})*,\d+$/;
const DOT_DECIMAL_CELL = /^[+-]?\d*\.\d+(?:[eE][+-]?\d+)?$/;
/** `1.234` is 1234 in a decimal-comma file and 1.234 otherwise: evidence for neither. */
const AMBIGUOUS_DOT_CELL = /^[+-]?[1-9]\d{0,2}(?:\.\d{3})+$/;
/**
 * `2,020` is 2.02 with a decimal comma and 2020 with a thousands comma (a `;` file from an English-locale program).
 * Still counted for a decimal comma, as European files write three decimals too; but when nothing else decided it,
 * the job says which cell could be read the other way.
 */
const AMBIGUOUS_COMMA_CELL = /^[+-]?[1-9]\d{0,2}(?:,\d{3})+$/;

/**
 * Finds the dialect of a CSV file from its first bytes: the header and the first rows, split with the
 * package's quoting rule (a field is quoted only when it starts with `"`; delimiters and line breaks
 * inside quotes are data). For each candidate delimiter (`,` `;` tab `|`) it counts the fields of every
 * line; the one that splits the header into at least two fields and the most rows into the header's
 * count wins (ties: more cells that are numbers, then more fields, then the order `,` `;` tab `|`). The
 * decimal separator is `,` only when the delimiter is not `,` and more number cells look like `12,5` than
 * like `12.5`; `1.234` counts for neither. Never throws: an undecidable sample gives confidence `none` and the default dialect.
 */
export function detectDialect(sample: Buffer | string, opts: DetectDialectOptions = {}): DetectedDialect {
  let text = typeof sample === 'string' ? sample : sample.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const maxLines = opts.maxLines ?? 200;
  const forced = opts.delimiter;
  let best: { delimiter: CsvDelimiter; rows: string[][]; fields: number; agree: number; numbers: number } | null = null;
  const counts: string[] = [];
  let trailing: CsvDelimiter | null = null;
  for (const delimiter of forced === undefined ? DELIMITERS : [forced]) {
    const rows = splitSample(text, delimiter, opts.complete ?? false, maxLines);
    if (rows.length === 0) continue;
    const fields = rows[0]!.length;
    const agree = rows.slice(1).filter((r) => r.length === fields).length;
    if (trailing === null && fields >= 2 && endsWithDelimiter(rows)) trailing = delimiter;
    if (fields >= 2) counts.push(`${describeDelimiter(delimiter)}: ${fields} fields, ${agree} of ${rows.length - 1} rows agree`);
    if (fields < 2 && forced === undefined) continue;
    const numbers = numberCellShare(rows.slice(1));
    if (best === null || agree > best.agree || (agree === best.agree && winsDelimiterTie({ numbers, fields }, best))) {
      best = { delimiter, rows, fields, agree, numbers };
    }
  }
  if (best === null) {
    // A one-field first line above lines that do split ("Iris export 2026", then the column names): a title, said
    // as a title of several fields is (below), not read as a one-column file that lacks every column.
    const title = forced === undefined ? headerFurtherDown(text, opts.complete ?? false, maxLines) : null;
    if (title !== null) return { ...DEFAULT_DIALECT, confidence: 'none', ...title };
    return {
      delimiter: forced ?? ',',
      decimal: opts.decimal === ',' && forced !== undefined && forced !== ',' ? ',' : '.',
      confidence: 'low',
      reason:
        text.trim() === ''
          ? 'the sample is empty'
          : 'no delimiter splits the header into several fields: read as a one-column comma-separated file',
    };
  }
  const dataRows = best.rows.length - 1;
  if (forced === undefined && dataRows > 0 && best.agree * 2 < dataRows) {
    if (trailing !== null) {
      const shown = describeDelimiter(trailing);
      return {
        ...DEFAULT_DIALECT,
        confidence: 'none',
        reason: `the rows end with ${shown} after their last value, which makes one field more than the header has`,
        advice: `remove the ${shown} at the end of each row, or give that last column a name in the header`,
      };
    }
    const title = headerFurtherDown(text, opts.complete ?? false, maxLines);
    if (title !== null) return { ...DEFAULT_DIALECT, confidence: 'none', ...title };
    return {
      ...DEFAULT_DIALECT,
      confidence: 'none',
      reason: `could not tell how the columns are separated: no delimiter gives the header's number of fields on most rows (${counts.join('; ')})`,
      advice: `${raggedRows(best.rows, best.delimiter)}; check those rows for a missing value or one too many (an unquoted ${describeDelimiter(best.delimiter)} inside a value), or choose the delimiter and decimal separator explicitly`,
    };
  }
  const delimiter = best.delimiter;
  const shown = describeDelimiter(delimiter);
  let reason =
    dataRows === 0
      ? `${shown} splits the header into ${best.fields} fields (no rows to confirm it)`
      : `${shown} gives ${best.fields} fields on ${best.agree} of ${dataRows} sampled rows`;
  if (forced !== undefined) reason = `${shown} as chosen (${reason.slice(shown.length + 1)})`;
  const tie = forced === undefined && counts.length > 1 && DELIMITERS.some((d) => d !== delimiter && sameSplit(text, d, best!, opts));
  const confidence = forced !== undefined || (dataRows > 0 && best.agree === dataRows && !tie) ? 'high' : 'low';
  let decimal: CsvDecimal = '.';
  if (opts.decimal !== undefined) {
    if (opts.decimal === ',' && delimiter === ',') {
      return {
        ...DEFAULT_DIALECT,
        confidence: 'none',
        reason: `the file is comma-delimited (${reason}), so ',' cannot be its decimal separator as chosen`,
      };
    }
    decimal = opts.decimal;
    reason += `; decimal '${decimal}' as chosen`;
  } else if (delimiter === ',') {
    reason += "; decimal '.' (a comma-delimited file cannot use decimal commas)";
  } else {
    let comma = 0;
    let dot = 0;
    /** Comma cells that are not also a thousands-grouped integer (`12,5`, `0,125`, `1.234,5`). */
    let plainComma = 0;
    let ambiguousComma: string | undefined;
    let ambiguousDot: string | undefined;
    for (const row of best.rows.slice(1)) {
      for (const cell of row) {
        const t = cell.trim();
        if (COMMA_DECIMAL_CELL.test(t) || GROUPED_COMMA_DECIMAL_CELL.test(t)) {
          comma++;
          if (!AMBIGUOUS_COMMA_CELL.test(t)) plainComma++;
          else ambiguousComma ??= t;
        } else if (DOT_DECIMAL_CELL.test(t)) {
          if (!AMBIGUOUS_DOT_CELL.test(t)) dot++;
          else ambiguousDot ??= t;
        }
      }
    }
    if (comma > dot) {
      decimal = ',';
      reason += `; decimal ',' (${comma} numbers like 12,5${dot > 0 ? `, ${dot} like 12.5` : ''})`;
      // Every comma cell also reads as a thousands-grouped integer, and no `12.5` argued: nothing told them apart.
      if (plainComma === 0 && dot === 0 && ambiguousComma !== undefined) {
        return { delimiter, decimal, confidence, reason, decimalAmbiguous: ambiguousComma };
      }
    } else if (dot > 0 || comma > 0) {
      reason += `; decimal '.' (${dot} numbers like 12.5, ${comma} like 12,5)`;
    } else if (ambiguousDot !== undefined) {
      // `1.234` cells alone: read as 1.234 (as pandas.read_csv reads them without thousands='.'), and said.
      reason += `; decimal '.' (numbers like ${ambiguousDot} only, which read both ways)`;
      return { delimiter, decimal, confidence, reason, decimalAmbiguous: ambiguousDot };
    } else {
      reason += "; decimal '.' (no decimal numbers seen)";
      // Said only when lines were left unseen (a sample cut short, or maxLines reached): a whole file of integers
      // has no decimal separator to get wrong.
      const wholeFile = (opts.complete ?? false) && best.rows.length < maxLines;
      if (!wholeFile) return { delimiter, decimal, confidence, reason, decimalUndecided: true };
    }
  }
  return { delimiter, decimal, confidence, reason };
}

/** Lines above the header looked at: a report's title, a date, an empty line or two; more is no longer a title. */
const TITLE_LINES = 5;

/**
 * When no delimiter fits the sample as read, whether it would fit with the header a few lines further down:
 * a report's export often puts a title ("Iris export, December 2026") above the column names, and "no delimiter
 * gives the header's number of fields" sent people looking at their delimiters. The file is still refused (CSV
 * uploads have no header-row option, and skipping lines unasked would score a file not as written): the reason
 * names the title and the line the column names seem to be on, and the advice says to delete the lines above them.
 */
function headerFurtherDown(text: string, complete: boolean, maxLines: number): { reason: string; advice: string } | null {
  let from = 0;
  const titles: string[] = [];
  for (let skipped = 1; skipped <= TITLE_LINES; skipped++) {
    const eol = text.indexOf('\n', from);
    if (eol === -1) return null;
    titles.push(text.slice(from, eol));
    from = eol + 1;
    const rest = text.slice(from);
    if (rest.trim() === '') return null;
    // A blank line under the title is not where the header is: look one line further.
    if (/^\r?\n/.test(rest)) continue;
    for (const delimiter of DELIMITERS) {
      const rows = splitSample(rest, delimiter, complete, maxLines);
      const fields = rows[0]?.length ?? 0;
      const data = rows.length - 1;
      if (fields < 2 || data < 1) continue;
      const agree = rows.slice(1).filter((r) => r.length === fields).length;
      if (agree * 2 < data) continue;
      // A title has a field or two where the header has many: a header of `a,b,c` above rows of four values
      // is a header short of a name, not a title.
      if (titles.some((line) => (splitSample(line, delimiter, true, 1)[0]?.length ?? 0) * 2 > fields)) continue;
      const names = rows[0]!.slice(0, 4).map((n) => JSON.stringify(truncate(n, 40)));
      const above = skipped === 1 ? 'line 1 looks' : `lines 1 to ${skipped} look`;
      return {
        reason:
          `${above} like a title, not the header: the column names seem to be on line ${skipped + 1} ` +
          `(${names.join(', ')}${fields > 4 ? ', …' : ''}; ${describeDelimiter(delimiter)} gives ${fields} fields on ${agree} of ${data} rows below it)`,
        advice: `delete the line${skipped === 1 ? '' : 's'} above the column names and upload the file again`,
      };
    }
  }
  return null;
}

/** Whether another delimiter splits the sample as well as the winner (an ambiguous file, e.g. one column of `a;b`). */
function sameSplit(
  text: string,
  d: CsvDelimiter,
  best: { delimiter: CsvDelimiter; fields: number; agree: number },
  opts: DetectDialectOptions,
): boolean {
  if (d === best.delimiter) return false;
  const rows = splitSample(text, d, opts.complete ?? false, opts.maxLines ?? 200);
  if (rows.length === 0 || rows[0]!.length !== best.fields) return false;
  return rows.slice(1).filter((r) => r.length === best.fields).length === best.agree;
}

/**
 * The sample's records (at most maxLines, blank lines skipped) split into fields by `delimiter`, with the
 * quoting rule of fields.ts. A record cut by the end of an incomplete sample is dropped.
 */
function splitSample(text: string, delimiter: string, complete: boolean, maxLines: number): string[][] {
  const rows: string[][] = [];
  const n = text.length;
  let i = 0;
  while (i < n && rows.length < maxLines) {
    const start = i;
    const fields: string[] = [];
    let field = '';
    let atFieldStart = true;
    let ended = false;
    while (i < n) {
      const ch = text[i]!;
      if (atFieldStart && ch === '"') {
        // Quoted field: up to the closing quote, `""` is a quote.
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q === -1) {
            field += text.slice(i);
            i = n;
            break;
          }
          field += text.slice(i, q);
          if (text[q + 1] === '"') {
            field += '"';
            i = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        atFieldStart = false;
        continue;
      }
      atFieldStart = false;
      if (ch === delimiter) {
        fields.push(field);
        field = '';
        atFieldStart = true;
        i++;
      } else if (ch === '\n') {
        i++;
        ended = true;
        break;
      } else {
        field += ch;
        i++;
      }
    }
    if (!ended && !complete) break;
    if (field.endsWith('\r') && (ended || i >= n)) field = field.slice(0, -1);
    fields.push(field);
    // Blank lines are not records.
    const raw = text.slice(start, ended ? i - 1 : i);
    if (raw === '' || raw === '\r') continue;
    rows.push(fields);
  }
  return rows;
}
