import { parseFloatText } from '@batchcast/csv';
import type { Cell } from './cell.js';
import { isShortestNumberText, numberText } from './csv-text.js';

/** A cell as a number (text parsed as a CSV cell; empty text is NaN), or null when it is not one. */
export function cellNumber(c: Cell): number | null {
  switch (typeof c) {
    case 'number':
      return c;
    case 'bigint':
      return Number(c);
    case 'boolean':
      return c ? 1 : 0;
    case 'string': {
      if (isShortestNumberText(c)) return Number(c);
      const n = parseFloatText(c);
      return n === undefined ? null : n;
    }
    default:
      return null;
  }
}

const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/;

/** A cell as a 64-bit integer (signed, or unsigned: 0 to 2^64 - 1), or null when it is not an integer in range. */
export function cellBigInt(c: Cell, range: 'signed' | 'unsigned' = 'signed'): bigint | null {
  let v: bigint | null = null;
  if (typeof c === 'bigint') v = c;
  else if (typeof c === 'number') v = Number.isInteger(c) ? BigInt(c) : null;
  else if (typeof c === 'boolean') v = c ? 1n : 0n;
  else if (typeof c === 'string') {
    if (INTEGER_TEXT.test(c)) v = BigInt(c.trim());
    else {
      const n = parseFloatText(c);
      v = n !== undefined && Number.isInteger(n) ? BigInt(n) : null;
    }
  }
  if (v === null) return null;
  if (range === 'unsigned') return v < 0n || v > 2n ** 64n - 1n ? null : v;
  return v < -(2n ** 63n) || v > 2n ** 63n - 1n ? null : v;
}

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

/** A cell as a boolean (true/false, yes/no, 1/0 as a CSV cell), or null. */
export function cellBoolean(c: Cell): boolean | null {
  if (typeof c === 'boolean') return c;
  if (typeof c === 'number') return c === 1 ? true : c === 0 ? false : null;
  if (typeof c === 'string') {
    const t = c.trim().toLowerCase();
    return TRUE.has(t) ? true : FALSE.has(t) ? false : null;
  }
  return null;
}

/** A cell as text (numbers in their shortest round-trip form), or null for null. */
export function cellText(c: Cell): string | null {
  switch (typeof c) {
    case 'string':
      return c;
    case 'number':
      return numberText(c);
    case 'bigint':
      return c.toString();
    case 'boolean':
      return c ? 'true' : 'false';
    default:
      return null;
  }
}

const ISO_FRACTION = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d+)(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A timestamp cell (ISO text) as microseconds since 1970 (a BigInt), or null: the fraction's digits are read as
 * digits, so `…05.123456` keeps its microseconds (a Date holds milliseconds); beyond six places they are cut.
 */
export function cellMicros(c: Cell): bigint | null {
  if (typeof c !== 'string') return null;
  const m = ISO_FRACTION.exec(c.trim());
  if (m === null) {
    const d = cellDate(c);
    return d === null ? null : BigInt(d.getTime()) * 1000n;
  }
  const whole = cellDate(`${m[1]}${m[3] ?? ''}`);
  return whole === null ? null : BigInt(whole.getTime()) * 1000n + BigInt(m[2]!.slice(0, 6).padEnd(6, '0'));
}

/** A date or timestamp cell (ISO text) as a Date, or null. */
export function cellDate(c: Cell): Date | null {
  if (typeof c !== 'string' || c.trim() === '') return null;
  const t = c.trim();
  // Date-only and zone-less texts are UTC (as they were written from UTC values).
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00:00Z` : /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(t) ? `${t}Z` : t;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}
