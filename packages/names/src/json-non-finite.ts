/**
 * Python's json module writes a float NaN as the bare word `NaN`, and infinities as `Infinity` and `-Infinity`
 * (`allow_nan=True` is its default), so a record written with `json.dumps(row)` from a DataFrame with a missing value,
 * or a request sent with `requests.post(url, json=...)`, holds words that JSON has not. They are what the person's
 * own tools wrote, and can mean nothing else: every reader of JSON records (a JSON Lines or JSON array upload, a
 * real-time request, the upload page's check) reads `NaN` as null, a missing value, and `Infinity` and `-Infinity`
 * as the numbers `1e400` and `-1e400`, which JSON.parse reads as infinities: each exactly as if written that way.
 */

/** What each word is read as: JSON text with the same meaning. */
const AS_JSON: Record<string, string> = { NaN: 'null', Infinity: '1e400', '-Infinity': '-1e400' };

const WORD = /^(?:NaN|-?Infinity)/;

/**
 * `text` (JSON, or one line of it) with Python's words written as JSON where they stand as values: after `:`, `[`
 * or `,` (or at the start), before `,`, `]`, `}`, white space or the end; never inside a string. Null when it holds
 * none, so that a text JSON.parse refused for another reason is refused as it was.
 */
export function pythonWordsAsJson(text: string): string | null {
  let out = '';
  let copied = 0;
  // The last character outside strings and white space: a value starts after one of `:[,` (or at the start).
  let before = 0x2c;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      before = 0x22;
      continue;
    }
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    if ((c === 0x4e || c === 0x49 || c === 0x2d) && (before === 0x3a || before === 0x5b || before === 0x2c)) {
      const word = WORD.exec(text.slice(i, i + 9))?.[0];
      const after = word === undefined ? -1 : text.charCodeAt(i + word.length);
      if (word !== undefined && (Number.isNaN(after) || after === 0x2c || after === 0x5d || after === 0x7d || after <= 0x20)) {
        out += text.slice(copied, i) + AS_JSON[word];
        copied = i + word.length;
        i = copied - 1;
        before = 0x30; // a value
        continue;
      }
    }
    before = c;
  }
  return copied === 0 ? null : out + text.slice(copied);
}
