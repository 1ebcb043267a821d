import { FormatError, formatBytes } from './errors.js';
import { JsonArraySplitter, type JsonArrayOptions, splitterStream } from './json-array.js';
import { JsonObjectWalker, type ObjectMembers, topLevelItems } from './json-object-walker.js';
import { indexColumnName } from '@batchcast/names';
import { MAX_COLUMNS_LAYOUT_BYTES } from './pandas-columns.js';
import { memberPrefix, pandasLayoutNote } from './pandas-records.js';

/** "columns" is a list of names; "index" one label a row, which is held until its rows come. */
const MAX_COLUMNS_BYTES = 4 * 1024 * 1024;
const MAX_INDEX_BYTES = 64 * 1024 * 1024;

const NEWLINE = Buffer.from('\n');
const OPEN = Buffer.from('{');
const CLOSE = Buffer.from('}');
const COMMA = Buffer.from(',');

const WHAT = "pandas' to_json(orient='split') JSON";
const PANDAS_ORDER =
  'write its keys in the order pandas\' df.to_json(orient=\'split\') writes them, "columns", "index", then "data" ' +
  "(or write JSON Lines, df.to_json('f.jsonl', orient='records', lines=True), read at any size)";

/**
 * The rows of a file pandas wrote with `DataFrame.to_json(orient='split')` — `{"columns": [...], "index": [...],
 * "data": [[...], ...]}` — as JSON Lines: each list under "data" becomes a record naming its values by "columns"
 * (bytes as written), with the row's label from "index" as a column of its own (`indexColumnName`). pandas writes
 * "columns", "index", "data", and then the rows stream. JSON does not fix the order of keys, and other writers (or
 * a hand edit) put "data" before "columns" or "index": a row cannot be named before "columns" has come, nor given
 * its label before "index" has, and whether an "index" comes at all is known only at the end. So rows that come
 * before either are held (up to `maxHeldBytes`, the 32 MiB the default layout is held to) and written once both are
 * known, the same bytes as in pandas' order. Past that limit, rows waiting for "columns" refuse the file; rows
 * waiting for an "index" that may never come (index=False writes none) are written without one, and an "index"
 * after them refuses the file: both messages say to write the keys in pandas' order. A row with another number of
 * values than "columns" names, or an index of another length, refuses the file, saying where.
 */
export class PandasSplitSplitter implements ObjectMembers {
  private readonly walker = new JsonObjectWalker(this, WHAT);
  private readonly rows: JsonArraySplitter;
  private readonly maxHeldBytes: number;
  private member = '';
  private held: Buffer[] = [];
  private heldBytes = 0;
  private names: string[] | null = null;
  private prefixes: Buffer[] = [];
  private index: { bytes: Buffer; values: number[] } | null = null;
  private indexPrefix: Buffer | null = null;
  private row = 0;
  private dataSeen = false;
  /** The object's keys so far: one of the layout's given twice refuses the file (which one would pandas read?). */
  private readonly seen = new Set<string>();
  /** Rows of "data" read before "columns" or "index": written in order once both are known (or the file ends). */
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  /** Rows were written without a label, too many having come before any "index": one now refuses the file. */
  private unlabelled = false;
  private out: Buffer[] = [];

  constructor(opts: JsonArrayOptions & { maxHeldBytes?: number } = {}) {
    this.rows = new JsonArraySplitter({ ...opts, arrays: true, bare: true });
    this.maxHeldBytes = opts.maxHeldBytes ?? MAX_COLUMNS_LAYOUT_BYTES;
  }

  push(buf: Buffer): Buffer[] {
    this.out = [];
    this.walker.push(buf);
    return this.out;
  }

  finish(): Buffer[] {
    this.out = [];
    this.walker.finish();
    if (!this.dataSeen) throw refusal('it has no "data" (the rows, as lists of values)');
    if (this.names === null) throw refusal('it has no "columns" (the names of the values in each row under "data")');
    // The object has ended: no "index" is coming, so the rows still held have none.
    this.release();
    const labels = this.index ? this.index.values.length / 2 : 0;
    if (this.index && labels !== this.row) {
      throw refusal(`"index" holds ${labels} row labels and "data" ${this.row} rows`);
    }
    return this.out;
  }

  /** The column the index was kept in, or null when the file has none (written with index=False). */
  indexColumn(): string | null {
    return this.indexPrefix && this.names ? indexColumnName(this.names) : null;
  }

  key(key: string): void {
    if ((key === 'columns' || key === 'index' || key === 'data') && this.seen.has(key)) {
      // pandas' JSON reader keeps the last; a hand edit or a writer's bug more likely meant the first. Neither is guessed.
      throw refusal(`its "${key}" is given twice; write each of "columns", "index" and "data" once`);
    }
    this.seen.add(key);
    this.member = key;
    this.held = [];
    this.heldBytes = 0;
    if (key === 'data') this.dataSeen = true;
  }

  value(piece: Buffer): void {
    if (this.member === 'data') {
      for (const row of this.rows.push(piece)) this.arrived(row);
      return;
    }
    if (this.member !== 'columns' && this.member !== 'index') return;
    const max = this.member === 'columns' ? MAX_COLUMNS_BYTES : MAX_INDEX_BYTES;
    this.heldBytes += piece.length;
    if (this.heldBytes > max) {
      throw refusal(`its "${this.member}" is larger than ${formatBytes(max)}, more than batchcast holds of it`);
    }
    this.held.push(Buffer.from(piece));
  }

  end(): void {
    if (this.member === 'data') {
      for (const row of this.rows.finish()) this.arrived(row);
    } else if (this.member === 'columns') {
      this.names = columnNames(Buffer.concat(this.held));
      this.prefixes = this.names.map(memberPrefix);
      if (this.index) this.indexPrefix = memberPrefix(indexColumnName(this.names));
      if (this.index) this.release();
    } else if (this.member === 'index') {
      if (this.unlabelled) {
        throw refusal(
          `its "index" comes after "data", and batchcast holds the rows waiting for their labels only up to ${formatBytes(this.maxHeldBytes)}; ` +
            `this file has more: ${PANDAS_ORDER}, or write it without the index (index=False)`,
        );
      }
      const bytes = Buffer.concat(this.held);
      const items = topLevelItems(bytes);
      if (!items || items.keys) throw refusal('its "index" is not a list of row labels');
      this.index = { bytes, values: items.values };
      if (this.names) {
        this.indexPrefix = memberPrefix(indexColumnName(this.names));
        this.release();
      }
    }
    this.held = [];
  }

  /** A row under "data": written when its names and label are known, else held until they are. */
  private arrived(row: Buffer): void {
    if (this.names !== null && (this.index !== null || this.unlabelled)) {
      this.take(row);
      return;
    }
    this.waiting.push(row);
    this.waitingBytes += row.length;
    if (this.waitingBytes <= this.maxHeldBytes) return;
    if (this.names === null) {
      throw refusal(
        `"data" comes before "columns", which names its values, and batchcast holds the rows waiting for their names only up to ` +
          `${formatBytes(this.maxHeldBytes)}; this file has more: ${PANDAS_ORDER}`,
      );
    }
    // Waiting for an "index" that pandas would have written before "data": the rows go without one (index=False
    // writes none), and an "index" after them refuses the file (end()).
    this.unlabelled = true;
    this.release();
  }

  /** Writes the rows held, in order (the names are known by then). */
  private release(): void {
    const rows = this.waiting;
    this.waiting = [];
    this.waitingBytes = 0;
    for (const row of rows) this.take(row);
  }

  /** One list of values under "data" as a record. */
  private take(row: Buffer): void {
    const n = this.row++;
    const items = topLevelItems(row);
    if (!items || items.keys) throw refusal(`row ${n + 1} under "data" is not a list of values`);
    const count = items.values.length / 2;
    if (count !== this.prefixes.length) {
      throw refusal(`row ${n + 1} under "data" has ${count} values where "columns" names ${this.prefixes.length}`);
    }
    const parts: Buffer[] = [OPEN];
    if (this.index && this.indexPrefix) {
      if (2 * n >= this.index.values.length) {
        throw refusal(`"index" holds ${this.index.values.length / 2} row labels, fewer than the rows under "data"`);
      }
      parts.push(this.indexPrefix, this.index.bytes.subarray(this.index.values[2 * n]!, this.index.values[2 * n + 1]!));
      if (count > 0) parts.push(COMMA);
    }
    for (let j = 0; j < count; j++) {
      if (j > 0) parts.push(COMMA);
      parts.push(this.prefixes[j]!, row.subarray(items.values[2 * j]!, items.values[2 * j + 1]!));
    }
    parts.push(CLOSE, NEWLINE);
    this.out.push(Buffer.concat(parts));
  }
}

/** "columns": a list of names (pandas writes numbers for a frame built from an array: they are names too). */
function columnNames(bytes: Buffer): string[] {
  let names: unknown;
  try {
    names = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw refusal('its "columns" is not valid JSON');
  }
  if (!Array.isArray(names) || names.length === 0) throw refusal('its "columns" is not a list of column names');
  return names.map((n, i) => {
    if (typeof n === 'string') return n;
    if (typeof n === 'number' || typeof n === 'boolean') return String(n);
    throw refusal(`column ${i + 1} in "columns" is not a name (a string or a number)`);
  });
}

function refusal(what: string): FormatError {
  return new FormatError('json_layout', `the file is ${WHAT}, but ${what}`);
}

/** PandasSplitSplitter as a stream: orient='split' JSON in, JSON Lines of its rows out; the index's column once it has ended. */
export function pandasSplitToJsonl(opts: JsonArrayOptions = {}) {
  const splitter = new PandasSplitSplitter(opts);
  return {
    stream: splitterStream(splitter),
    note: () => pandasLayoutNote('split', 'the lists under "data", one row each, named by "columns"', splitter.indexColumn()),
  };
}
