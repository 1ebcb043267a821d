import type { RowError } from './types.js';

/** The most cells one row's error names; the others are counted. */
export const MAX_CELLS_NAMED = 10;

/** Between the cells a row's error names: their own sentences use `;` and `,`. */
export const CELL_SEPARATOR = ' | ';

/**
 * The cells of one row that could not be read, gathered into its one error. Naming only the first sent people
 * round in circles: they corrected it, uploaded again, and the row failed on its next bad cell. The error's column
 * and value (those of errors.csv) are the first cell's; its message names up to MAX_CELLS_NAMED cells, in the order
 * the reader met them, and counts the rest. A column is named once, though it may feed several model inputs.
 * Built only once a cell failed: rows that read cleanly never make one.
 */
export class RowFailure {
  private readonly messages: string[];
  private readonly columns: Set<string | null>;
  private more = 0;
  private advice: string | null = null;

  constructor(
    readonly column: string | null,
    readonly value: string | null,
    message: string,
  ) {
    this.messages = [message];
    this.columns = new Set([column]);
  }

  /** Another bad cell of the same row. */
  add(column: string, message: string): void {
    if (this.columns.has(column)) return;
    this.columns.add(column);
    if (this.messages.length < MAX_CELLS_NAMED) this.messages.push(message);
    else this.more++;
  }

  /** What to do, said once after the cells however many of them it concerns (the first advice given stays). */
  advise(advice: string): void {
    this.advice ??= advice;
  }

  get message(): string {
    const named = this.messages.join(CELL_SEPARATOR);
    const cells =
      this.more === 0 ? named : `${named}${CELL_SEPARATOR}and ${this.more} more ${this.more === 1 ? 'cell' : 'cells'} that cannot be read`;
    return this.advice === null ? cells : `${cells}. ${this.advice}`;
  }

  /** The row's error, `row` counted as RowError counts it. */
  error(row: number): RowError {
    return { row, column: this.column, value: this.value, message: this.message };
  }
}
