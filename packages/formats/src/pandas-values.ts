import { FormatError } from './errors.js';
import { JsonArraySplitter, type JsonArrayOptions, oneLine, splitterStream } from './json-array.js';
import { topLevelItems } from './json-object-walker.js';
import { QUOTE } from './json-value-scan.js';

const WHAT = "pandas' to_json(orient='values') JSON (a list of lists)";
const NEWLINE = 0x0a;
const COMMA = Buffer.from(',');
const LINE_END = Buffer.from('\n');
const NULL = Buffer.from('null');
const EMPTY_LIST = Buffer.from('[]');
/** The line of a list with no values (see PandasValuesSplitter.line). */
const EMPTY_LIST_LINE = Buffer.from('[]\n');
const EMPTY_FIELD_LINE = Buffer.from('""\n');
/** A CSV field needs quotes when it holds one of these, or starts or ends with whitespace (kept as written). */
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/**
 * The rows of a file pandas wrote with `DataFrame.to_json(orient='values')` — `[[5.1, 3.5, "setosa"], ...]`, no
 * column names — as the header-less CSV `df.to_csv(header=False)` would have written of the same frame: each list
 * one line, comma-separated. Nothing in the file names its columns, so it is read only when the upload says it
 * has no header row, and then exactly as a header-less CSV is (columns named by position, then after the model's
 * in its order): one reading, one rule. A number keeps the bytes written (`5.0` stays `5.0`), a string is its
 * text (quoted where CSV needs it), null the empty cell, a nested list or object its JSON text. A list of another
 * length than the first (an empty one too) is written as it is: the CSV reader fails its row, saying how many fields it has and how
 * many the first row has, and scores the others. An element that is not a list refuses the file, naming it.
 */
export class PandasValuesSplitter {
  private readonly rows: JsonArraySplitter;
  private row = 0;

  constructor(opts: JsonArrayOptions = {}) {
    this.rows = new JsonArraySplitter({ ...opts, arrays: true, bare: true });
  }

  push(buf: Buffer): Buffer[] {
    return this.rows.push(buf).map((row) => this.line(row));
  }

  finish(): Buffer[] {
    return this.rows.finish().map((row) => this.line(row));
  }

  /** One list of values as a CSV line. */
  private line(row: Buffer): Buffer {
    const n = ++this.row;
    const items = topLevelItems(row);
    if (!items || items.keys) {
      throw new FormatError(
        'json_layout',
        `the file is ${WHAT}, but element ${n} of the array is not a list of values: every row must be one, as pandas writes them`,
      );
    }
    // A blank line is no record to the CSV reader, which skips it: the row would be lost and those after it
    // numbered one less. An empty list is the line `[]` (a nested empty list is always quoted, so nothing else
    // makes that line; the reader names it "a list with no values"); a lone null or empty string, `""`.
    if (items.values.length === 0) return EMPTY_LIST_LINE;
    const parts: Buffer[] = [];
    for (let j = 0; j < items.values.length; j += 2) {
      if (j > 0) parts.push(COMMA);
      parts.push(field(row.subarray(items.values[j]!, items.values[j + 1]!)));
    }
    if (parts.length === 1 && parts[0]!.length === 0) return EMPTY_FIELD_LINE;
    parts.push(LINE_END);
    return Buffer.concat(parts);
  }
}

/** A JSON value's bytes as a CSV field. */
function field(value: Buffer): Buffer {
  if (value.equals(NULL)) return Buffer.alloc(0);
  const first = value[0];
  if (first === QUOTE) return quoted(JSON.parse(value.toString('utf8')) as string);
  // A nested list or object: its JSON text, on one line; `[]` quoted, as a line of its own means an empty row.
  if (value.equals(EMPTY_LIST)) return Buffer.from('"[]"');
  if (first === 0x5b || first === 0x7b) return quoted((value.indexOf(NEWLINE) === -1 ? value : oneLine(value)).toString('utf8'));
  // A number, true or false (or NaN/Infinity as Python writes them): as written.
  return value;
}

function quoted(text: string): Buffer {
  return Buffer.from(NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text, 'utf8');
}

/** PandasValuesSplitter as a stream: orient='values' JSON in, header-less CSV out. */
export function pandasValuesToCsv(opts: JsonArrayOptions = {}) {
  return splitterStream(new PandasValuesSplitter(opts));
}
