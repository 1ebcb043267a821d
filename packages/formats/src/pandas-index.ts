import { FormatError, formatBytes } from './errors.js';
import { type JsonArrayOptions, oneLine, splitterStream } from './json-array.js';
import { JsonObjectWalker, type ObjectMembers, topLevelItems } from './json-object-walker.js';
import { indexColumnName } from '@batchcast/names';
import { labelValue, memberPrefix, pandasLayoutNote } from './pandas-records.js';

const MiB = 1024 * 1024;
const NEWLINE = Buffer.from('\n');
const COMMA = Buffer.from(',');
const WHAT = "pandas' to_json(orient='index') JSON";

/**
 * The rows of a file pandas wrote with `DataFrame.to_json(orient='index')` — `{"0": {"a": 1, ...}, "1": {...}}` —
 * as JSON Lines: each member's object is a record (bytes as written), its key, the row's label, kept as a column
 * of its own (`indexColumnName`, from the first record's keys). A member that is not an object refuses the file,
 * naming its label.
 */
export class PandasIndexSplitter implements ObjectMembers {
  private readonly walker = new JsonObjectWalker(this, WHAT);
  private readonly maxRowBytes: number;
  private label = '';
  private row: Buffer[] = [];
  private rowBytes = 0;
  private rows = 0;
  private indexPrefix: Buffer | null = null;
  private indexName: string | null = null;
  private out: Buffer[] = [];

  constructor(opts: JsonArrayOptions = {}) {
    this.maxRowBytes = opts.maxElementBytes ?? 8 * MiB;
  }

  push(buf: Buffer): Buffer[] {
    this.out = [];
    this.walker.push(buf);
    return this.out;
  }

  finish(): Buffer[] {
    this.out = [];
    this.walker.finish();
    if (this.rows === 0) throw new FormatError('no_rows', `the file is ${WHAT} without rows: there is nothing to score`);
    return this.out;
  }

  indexColumn(): string | null {
    return this.indexName;
  }

  key(key: string): void {
    this.label = key;
    this.row = [];
    this.rowBytes = 0;
  }

  value(piece: Buffer): void {
    this.rowBytes += piece.length;
    if (this.rowBytes > this.maxRowBytes) {
      throw new FormatError(
        'line_too_large',
        `row "${this.label.slice(0, 80)}" of the file (${WHAT}) is larger than ${formatBytes(this.maxRowBytes)}; each row must be smaller`,
      );
    }
    this.row.push(Buffer.from(piece));
  }

  end(): void {
    let bytes = this.row.length === 1 ? this.row[0]! : Buffer.concat(this.row);
    this.row = [];
    if (bytes[0] !== 0x7b) {
      throw new FormatError(
        'json_layout',
        `the file is ${WHAT}, but the value of row "${this.label.slice(0, 80)}" is not an object naming its columns`,
      );
    }
    if (this.indexPrefix === null) {
      const items = topLevelItems(bytes);
      const keys: string[] = [];
      if (items?.keys) {
        for (let k = 0; k < items.keys.length; k += 2) {
          try {
            keys.push(JSON.parse(bytes.toString('utf8', items.keys[k]!, items.keys[k + 1]!)) as string);
          } catch {
            // A key that is not a JSON string: the record fails its row when read.
          }
        }
      }
      this.indexName = indexColumnName(keys);
      this.indexPrefix = memberPrefix(this.indexName);
    }
    if (bytes.indexOf(0x0a) !== -1 || bytes.indexOf(0x0d) !== -1) bytes = oneLine(bytes);
    const label = labelValue(Buffer.from(JSON.stringify(this.label)));
    // `{` + the index + the record's own members: `{"index":0,"a":1}`, or `{"index":0}` for `{}`.
    let rest = 1;
    while (rest < bytes.length && (bytes[rest] === 0x20 || bytes[rest] === 0x09)) rest++;
    const empty = bytes[rest] === 0x7d;
    this.out.push(
      Buffer.concat([bytes.subarray(0, 1), this.indexPrefix, label, empty ? Buffer.alloc(0) : COMMA, bytes.subarray(1)]),
      NEWLINE,
    );
    this.rows++;
  }
}

/** PandasIndexSplitter as a stream: orient='index' JSON in, JSON Lines of its rows out; the index's column once it has ended. */
export function pandasIndexToJsonl(opts: JsonArrayOptions = {}) {
  const splitter = new PandasIndexSplitter(opts);
  return {
    stream: splitterStream(splitter),
    note: () => pandasLayoutNote('index', 'the object under each row label, one row each', splitter.indexColumn()),
  };
}
