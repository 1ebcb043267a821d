/**
 * pandas' read_csv names a column whose name an earlier column has already `<name>.1`, the next `<name>.2`…,
 * skipping a name the header has already. batchcast compares names ignoring case (caseClashKey), so `Note` after
 * `note` is renamed too. One renamer for the server's header check (@batchcast/csv) and the upload page's.
 */
export class PandasRenames {
  private readonly taken: Set<string>;
  private readonly counts = new Map<string, number>();

  /** `names`: the header as written, every name of which is taken. */
  constructor(names: readonly string[]) {
    this.taken = new Set(names.map((n) => n.toLowerCase()));
  }

  /** The name the next later column named `name` gets. */
  rename(name: string): string {
    const key = name.toLowerCase();
    let k = this.counts.get(key) ?? 0;
    let renamed: string;
    do renamed = `${name}.${++k}`;
    while (this.taken.has(renamed.toLowerCase()));
    this.counts.set(key, k);
    this.taken.add(renamed.toLowerCase());
    return renamed;
  }
}
