import { describe, expect, it } from 'vitest';
import { splitRecord, splitRecords } from '../src/index.js';
import { collectRecords, layoutOf, tempFile } from './helpers.js';

const cases: Record<string, string> = {
  lf: 'a,b\n1,2\n3,4\n',
  crlf: 'a,b\r\n1,2\r\n3,4\r\n',
  bom: '\uFEFFa,b\n1,2\n',
  blank: '\n\na,b\n\n\r\n1,2\n\n3,4\r\n\r\n\n',
  noFinalNewline: 'a,b\n1,2\n3,4',
  finalCr: 'a,b\n1,2\n3,4\r',
  finalLoneCr: 'a,b\n1,2\n\r',
  quotedNewlines: 'a,b\n"1\n\n2",x\r\n"\r\n",""\n"a""\nb",3\n',
  strayQuote: 'h,w\n5\'3",x\n"6"tail,y\nq"r,"s"\n',
  crInField: 'a,b\n1\r2,3\n\r\r\n',
};

describe('readRecords', () => {
  for (const [name, text] of Object.entries(cases)) {
    it(`yields exactly the records the scanner counts (${name}), whatever the block size`, async () => {
      const layout = layoutOf(text, { chunkRows: 2 });
      const path = tempFile(text);
      const whole = await collectRecords(path, layout.dataStart, layout.bytes);
      expect(whole.length).toBe(layout.rows);
      for (const hwm of [1, 2, 3, 5, 64]) {
        expect(await collectRecords(path, layout.dataStart, layout.bytes, hwm)).toEqual(whole);
      }
      const perChunk: Buffer[] = [];
      for (const c of layout.chunks) {
        const records = await collectRecords(path, c.start, c.end, 3);
        expect(records.length).toBe(c.rows);
        perChunk.push(...records);
      }
      expect(perChunk).toEqual(whole);
      for (const r of whole) {
        expect(r.length).toBeGreaterThan(0);
        // No line terminator left on a record.
        expect(r[r.length - 1]).not.toBe(0x0a);
      }
    });
  }

  it('returns raw bytes without terminators', async () => {
    const text = cases.quotedNewlines!;
    const layout = layoutOf(text);
    const records = await collectRecords(tempFile(text), layout.dataStart, layout.bytes);
    expect(records.map((r) => r.toString())).toEqual(['"1\n\n2",x', '"\r\n",""', '"a""\nb",3']);
    expect(records.map(splitRecord)).toEqual([
      ['1\n\n2', 'x'],
      ['\r\n', ''],
      ['a"\nb', '3'],
    ]);
  });

  it('strips CRLF and a final CR but keeps a CR that is data', async () => {
    const t1 = cases.finalCr!;
    const l1 = layoutOf(t1);
    expect((await collectRecords(tempFile(t1), l1.dataStart, l1.bytes)).map(String)).toEqual(['1,2', '3,4']);
    const t2 = cases.crInField!;
    const l2 = layoutOf(t2);
    expect((await collectRecords(tempFile(t2), l2.dataStart, l2.bytes)).map(String)).toEqual(['1\r2,3', '\r']);
  });

  it('keeps yielded records valid while later blocks are read', async () => {
    const text = `a\n${Array.from({ length: 500 }, (_, i) => `row${i}`).join('\n')}\n`;
    const layout = layoutOf(text);
    const records = await collectRecords(tempFile(text), layout.dataStart, layout.bytes, 64);
    expect(records.map(String)).toEqual(Array.from({ length: 500 }, (_, i) => `row${i}`));
  });
});

describe('splitRecords', () => {
  it('reports where a cut record starts', () => {
    const buf = Buffer.from('1,2\n"3\n4",5\n"6\n');
    const { records, next } = splitRecords(buf, 0, false);
    expect(records.map(String)).toEqual(['1,2', '"3\n4",5']);
    expect(next).toBe(buf.indexOf('"6'));
    // At the end of the data an unclosed quote runs to the end (the scanner rejects such files anyway).
    expect(splitRecords(buf, 0, true).records.map(String)).toEqual(['1,2', '"3\n4",5', '"6\n']);
  });
});

describe('splitRecord', () => {
  it('splits fields with the package quoting rule', () => {
    expect(splitRecord(Buffer.from(''))).toEqual(['']);
    expect(splitRecord(Buffer.from(',,'))).toEqual(['', '', '']);
    expect(splitRecord(Buffer.from('"a,b",c'))).toEqual(['a,b', 'c']);
    expect(splitRecord(Buffer.from('"a""b"'))).toEqual(['a"b']);
    expect(splitRecord(Buffer.from('"ab"cd,e'))).toEqual(['abcd', 'e']);
    expect(splitRecord(Buffer.from('5\'3",x'))).toEqual(['5\'3"', 'x']);
    expect(splitRecord(Buffer.from(' "a",b'))).toEqual([' "a"', 'b']);
    expect(splitRecord(Buffer.from('"é€",💡'))).toEqual(['é€', '💡']);
  });
});
