/**
 * How deep a JSON Lines record may nest lists and objects (the record itself is the first level). JSON.parse
 * reads any depth, but turning a value back into text does not: JSON.stringify recurses, and a record holding
 * a value 2,000,000 levels deep (4 MB of brackets, in a column the model does not use) was scored, then made
 * every results download and the summary of its job fail with "Maximum call stack size exceeded". Such a
 * record is not read (its row fails, saying why); real data nests a few levels.
 */
export const MAX_JSON_DEPTH = 64;

/** The reason a record that nests deeper than MAX_JSON_DEPTH is not read. */
export const TOO_DEEP_REASON = `this record nests lists or objects more than ${MAX_JSON_DEPTH} levels deep, more than is read: flatten that value or leave it out`;

/**
 * Whether the JSON text nests lists or objects more than `max` levels deep (brackets inside strings do not
 * count). A flat record, with no `[` and one `{`, is answered by two searches, without a walk.
 */
export function nestsDeeperThan(text: string, max = MAX_JSON_DEPTH): boolean {
  const first = text.indexOf('{');
  if (text.indexOf('[') === -1 && (first === -1 || text.indexOf('{', first + 1) === -1)) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash: the character it escapes is skipped
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
