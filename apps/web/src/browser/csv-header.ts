// The header of a chosen CSV file, read in the browser before anything is sent, so that a file missing
// one of the model's columns is refused while the person is still on the page.

/** Enough for any sensible header (the server refuses headers larger than this anyway). */
const HEADER_BYTES = 1024 * 1024;

/**
 * The first record of the text: field names, quotes removed (a field is quoted when it starts with a
 * quote, as the server reads it). Returns null when the first line does not end within the text.
 */
export function parseHeader(text: string, complete: boolean): string[] | null {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q === -1) return null;
        field += text.slice(i, q);
        if (text[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    }
    while (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') field += text[i++];
    fields.push(field);
    if (i >= text.length) return complete ? fields : null;
    if (text[i] === ',') {
      i++;
      continue;
    }
    return fields;
  }
}

/** The model's columns missing from the header: exact names, else ignoring case and spaces if unique. */
export function missingColumns(columns: string[], header: string[]): string[] {
  const exact = new Set(header);
  const loose = new Map<string, number>();
  for (const h of header) {
    const k = h.trim().toLowerCase();
    loose.set(k, (loose.get(k) ?? 0) + 1);
  }
  return columns.filter((c) => !exact.has(c) && loose.get(c.trim().toLowerCase()) !== 1);
}

/**
 * Whether the text holds a data row after its header line: anything but blank lines once the first record
 * (quotes respected: a quoted field may hold line breaks) has ended. Only meaningful for a whole file.
 */
export function hasDataRow(text: string): boolean {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) return text.slice(i + 1).trim() !== '';
  }
  return false;
}

/**
 * `error`: what is wrong with the file, in words. `advisory`: the browser could not read it as text, which
 * the server may (a format it converts) or may refuse with a better message than ours: the file is sent.
 */
export type HeaderReading =
  | { header: string[]; error?: undefined; advisory?: undefined }
  | { header?: undefined; error: string; advisory?: boolean };

/** The file's header row, or what is wrong with the file in words. */
export async function readHeader(file: File): Promise<HeaderReading> {
  const bytes = await file.slice(0, HEADER_BYTES).arrayBuffer();
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // The slice may cut a character in two at its end: decode leniently and judge only the first line.
    text = new TextDecoder('utf-8').decode(bytes);
    const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
    if (firstLine.includes('\ufffd')) return { error: 'This file is not UTF-8 text: the server will check it.', advisory: true };
  }
  if (text.includes('\u0000')) return { error: 'This file is not plain text: the server will check it.', advisory: true };
  text = text.replace(/^\ufeff/, '');
  if (text.trim() === '') return { error: 'The file is empty.' };
  const complete = file.size <= HEADER_BYTES;
  const header = parseHeader(text, complete);
  if (!header) return { error: 'The first line of the file is too long to be a header row.' };
  if (complete && !hasDataRow(text)) {
    return { error: 'The file has a header row but no data rows: add the rows to score below the header and try again.' };
  }
  return { header };
}
