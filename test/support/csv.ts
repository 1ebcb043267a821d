/**
 * A deliberately simple, independent RFC 4180 reader for checking results in tests (the platform's own
 * parser must not be what judges the platform).
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Rows as objects keyed by the header. */
export function csvObjects(text: string): { header: string[]; rows: Record<string, string>[] } {
  const [header, ...body] = parseCsv(text.replace(/^\ufeff/, ''));
  return { header: header!, rows: body.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? '']))) };
}
