/**
 * A progress bar on stderr, drawn by hand. On a terminal it redraws one line in place (at most ten times a
 * second); otherwise (a log file, CI) it writes a line at each quarter, so the output stays readable.
 */
export class ProgressBar {
  private lastDraw = 0;
  private lastQuarter = -1;
  private done = 0;
  private finished = false;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private total: number,
    private readonly format: (n: number) => string = String,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = !!out.isTTY;
  }

  setTotal(total: number): void {
    this.total = total;
  }

  update(done: number): void {
    this.done = done;
    if (this.finished) return;
    if (this.tty) {
      const now = Date.now();
      if (now - this.lastDraw < 100 && done < this.total) return;
      this.lastDraw = now;
      this.out.write(`\r${this.line()}\x1b[K`);
    } else {
      const quarter = this.total > 0 ? Math.floor((Math.min(done, this.total) / this.total) * 4) : 0;
      if (quarter > this.lastQuarter) {
        this.lastQuarter = quarter;
        this.out.write(`${this.line()}\n`);
      }
    }
  }

  /** Draws the final state (and ends the line on a terminal). */
  finish(note = ''): void {
    if (this.finished) return;
    if (this.tty) this.out.write(`\r${this.line()}${note ? `  ${note}` : ''}\x1b[K\n`);
    else if (this.lastQuarter < 4 || note) this.out.write(`${this.line()}${note ? `  ${note}` : ''}\n`);
    this.finished = true;
  }

  private line(): string {
    const width = 30;
    const ratio = this.total > 0 ? Math.min(1, this.done / this.total) : 0;
    const full = Math.round(ratio * width);
    const pct = `${Math.floor(ratio * 100)}`.padStart(3);
    return `${this.label} [${'#'.repeat(full)}${'-'.repeat(width - full)}] ${pct}% ${this.format(this.done)}/${this.format(this.total)}`;
  }
}

const rowsFormat = new Intl.NumberFormat('en-US');
export const formatRows = (n: number): string => rowsFormat.format(n);
/** A count of rows for a message, singular for one: `1 row`, `1,200 failed rows` (`what` is the noun, singular). */
export const countRows = (n: number, what = 'row'): string => `${formatRows(n)} ${what}${n === 1 ? '' : 's'}`;
