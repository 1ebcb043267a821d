import type { Cell } from './cell.js';
import { numberText } from './csv-text.js';

/**
 * One value of a `mixed` column (a JSON Lines key whose values are of several kinds: numbers, then text) as the
 * writers other than JSON Lines show it: `text` a JSON string without JSON's quotes and escapes, `number` a
 * number's text as written (`1.0`, `1e400`, digits beyond 2^53 kept), `bool`, `nested` an object or array as
 * its JSON text (no other format has a place for its structure).
 */
export type MixedValue =
  | { kind: 'text'; text: string }
  | { kind: 'number'; text: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'nested'; text: string };

/**
 * A `mixed` column's cell (its JSON text, as readJsonlRows gives it) as the value it holds; null for null.
 * Cells of another kind (a number, a boolean) are taken as they are.
 */
export function mixedValue(c: Cell): MixedValue | null {
  switch (typeof c) {
    case 'number':
      return { kind: 'number', text: numberText(c) };
    case 'bigint':
      return { kind: 'number', text: c.toString() };
    case 'boolean':
      return { kind: 'bool', value: c };
    case 'string':
      break;
    default:
      return null;
  }
  const first = c.charCodeAt(0);
  // A JSON text's first character says its kind: `"` a string, `{` / `[` nested, t/f/n the literals.
  if (first === 0x22) return { kind: 'text', text: JSON.parse(c) as string };
  if (first === 0x7b || first === 0x5b) return { kind: 'nested', text: c };
  if (c === 'true' || c === 'false') return { kind: 'bool', value: c === 'true' };
  if (c === 'null') return null;
  return { kind: 'number', text: c };
}

/** A `mixed` cell as plain text: a string without JSON's quotes, a number as written, `true`/`false`, JSON for the rest. */
export function mixedText(c: Cell): string | null {
  const v = mixedValue(c);
  if (v === null) return null;
  return v.kind === 'bool' ? String(v.value) : v.text;
}
