/**
 * What the readers of pandas' one-object layouts (orient 'split', 'index', 'columns') share: each row becomes a
 * JSON Lines record naming its columns, its values' bytes copied as written, and the DataFrame's index carried as a
 * column of its own (@batchcast/names' indexColumnName), as `df.reset_index()` names it and as orient='table' writes it.
 */

/** `"name":`, the bytes that start a member of a record. */
export function memberPrefix(name: string): Buffer {
  return Buffer.from(`${JSON.stringify(name)}:`);
}

const DIGITS_LABEL = /^"(0|[1-9][0-9]{0,14})"$/;

/**
 * A row label, as pandas wrote it as an object key (`"17"`, `"2024-01-31"`), as a record's value: a default
 * (RangeIndex) or integer label as the number it is, any other as its JSON string.
 */
export function labelValue(rawKey: Buffer): Buffer {
  const text = rawKey.toString('latin1');
  const digits = DIGITS_LABEL.exec(text);
  return digits ? Buffer.from(digits[1]!) : rawKey;
}

/** The note a job gets for one of these layouts: what was read, and the index kept as a column. */
export function pandasLayoutNote(layout: string, rows: string, index: string | null): string {
  const kept =
    index === null
      ? ''
      : ` The DataFrame's index is kept as the column "${index}": the results keep it, and the model reads it only if it is one of its columns.`;
  return `Read as pandas' to_json(orient='${layout}') output: ${rows}.${kept}`;
}
