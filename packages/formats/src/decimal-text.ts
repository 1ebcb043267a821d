/**
 * Decimal text with more significant digits than a double keeps (15 are always exact): a wide Parquet
 * DECIMAL value is carried as such text into a number column of the results, and the writers that can write
 * it as it is (CSV, JSON Lines as a JSON number, .xlsx as text, like an integer beyond 2^53) do.
 */
const DECIMAL_TEXT = /^-?(\d+)(?:\.(\d+))?$/;

/** Whether `text` is plain decimal text (`-123.45`) with more than 15 significant digits. */
export function isLongDecimal(text: string): boolean {
  const m = DECIMAL_TEXT.exec(text);
  if (!m) return false;
  return `${m[1]}${m[2] ?? ''}`.replace(/^0+/, '').length > 15;
}
