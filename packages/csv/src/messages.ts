/** Shortens text for messages (an error must stay readable even if a cell is 1 MB long). */
export function truncate(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
