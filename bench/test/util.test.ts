import { describe, expect, it } from 'vitest';
import { fmt } from '../src/util.js';

describe('fmt.xAgainst: a ratio judged against a target never prints as the target unless it is it', () => {
  it('adds decimals only when two would round onto the target', () => {
    expect(fmt.xAgainst(4.998, 5)).toBe('4.998×');
    expect(fmt.xAgainst(5.004, 5)).toBe('5.004×');
    expect(fmt.xAgainst(1.19996, 1.2)).toBe('1.19996×');
    expect(fmt.xAgainst(5, 5)).toBe('5.00×');
    expect(fmt.xAgainst(5.38, 5)).toBe('5.38×');
    expect(fmt.xAgainst(2.114, 1.2)).toBe('2.11×');
    expect(fmt.xAgainst(Number.NaN, 5)).toBe('n/a');
  });
});
