/**
 * A header's names that are one column to batchcast (equal ignoring case: the typed results, and the databases
 * that read them, cannot hold `a` and `A` apart), read as pandas' read_csv reads them: each later one renamed
 * `<name>.1`, `<name>.2`…, skipping a name the header has already. One reading for the server's header check
 * (@batchcast/csv) and the upload page's, which says what the server will.
 */
export interface NamedTwice {
  /** 0-based positions of the first column of that name and of the later one (renamed). */
  columns: [number, number];
  /** `two columns named "note" (columns 2 and 5)`, or with both spellings when they differ in case. */
  text: string;
}

/** `names` with each later duplicate renamed, and the duplicates found; `show` writes a name in `text` (the server clips long ones). */
export function pandasHeader(
  names: readonly string[],
  show: (name: string) => string = (n) => n,
): { names: string[]; duplicates: NamedTwice[] } {
  const renames = new PandasRenames(names);
  const seen = new Map<string, number>();
  const duplicates: NamedTwice[] = [];
  const out = [...names];
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const first = seen.get(name.toLowerCase());
    if (first === undefined) {
      seen.set(name.toLowerCase(), i);
      continue;
    }
    const other = names[first]!;
    const text =
      other === name
        ? `two columns named "${show(name)}" (columns ${first + 1} and ${i + 1})`
        : `two columns named "${show(other)}" and "${show(name)}" (columns ${first + 1} and ${i + 1}; names are compared ignoring case)`;
    duplicates.push({ columns: [first, i], text });
    out[i] = renames.rename(name);
  }
  return { names: out, duplicates };
}

/** The names pandas gives later columns of a name already taken: `note.1`, then `note.2`… */
class PandasRenames {
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
