import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { JobsContext } from '../src/context.js';
import { createJob, finaliseJob, jobSummary, loadJob, scoreChunk, storeUpload, writeErrorsCsv } from '../src/index.js';
import { parseCsv } from '../../../test/support/csv.js';
import { openpyxlMake } from '../../../test/support/formats.js';
import { useTestContext } from './context.js';

/**
 * Failed rows are numbered as data rows and located by the line of the file where they start: what a person looks
 * for in an editor, which blank lines, quoted line breaks and the header make differ from the row.
 */
let ctx: JobsContext;
useTestContext((made) => {
  ctx = made;
});

const HEADER = 'sepal_length,sepal_width,petal_length,petal_width,species';

async function scoredJob(text: string | Buffer, filename: string, chunkRows: number) {
  const stored = await storeUpload(ctx.blobs, Readable.from([Buffer.from(text)]), {
    key: `uploads/${Math.random().toString(36).slice(2)}.csv`,
    chunkRows,
    hints: { filename },
  });
  const created = await createJob(ctx, stored, { filename, model: 'iris-logreg' });
  const job = (await loadJob(ctx.pool, created.id))!;
  for (let i = 0; i < job.chunkCount; i++) await scoreChunk(ctx, job.id, i);
  await finaliseJob(ctx, job.id);
  return (await loadJob(ctx.pool, job.id))!;
}

async function errorsCsv(job: Awaited<ReturnType<typeof scoredJob>>): Promise<string[][]> {
  const parts: Buffer[] = [];
  await writeErrorsCsv(
    ctx,
    job,
    new Writable({
      write(chunk, _enc, done) {
        parts.push(Buffer.from(chunk));
        done();
      },
    }),
  );
  return parseCsv(
    Buffer.concat(parts)
      .toString('utf8')
      .replace(/^\ufeff/, '')
      .trimEnd(),
  );
}

describe('the line of a failed row', () => {
  it('is where a CSV row starts: after a quoted line break, blank lines and the header, in later chunks too', async () => {
    const text = [
      HEADER, // line 1
      '5.1,3.5,1.4,0.2,"set', // 2: row 1 starts
      'osa"', // 3: row 1 ends
      '', // 4: blank, not a row
      'abc,3.5,1.4,0.2,setosa', // 5: row 2 fails
      '5.1,3.5,1.4,0.2,setosa', // 6: row 3
      '4.9,3.0,1.4,0.2,setosa', // 7: row 4, the second chunk
      '', // 8
      '5.1,"x', // 9: row 5 fails, on two lines
      'y",1.4,0.2,setosa', // 10
      '5.1,3.5', // 11: row 6 fails (too few fields)
    ].join('\n');
    const job = await scoredJob(`${text}\n`, 'lines.csv', 3);
    expect(job.chunkCount).toBe(2);
    const { failures } = await jobSummary(ctx, job);
    expect(failures.map((f) => [f.row, f.line])).toEqual([
      [2, 5],
      [5, 9],
      [6, 11],
    ]);
    const listed = await errorsCsv(job);
    expect(listed[0]).toEqual(['row', 'column', 'value', 'reason', 'line']);
    expect(listed.slice(1).map((r) => [r[0], r[4]])).toEqual([
      ['2', '5'],
      ['5', '9'],
      ['6', '11'],
    ]);
  });

  it('is the line of a JSON Lines record (no header), a bad line in the middle included; the job says where the first failed row is', async () => {
    const good = JSON.stringify({ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 });
    const text = [good, '', '{"sepal_length": 5.1, "sepal_width": 3.5,}', good, '[1, 2]'].join('\n');
    const job = await scoredJob(`${text}\n`, 'lines.jsonl', 2);
    const { failures } = await jobSummary(ctx, job);
    expect(failures.map((f) => [f.row, f.line])).toEqual([
      [2, 3],
      [4, 5],
    ]);
    expect(failures[0]!.reason).toBe(
      'this record is not valid JSON at column 42 (expected double-quoted property name): fix or remove that record',
    );
    // Every row missing a value a linear model cannot take: the job fails, naming its first row and line.
    const missing = await scoredJob(`${HEADER}\n\n,3.5,1.4,0.2,setosa\n,3.0,1.4,0.2,setosa\n`, 'missing.csv', 1);
    expect(missing.status).toBe('failed');
    expect(missing.error).toMatch(/^No row could be scored; the first: row 1 \(line 3 of the file\): column "sepal_length"/);
  });

  it('is not given for a JSON array, whose stored lines are not the file’s: plain row numbers', async () => {
    const rows = [
      { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
      { sepal_length: 'x', sepal_width: 1 },
    ];
    const job = await scoredJob(JSON.stringify(rows, null, 2), 'rows.json', 10);
    const { failures } = await jobSummary(ctx, job);
    expect(failures.map((f) => [f.row, f.line])).toEqual([[2, null]]);
  });

  it('is the sheet row of a workbook, as Excel numbers rows: after empty rows above the header and between records', async () => {
    const good = [5.1, 3.5, 1.4, 0.2, 'setosa'];
    const book = await openpyxlMake([
      [], // sheet row 1: empty, the header is row 2
      HEADER.split(','),
      good, // 3: row 1
      [], // 4
      [], // 5
      ['tall', 3.5, 1.4, 0.2, 'setosa'], // 6: row 2 fails
      good, // 7: row 3, the second chunk
      [], // 8
      [5.1, 'wide', 1.4, 0.2, 'setosa'], // 9: row 4 fails
    ]);
    const job = await scoredJob(book, 'sheet.xlsx', 2);
    const { failures } = await jobSummary(ctx, job);
    expect(failures.map((f) => [f.row, f.sheetRow, f.line])).toEqual([
      [2, 6, null],
      [4, 9, null],
    ]);
    const listed = await errorsCsv(job);
    expect(listed[0]).toEqual(['row', 'column', 'value', 'reason', 'sheet_row']);
    expect(listed.slice(1).map((r) => [r[0], r[4]])).toEqual([
      ['2', '6'],
      ['4', '9'],
    ]);
    // Every row unreadable: refused at upload, each row named with its sheet row.
    const bad = await openpyxlMake([HEADER.split(','), [], ['x', 3.5, 1.4, 0.2, 'setosa'], ['y', 3.5, 1.4, 0.2, 'setosa']]);
    const refused = await scoredJob(bad, 'bad.xlsx', 10).catch((err: unknown) => err as { message: string; details?: unknown });
    expect((refused as { message: string }).message).toMatch(/row 1 \(sheet row 3\): .*; row 2 \(sheet row 4\): /);
  });
});
