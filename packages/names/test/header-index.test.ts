import { describe, expect, it } from 'vitest';
import { HeaderIndex } from '../src/index.js';

describe('finding a model column in a header', () => {
  it('takes the exact name first, else the one name equal ignoring case, spaces and Unicode form', () => {
    const index = new HeaderIndex(['Age', 'age', ' Income ', 'cafe\u0301']);
    expect(index.find('age')).toBe(1);
    expect(index.find('income')).toBe(2);
    expect(index.find('caf\u00e9')).toBe(3);
    expect(index.find('AGE')).toEqual([0, 1]);
    expect(index.find('height')).toBe('missing');
  });

  it("finds a name behind the formula guard batchcast's CSVs write (`'=x` for `=x`), the plain name first", () => {
    expect(new HeaderIndex(["'=cmd|x", "'+B "]).find('=cmd|x')).toBe(0);
    expect(new HeaderIndex(["'=cmd|x", "'+B "]).find('+b')).toBe(1);
    expect(new HeaderIndex(["'=x", '=x']).find('=x')).toBe(1);
    expect(new HeaderIndex(["'=x", "'=X"]).find('=x')).toBe(0);
    expect(new HeaderIndex(["'=x", "'=X"]).find(' =X ')).toEqual([0, 1]);
    expect(new HeaderIndex(["''=x"]).find('=x')).toBe('missing');
  });
});
