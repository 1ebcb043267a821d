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

const NUMBER_TEXT = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * The unscaled integer of decimal or number text (`1.1`, `-2e-7`, `12345678901234567890.5`) at `scale` places
 * (1.1 at scale 2 is 110n), read from its digits; null when it is no number or has non-zero digits beyond the
 * scale.
 */
export function unscaledDecimal(text: string, scale: number): bigint | null {
  const m = NUMBER_TEXT.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const digits = `${m[2]}${m[3] ?? ''}`;
  // The value is digits × 10^(exponent - fraction digits); at `scale`, digits × 10^shift.
  const shift = Number(m[4] ?? 0) - (m[3] ?? '').length + scale;
  let unscaled: bigint;
  if (shift >= 0) unscaled = BigInt(digits || '0') * 10n ** BigInt(shift);
  else {
    const cut = digits.length + shift;
    if (/[^0]/.test(digits.slice(Math.max(cut, 0)))) return null;
    unscaled = cut > 0 ? BigInt(digits.slice(0, cut)) : 0n;
  }
  return m[1] === '-' ? -unscaled : unscaled;
}
