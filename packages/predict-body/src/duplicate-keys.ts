/**
 * The first object key given twice in a JSON text, with where it is (`instances[3]`, `dataframe_split`; '' for the
 * top level), or null. JSON.parse keeps the last of two equal keys without a word, so a row `{"a": 1, "a": 2}` sent in
 * another stack's shape (other-shapes.ts) was scored with a = 2, where the rows path refuses it (duplicate_key).
 * `text` must be JSON that parsed: only strings, brackets and commas are looked at. One pass, no values built.
 */
export function firstDuplicateKey(text: string): { path: string; key: string } | null {
  const stack: Frame[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let j = i + 1;
      for (;;) {
        const d = text.charCodeAt(j);
        if (d === BACKSLASH) j += 2;
        else if (d === QUOTE) break;
        else j++;
      }
      const top = stack.at(-1);
      if (top?.kind === 'object' && top.expectsKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) return { path: top.path, key };
        top.keys.add(key);
        top.key = key;
        top.expectsKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === OPEN_BRACE) stack.push({ kind: 'object', path: childPath(stack.at(-1)), keys: new Set(), key: '', expectsKey: true });
    else if (c === OPEN_BRACKET) stack.push({ kind: 'array', path: childPath(stack.at(-1)), index: 0 });
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) stack.pop();
    else if (c === COMMA) {
      const top = stack.at(-1);
      if (top?.kind === 'object') top.expectsKey = true;
      else if (top) top.index++;
    }
    i++;
  }
  return null;
}

type Frame =
  | { kind: 'object'; path: string; keys: Set<string>; key: string; expectsKey: boolean }
  | { kind: 'array'; path: string; index: number };

/** Where the value about to start is: under the key just read, or at the array's current place. */
function childPath(parent: Frame | undefined): string {
  if (!parent) return '';
  if (parent.kind === 'array') return `${parent.path}[${parent.index}]`;
  return parent.path === '' ? parent.key : `${parent.path}.${parent.key}`;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
