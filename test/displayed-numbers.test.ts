import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultsJsonl, scored } from './support/formats.js';
import { Platform } from './support/platform.js';

/**
 * A number as a spreadsheet displays it rather than stores it (a cell formatted as percent or currency, an accounting
 * negative, a typographic minus pasted from a report) fails its row, as pandas and scikit-learn refuse it, with what
 * the text is and how to write the number: in a batch job's results and in a real-time answer alike, over HTTP on a
 * real platform. Each said only `is not a number`.
 */
let platform: Platform;

beforeAll(async () => {
  platform = await new Platform({ workers: 1, env: { RATE_LIMIT_JOBS_PER_MINUTE: '0' } }).start();
});
afterAll(async () => {
  await platform?.stop();
});

const PERCENT = 'the percent sign is not part of a number: write the number alone (0.35 for 35%, or 35, as the model was trained on)';
const CURRENCY = 'the currency sign is not part of a number: write the number alone (1234.5)';
const ACCOUNTING = "parentheses are an accountant's way of writing a negative number: write it with a minus sign (-1234.5)";
const MINUS = 'it starts with U+2212, a typographic minus or dash, not the minus sign numbers are written with: replace it with "-"';

describe('a number as a spreadsheet displays it', () => {
  it('fails its row saying what the sign is and how to write the number, in a CSV job and in real time alike', async () => {
    const csv = [
      'sepal_length,sepal_width,petal_length,petal_width',
      '5.1,3.5,1.4,0.2',
      '51%,3.5,1.4,0.2',
      '"$5.10",3.5,1.4,0.2',
      '5.1,(3.5),1.4,0.2',
      '5.1,3.5,1.4,\u22120.2',
    ].join('\n');
    const { job, done } = await scored(platform, Buffer.from(`${csv}\n`), { fields: { model: 'iris-logreg' }, filename: 'report.csv' });
    expect(done.rows).toEqual({ total: 5, processed: 5, failed: 4 });
    const errors = (await resultsJsonl(platform, job)).map((l) => l.error as string | null);
    expect(errors[0]).toBeNull();
    expect(errors[1]).toBe(
      `column "sepal_length": "51%" is not a number; ${PERCENT}, e.g. by formatting the column as a plain number (General) in the spreadsheet before exporting it`,
    );
    expect(errors[2]).toContain(`column "sepal_length": "$5.10" is not a number; ${CURRENCY}`);
    expect(errors[3]).toContain(`column "sepal_width": "(3.5)" is not a number; ${ACCOUNTING}`);
    expect(errors[4]).toBe(`column "petal_width": "\u22120.2" is not a number; ${MINUS} (the hyphen-minus key)`);

    const res = await fetch(platform.url('/api/models/iris-logreg/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        rows: [
          { sepal_length: '51%', sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
          { sepal_length: 5.1, sepal_width: '(3.5)', petal_length: 1.4, petal_width: '\u22120.2' },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const { predictions } = (await res.json()) as { predictions: { prediction: unknown; error?: string }[] };
    expect(predictions.map((p) => p.prediction)).toEqual([null, null]);
    expect(predictions[0]!.error).toContain(`"51%" is not a number; ${PERCENT}`);
    expect(predictions[1]!.error).toContain(`column "sepal_width": "(3.5)" is not a number; ${ACCOUNTING}`);
    expect(predictions[1]!.error).toContain(`column "petal_width": "\u22120.2" is not a number; ${MINUS}`);
  });
});
