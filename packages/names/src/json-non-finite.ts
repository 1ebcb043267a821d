/**
 * Python's json module writes a float NaN as the bare word `NaN`, and infinities as `Infinity` and `-Infinity`
 * (`allow_nan=True` is its default), so a record written with `json.dumps(row)` from a DataFrame with a missing value,
 * or a request sent with `requests.post(url, json=...)`, holds words that JSON has not: JSON.parse stops there with
 * "unexpected token 'N'", which told the person nothing of where they came from. One wording for every reader of
 * JSON records: a JSON Lines or JSON array upload and a real-time request.
 */

/** The word at `text[index]`, if one of Python's non-finite words starts there. */
export function nonFiniteWordAt(text: string, index: number): string | undefined {
  return WORD.exec(text.slice(index, index + 9))?.[0];
}

/** The first of Python's non-finite words written as a value (not inside a string) in a line of JSON, if any. */
export function nonFiniteWordIn(line: string): string | undefined {
  const outsideStrings = line.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return VALUE_WORD.exec(outsideStrings)?.[1];
}

/** What the word is, and what to write instead; `send` for a request, `write` for a file. */
export function nonFiniteJsonHint(word: string, verb: 'write' | 'send' = 'write'): string {
  const what = word === 'NaN' ? 'a missing (NaN) float' : 'an infinite float';
  const instead =
    word === 'NaN'
      ? `${verb} null for a missing value`
      : `${verb} a number beyond the float range for an infinity (${word.startsWith('-') ? '-1e400' : '1e400'}), or null for a missing value`;
  const pandas = verb === 'send' ? "df.to_json(orient='records')" : "df.to_json(orient='records', lines=True)";
  return (
    `${word} is not JSON: it is how Python's json.dumps writes ${what}. Instead, ${instead}: pandas' ${pandas} ` +
    'writes null, and json.dumps(..., allow_nan=False) finds the values to replace'
  );
}

const WORD = /^(?:NaN|-?Infinity)/;
const VALUE_WORD = /(?:^|[[:,])\s*(NaN|-?Infinity)\s*(?=[,\]}]|$)/;
