/**
 * How a model's column is found in a file's header, for the server (@batchcast/inference's column plan) and the
 * browser's check before an upload alike: one rule, so the browser never refuses a file the server takes.
 */

/**
 * How names are compared when the exact name is not there: ignoring surrounding spaces, case and Unicode form (NFC),
 * so "café" typed with a combining accent (macOS, text pasted from a PDF) is the model's "café", as it looks.
 */
export const columnKey = (s: string): string => s.normalize('NFC').trim().toLowerCase();

/**
 * The apostrophe batchcast's own CSVs (results, samples) put before a name a spreadsheet would run as a formula
 * (`=x`, `+y`, `@z`): the header of a file written by batchcast, or saved again by a spreadsheet, names the model's
 * `=x` as `'=x`.
 */
const FORMULA_GUARD = "'";

/** Where a name is in a header: its index, `missing`, or every index of the names it matches loosely, when several. */
export type HeaderMatch = number | 'missing' | number[];

/** A header's names, indexed once, for finding a model's columns in it. */
export class HeaderIndex {
  private readonly plain = new NameIndex();
  /** The names written behind the formula guard, without it. */
  private readonly guarded = new NameIndex();

  constructor(header: readonly string[]) {
    header.forEach((h, i) => {
      this.plain.add(h, i);
      if (h.startsWith(FORMULA_GUARD)) this.guarded.add(h.slice(FORMULA_GUARD.length), i);
    });
  }

  /**
   * The exact name first; otherwise ignoring case, spaces and Unicode form, if that picks exactly one column;
   * otherwise, the same way, a name written behind the formula guard (a header batchcast wrote).
   */
  find(name: string): HeaderMatch {
    const plain = this.plain.find(name);
    return plain !== 'missing' ? plain : this.guarded.find(name);
  }
}

class NameIndex {
  private readonly exact = new Map<string, number>();
  private readonly loose = new Map<string, number[]>();

  add(name: string, i: number): void {
    if (!this.exact.has(name)) this.exact.set(name, i);
    const key = columnKey(name);
    const at = this.loose.get(key);
    if (at) at.push(i);
    else this.loose.set(key, [i]);
  }

  find(name: string): HeaderMatch {
    const hit = this.exact.get(name);
    if (hit !== undefined) return hit;
    const candidates = this.loose.get(columnKey(name)) ?? [];
    if (candidates.length === 1) return candidates[0]!;
    return candidates.length === 0 ? 'missing' : candidates;
  }
}
