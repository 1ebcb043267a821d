/**
 * Two keys that differ only in case are one column to batchcast (PostgreSQL, DuckDB and spreadsheets would confuse
 * them), and a model's column is found ignoring case: records spelling a key two ways are refused, never read as two
 * columns (one then "missing"). One wording for every reader of keyed records: a JSON Lines upload and real-time rows.
 * `where` names the record with `key` (`line 2`, `rows[1]`), `earlierWhere` the one with `earlier` (`an earlier line`).
 */
export function caseClashMessage(where: string, key: string, earlierWhere: string, earlier: string): string {
  return (
    `${where} has the key "${clip(key)}" and ${earlierWhere} has "${clip(earlier)}": ` +
    'names are compared ignoring case, so they would be the same column; use one spelling'
  );
}

/** The key for that comparison. */
export const caseClashKey = (key: string): string => key.toLowerCase();

const clip = (text: string, max = 200): string => (text.length <= max ? text : `${text.slice(0, max)}…`);
