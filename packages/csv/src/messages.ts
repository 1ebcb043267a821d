/** Shortens text for messages (an error must stay readable even if a cell is 1 MB long). */
export function truncate(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/**
 * What to do when a CSV cell is a number with the other decimal separator (`5,1` in a file read with decimal
 * `.`): choose it, named where each way of uploading shows it. Detection decides from the file's first lines.
 */
export function otherDecimalAdvice(decimal: ',' | '.'): string {
  const [name, form, cli] = decimal === ',' ? ['comma', 'Comma 1,5', 'comma'] : ['point', 'Point 1.5', 'point'];
  return (
    `If '${decimal}' is this file's decimal separator (it is detected from the first lines), score the file again choosing the ${name}: ` +
    `"Decimal separator (CSV): ${form}" on the upload page, the API's decimal field "${decimal}", the CLI's --decimal ${cli}`
  );
}
