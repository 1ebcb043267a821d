import expressEscapeHtml from 'escape-html';

/**
 * The one HTML escaper of the code base: `& < > " '` become entities, so the result is safe as element
 * text and as a quoted attribute value (single or double quotes). It is Express's own escaper, already in
 * the dependency tree through Express.
 */
export function escapeHtml(text: string): string {
  return expressEscapeHtml(text);
}
