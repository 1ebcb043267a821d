import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from './support/csv.js';
import { fileBlob } from './support/http.js';
import { refusedUpload, resultsJsonl, scored, statusOf } from './support/formats.js';
import { ADMIN_TOKEN, Platform, repoRoot } from './support/platform.js';

/**
 * A model that does not name its columns (an ONNX graph of one [N, 30] float input, registered without features)
 * read the uploaded file's columns by position without a word, over HTTP on a real platform: the job now says so
 * (the job page's notes, `input.notes` of GET /api/jobs/:id), naming the columns it read. A model registered with
 * its names says nothing of the kind, and reads a header in another order by name.
 */
let platform: Platform;
const CLI = path.join(repoRoot, 'apps/cli/dist/main.js');

async function register(file: Buffer, filename: string, fields: Record<string, string>): Promise<Record<string, unknown>> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', fileBlob(file), filename);
  const res = await fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  platform = await new Platform({ workers: 1, env: { RATE_LIMIT_JOBS_PER_MINUTE: '0' } }).start();
});
afterAll(async () => {
  await platform?.stop();
});

describe('a model without feature names reads columns by position, and the job says so', () => {
  const ONNX = path.join(repoRoot, 'examples/models/breast-cancer-rf.onnx');
  let csv: Buffer;
  let columns: string[];
  let withId: Buffer;
  let registered: Record<string, unknown>;

  beforeAll(async () => {
    // The example file without its patient_id: exactly the model's 30 columns, in its order.
    const text = await readFile(path.join(repoRoot, 'examples/data/breast_cancer.csv'), 'utf8');
    const lines = text.split(/\r?\n/).filter((l) => l !== '');
    columns = lines[0]!.split(',').slice(1);
    withId = Buffer.from(`${lines.slice(0, 6).join('\n')}\n`);
    expect(columns).toHaveLength(30);
    csv = Buffer.from(
      `${lines
        .slice(0, 6)
        .map((l) => l.split(',').slice(1).join(','))
        .join('\n')}\n`,
    );
    registered = await register(await readFile(ONNX), 'rf.onnx', { name: 'unnamed-rf' });
    await register(await readFile(ONNX), 'rf.onnx', { name: 'named-rf', features: columns.join(',') });
  });

  it('the job page and GET /api/jobs/:id note it, naming the columns read', async () => {
    const { job } = await scored(platform, csv, { fields: { model: 'unnamed-rf' }, filename: 'cancer.csv' });
    const status = await statusOf(platform, job);
    const note = status.input.notes.find((n) => n.startsWith('This model has no feature names'));
    expect(note, JSON.stringify(status.input.notes)).toBe(
      `This model has no feature names: the file's columns were read by position (all, in the file's order) as its 30 inputs: ` +
        `${columns
          .slice(0, 12)
          .map((c) => `"${c}"`)
          .join(', ')} … and 18 more (last: "worst_fractal_dimension"). If that is not the order the model was trained on, ` +
        `every prediction is wrong and nothing can tell: register the model with its column names ("features"; the CLI's ` +
        '--features a,b,c) so that columns are matched by name.',
    );
    const page = await (await fetch(platform.url(job.links.page))).text();
    expect(page).toMatch(
      /<ul id="input-notes"[^>]*>.*<li>This model has no feature names: the file(&#39;|&#x27;|')s columns were read by position/s,
    );
    // And `batchcast status`, which printed none of the job's notes.
    const status_ = await promisify(execFile)('node', [CLI, 'status', platform.url(job.links.page)], {
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(status_.stdout).toContain(`note     ${note}`);
  });

  it('its registration says so, and a file with one column more is refused saying how many each has', async () => {
    expect(JSON.stringify(registered)).toContain(
      'The model does not name its 30 input columns: a file is read by position (exactly 30 columns besides any the model names, ' +
        'in the order it was trained on). Register it again with \\"features\\" to match columns by name.',
    );
    const refusal = await refusedUpload(
      platform,
      withId,
      { fields: { model: 'unnamed-rf' }, filename: 'cancer.csv' },
      422,
      'missing_columns',
    );
    expect(refusal.message).toBe(
      'The model needs 30 feature columns but does not name them, and the CSV has 31 columns, so batchcast cannot tell ' +
        'which to use. Register the model with "features" naming its 30 CSV columns in the model\'s order, or upload a CSV ' +
        'with exactly those 30 columns in that order. Models "breast-cancer-rf", "named-rf" take these columns: if one of them is ' +
        'the model meant, choose it.',
    );
  });

  it('a model registered with its features says nothing of the kind, and reads a shuffled header by name', async () => {
    const rows = parseCsv(csv.toString('utf8').trimEnd());
    const order = rows[0]!.map((_, i) => i).reverse();
    const shuffled = Buffer.from(`${rows.map((r) => order.map((i) => r[i]).join(',')).join('\n')}\n`);
    const a = await scored(platform, csv, { fields: { model: 'named-rf' }, filename: 'cancer.csv' });
    const b = await scored(platform, shuffled, { fields: { model: 'named-rf' }, filename: 'cancer.csv' });
    for (const { job } of [a, b]) {
      const status = await statusOf(platform, job);
      expect(status.input.notes.filter((n) => n.includes('feature names'))).toEqual([]);
    }
    const pa = (await resultsJsonl(platform, a.job)).map((l) => l.prediction);
    const pb = (await resultsJsonl(platform, b.job)).map((l) => l.prediction);
    expect(pb).toEqual(pa);
  });
});
