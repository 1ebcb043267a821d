import { pythonWordsAsJson } from '@batchcast/names';
import { nestsDeeperThan } from './json-depth.js';

/**
 * A JSON Lines record read with the text of each of its values as written. JSON.parse alone loses that text:
 * `1.0` comes back as the integer 1 (so a column of `1.0`, `2.0` was typed int64, and echoed `1`), `1e400` as
 * Infinity (echoed null), a nested value re-printed by JSON.stringify (other spacing, escapes decoded), an
 * integer beyond 2^53 rounded; and a key given twice is resolved silently (the last wins), while other readers
 * take the first or refuse. So the record is parsed by JSON.parse (which validates it and gives the values), and
 * its first level is walked again to find each member's key and value text.
 */
export type RecordRead =
  /** A JSON object: its keys in the order written, their values (integers beyond 2^53 as BigInts) and texts. */
  | { kind: 'record'; object: Record<string, unknown>; keys: string[]; values: unknown[]; texts: string[] }
  /** A JSON object that names `key` more than once. */
  | { kind: 'duplicate'; key: string }
  /** Valid JSON, but not an object. */
  | { kind: 'other'; value: unknown }
  /** Nests deeper than MAX_JSON_DEPTH (json-depth.ts): not parsed at all. */
  | { kind: 'too_deep' };

/** An integer literal: a number's text without a fraction or an exponent. */
const INTEGER_LITERAL = /^-?\d+$/;

/**
 * Reads one line of JSON Lines; throws JSON.parse's SyntaxError when it is not valid JSON. A line nesting deeper
 * than MAX_JSON_DEPTH is not parsed (its values could not be written back as text): every reader refuses it.
 * Python's `NaN`, `Infinity` and `-Infinity` are read as `null`, `1e400` and `-1e400` (@batchcast/names'
 * pythonWordsAsJson), and their texts are those: only once JSON.parse has refused the line as written.
 */
export function readRecord(text: string): RecordRead {
  if (nestsDeeperThan(text)) return { kind: 'too_deep' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const json = pythonWordsAsJson(text);
    if (json === null) throw err;
    return readRecord(json);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'other', value };
  const object = value as Record<string, unknown>;
  const keys: string[] = [];
  const texts: string[] = [];
  // JSON.parse accepted the text: the walk needs no checks of its own, only where each member starts and ends.
  let i = skipSpace(text, skipSpace(text, 0) + 1);
  while (text.charCodeAt(i) === 0x22) {
    const keyEnd = stringEnd(text, i);
    const raw = text.slice(i + 1, keyEnd - 1);
    keys.push(raw.includes('\\') ? (JSON.parse(text.slice(i, keyEnd)) as string) : raw);
    const start = skipSpace(text, skipSpace(text, keyEnd) + 1); // past the colon
    const end = valueEnd(text, start);
    texts.push(text.slice(start, end));
    i = skipSpace(text, end);
    if (text.charCodeAt(i) !== 0x2c) break; // the closing brace
    i = skipSpace(text, i + 1);
  }
  if (keys.length !== Object.keys(object).length) {
    const seen = new Set<string>();
    for (const key of keys) {
      if (seen.has(key)) return { kind: 'duplicate', key };
      seen.add(key);
    }
  }
  const values = keys.map((key, k) => {
    const v = object[key];
    // An integer JSON.parse rounded (beyond 2^53): its digits, exactly.
    return typeof v === 'number' && !Number.isSafeInteger(v) && INTEGER_LITERAL.test(texts[k]!) ? BigInt(texts[k]!) : v;
  });
  return { kind: 'record', object, keys, values, texts };
}

/** Whether a number's text is an integer literal (`1.0` and `1e2` are not: they were written as fractions). */
export const isIntegerLiteral = (text: string): boolean => INTEGER_LITERAL.test(text);

/** The message of a record that names a key twice. */
export const duplicateKeyReason = (key: string): string =>
  `this record has the key ${JSON.stringify(key)} more than once, and JSON readers differ on which value they take: keep one`;

function skipSpace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return i;
    i++;
  }
}

/** The index after the string that opens at `i` (its quote). */
function stringEnd(text: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    let backslashes = 0;
    while (text.charCodeAt(q - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** The index after the value that starts at `i`. */
function valueEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 0x22) return stringEnd(text, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (let j = i; ; j++) {
      const d = text.charCodeAt(j);
      if (d === 0x22) j = stringEnd(text, j) - 1;
      else if (d === 0x7b || d === 0x5b) depth++;
      else if ((d === 0x7d || d === 0x5d) && --depth === 0) return j + 1;
    }
  }
  // A number, true, false or null: up to the comma, brace or space after it.
  let j = i + 1;
  for (;;) {
    const d = text.charCodeAt(j);
    if (d === 0x2c || d === 0x7d || d === 0x20 || d === 0x09 || d === 0x0a || d === 0x0d || Number.isNaN(d)) return j;
    j++;
  }
}
