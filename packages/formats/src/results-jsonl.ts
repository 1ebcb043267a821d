import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Cell, ResultColumnType } from './cell.js';
import { floatColumnText, isShortestNumberText, numberText } from './csv-text.js';
import { isLongDecimal } from './decimal-text.js';
import { cellBoolean, cellNumber } from './result-values.js';
import { checkResultColumns, checkWidth, doubleShortestTexts, type ResultsInput, shortestColumns } from './results-common.js';

/** A JSON number literal. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function jsonValue(c: Cell, type: ResultColumnType): string {
  if (c === null) return 'null';
  switch (type) {
    case 'double':
    case 'float':
    case 'decimal':
    case 'int64':
    case 'uint64':
    case 'int32': {
      if (typeof c === 'bigint') return c.toString();
      // Text that is already the number's shortest form (a CSV's cells, PostgreSQL's probabilities): as it is,
      // with `.0` in a double column (numberText and floatColumnText would print exactly this).
      if (typeof c === 'string' && type !== 'float' && isShortestNumberText(c)) return type === 'double' && !c.includes('.') ? `${c}.0` : c;
      // A wide DECIMAL's exact text is a JSON number as it is; as a double it would lose digits.
      if (typeof c === 'string' && isLongDecimal(c)) return c;
      const n = cellNumber(c);
      if (n !== null && Number.isFinite(n)) {
        // A float column's integral values with `.0` (5.0): JSON readers type 5 as an integer.
        return type === 'double' || type === 'float' ? floatColumnText(n, type === 'float') : numberText(n);
      }
      if (typeof c === 'string' && c.trim() === '') return 'null';
      // A JSON number beyond a double (`1e400`, from a JSON Lines input): as written, which JSON readers read as
      // infinite, as the row was scored; null would say the input had none.
      if (typeof c === 'string' && JSON_NUMBER.test(c)) return c;
      // Not a number (the row failed on it): keep what the input held.
      return typeof c === 'string' ? JSON.stringify(c) : 'null';
    }
    case 'bool': {
      const b = cellBoolean(c);
      return b === null ? (typeof c === 'string' && c.trim() !== '' ? JSON.stringify(c) : 'null') : String(b);
    }
    case 'json':
    case 'mixed':
      return typeof c === 'string' ? c : jsonValue(c, 'string');
    default:
      return JSON.stringify(typeof c === 'string' ? c : typeof c === 'number' ? numberText(c) : String(c));
  }
}

/**
 * results.jsonl: one object per line with every column as a key, typed as the column is (numbers as JSON
 * numbers, int64 exact, booleans, text; `json` columns as the JSON they hold). Streams to `out` and ends
 * it, as stream.pipeline does (and destroys it on error).
 */
export async function writeResultsJsonl(out: Writable, input: ResultsInput): Promise<{ rows: number }> {
  checkResultColumns(input.columns);
  // `{"name":` then `,"name":`: made once, not once per cell.
  const keys = input.columns.map((c, i) => `${i === 0 ? '{' : ','}${JSON.stringify(c.name)}:`);
  const types = input.columns.map((c) => c.type);
  const shortestTexts = doubleShortestTexts(input);
  let rows = 0;
  async function* lines(): AsyncGenerator<Buffer> {
    for await (const batch of input.rows) {
      // One Buffer per batch from an array of small strings: long concatenated strings cost GC time.
      const parts: string[] = [];
      for (const row of batch) {
        checkWidth(row, keys.length, rows);
        if (keys.length === 0) parts.push('{');
        const shortest = shortestColumns(row, shortestTexts);
        for (let i = 0; i < keys.length; i++) {
          const c = row[i]!;
          // A double's shortest text, checked by the caller: as jsonValue writes it (with `.0` when integral).
          if (shortest?.[i] === true && typeof c === 'string') parts.push(keys[i]!, c.includes('.') ? c : `${c}.0`);
          else parts.push(keys[i]!, jsonValue(c, types[i]!));
        }
        parts.push('}\n');
        rows++;
      }
      if (parts.length > 0) yield Buffer.from(parts.join(''));
    }
  }
  await pipeline(Readable.from(lines()), out);
  return { rows };
}
