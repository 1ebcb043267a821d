/**
 * `Content-Disposition: attachment` for a download name that may hold any letters (an upload named
 * "données.csv"): `filename="…"` in printable ASCII (other characters as `_`), for old clients, and when the
 * name is not ASCII also `filename*=UTF-8''…` (RFC 6266/8187), which browsers and the CLI prefer. An ASCII
 * name gives the header it always gave. The name must not hold `"` or `\` (the results' names never do).
 */
export function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  if (ascii === name) return `attachment; filename="${name}"`;
  const extended = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${extended}`;
}
