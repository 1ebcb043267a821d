const DELIMITER_NAMES: Record<string, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' };

/** How a file is (or is to be) read, as the pages say it: a job's input, a schedule's reading options. */
export interface ReadingOptions {
  delimiter?: string | undefined;
  decimal?: string | undefined;
  encoding?: string | undefined;
  sheet?: string | undefined;
  header?: 'none' | undefined;
}

/**
 * The options in words, in one order ("semicolon-separated", "decimal comma", "macintosh", `sheet "Data"`, "no header
 * row"), those not set left out: the job page's line on how its file was read and /admin's schedules say them alike.
 */
export function readingWords(r: ReadingOptions): string[] {
  const words: string[] = [];
  if (r.delimiter) words.push(`${DELIMITER_NAMES[r.delimiter] ?? r.delimiter}-separated`);
  if (r.decimal) words.push(r.decimal === ',' ? 'decimal comma' : 'decimal point');
  if (r.encoding) words.push(r.encoding);
  if (r.sheet !== undefined) words.push(`sheet "${r.sheet}"`);
  if (r.header === 'none') words.push('no header row');
  return words;
}
