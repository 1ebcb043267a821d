import type { CsvDecimal } from './types.js';

/*
 * Decimal separators and thousands separators in number cells (the text path; the byte fast paths only
 * ever see plain digits and the decimal separator, and leave everything else to this).
 *
 * - Decimal `.`: `1234.5`; thousands `,` accepted only in groups of three: `1,234.5`, `-12,345,678`
 *   (spreadsheets in English locales write that inside a quoted field).
 * - Decimal `,`: `1234,5`, `-1,5e3`; thousands `.` accepted only in groups of three: `1.234,5`,
 *   `1.234.567` (Excel in German, French, Spanish... locales).
 * - Anything else made of digits and both separators (`1,23` with decimal `.`, `1.5` or `12.34,5` with
 *   decimal `,`) is refused with a sentence saying what was expected: guessing would silently turn 1.5
 *   into 15 or 1,23 into 123. No grouping with an exponent.
 * - Spaces in groups of three, with either decimal separator: `1 234,5`, `12 345 678` (French, Nordic and SI
 *   style; Excel writes its own grouping as U+00A0 or U+202F in a CSV of formatted cells, people type U+0020).
 *   Never mixed with the other grouping, and no other grouping characters (apostrophes): those cells are not
 *   numbers.
 */

const COMMA_DECIMAL_RE = /^[+-]?(?:\d+,?\d*|,\d+)(?:[eE][+-]?\d+)?$/;
const DOT_GROUPED_COMMA_DECIMAL_RE = /^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d*)?$/;
const COMMA_GROUPED_DOT_DECIMAL_RE = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$/;
const SPACE_GROUPED_RE: Record<CsvDecimal, RegExp> = {
  ',': /^[+-]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d*)?$/,
  '.': /^[+-]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:\.\d*)?$/,
};
const GROUP_SPACE_RE = /[ \u00a0\u202f]/g;
/** Digits and separators, maybe a sign and an exponent: meant as a number, so a bad one gets a precise message. */
const NUMBER_LIKE_RE = /^[+-]?[\d.,]*\d[\d.,]*(?:[eE][+-]?\d+)?$/;

/** A cell that looks like a number but whose separators are not valid in the file's dialect. */
export interface NumberTextProblem {
  /** Completes `column "x": "1,23" …`: what was expected. */
  problem: string;
  /** The decimal separator under which the text is a number (`5,1` with decimal `.`), if there is one. */
  otherDecimal?: CsvDecimal;
}

const DOT_DECIMAL_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The cell's number text in the canonical form the coercion functions read (decimal `.`, no grouping),
 * or a problem. Text that does not look like a number is returned unchanged (the caller then says "is
 * not a number", or reads NaN / inf words). `t` is already trimmed.
 */
export function canonicalNumberText(t: string, decimal: CsvDecimal): string | NumberTextProblem {
  if (SPACE_GROUPED_RE[decimal].test(t)) t = t.replace(GROUP_SPACE_RE, '');
  if (decimal === ',') {
    if (!t.includes(',') && !t.includes('.')) return t;
    if (COMMA_DECIMAL_RE.test(t)) return t.replace(',', '.');
    if (DOT_GROUPED_COMMA_DECIMAL_RE.test(t)) return t.replaceAll('.', '').replace(',', '.');
    if (NUMBER_LIKE_RE.test(t)) {
      return {
        problem:
          "is not a number: ',' is the decimal separator and '.' may only separate " + 'groups of three digits (e.g. 1234,5 or 1.234,5)',
        ...(DOT_DECIMAL_RE.test(t) || COMMA_GROUPED_DOT_DECIMAL_RE.test(t) ? { otherDecimal: '.' as const } : {}),
      };
    }
    return t;
  }
  if (!t.includes(',')) return t;
  if (COMMA_GROUPED_DOT_DECIMAL_RE.test(t)) return t.replaceAll(',', '');
  if (NUMBER_LIKE_RE.test(t)) {
    return {
      problem:
        "is not a number: '.' is the decimal separator and ',' may only separate " + 'groups of three digits (e.g. 1234.5 or 1,234.5)',
      ...(COMMA_DECIMAL_RE.test(t) || DOT_GROUPED_COMMA_DECIMAL_RE.test(t) ? { otherDecimal: ',' as const } : {}),
    };
  }
  return t;
}
