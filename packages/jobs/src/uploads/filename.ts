/** Longest file name kept; longer names are cut in the middle so the extension stays. */
export const MAX_FILENAME_CHARS = 200;

/**
 * A user-supplied file name made safe to store, show and put in an email body: no NUL or other control
 * characters, no line breaks, no bidirectional overrides (which can disguise an extension), no path, at most
 * MAX_FILENAME_CHARS characters (the extension kept). Empty after cleaning: `fallback`.
 */
export function cleanFilename(raw: string | null | undefined, fallback = 'upload.csv'): string {
  let name = String(raw ?? '')
    .normalize('NFC')
    // Control characters (C0, DEL, C1), line and paragraph separators, and bidi controls.
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]+/g, ' ');
  name = name.split(/[/\\]/).pop() ?? '';
  name = name.replace(/\s+/g, ' ').trim();
  if (!name || name === '.' || name === '..') return fallback;
  const chars = [...name];
  if (chars.length <= MAX_FILENAME_CHARS) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  return `${chars.slice(0, MAX_FILENAME_CHARS - [...ext].length - 1).join('')}…${ext}`;
}
