import { openApiDocument } from '@batchcast/contract';
import { describe, expect, it } from 'vitest';
import { adminPage } from '../apps/web/src/views/admin-page.js';
import { uploadPage } from '../apps/web/src/views/upload-page.js';
import { runCli } from './support/cli.js';

/**
 * Where the "no header row" option is offered or documented, it names every file it applies to: pandas'
 * to_json(orient='values') JSON (a list of lists) is read with it, as a CSV or a sheet without a header row is, so
 * the wording that said "CSV, Excel" only sent people away from a file the server reads.
 */
describe('the "no header row" option, where it is offered', () => {
  it('the upload page and the schedule form name the JSON list of lists beside CSV and Excel', () => {
    const upload = uploadPage([]);
    expect(upload).toContain(
      "> The file has no header row (CSV, Excel, a JSON list of lists): its first line (or list) is data, its columns are the model's in the model's order</label>",
    );
    expect(upload).toContain('a CSV or sheet without one, or pandas\' list of lists: see "How to read the file"');
    const admin = adminPage({ jobs: [], models: [], queues: [], schedules: [] }, { csrf: 'c' });
    expect(admin).toContain(
      "> The source has no header row (CSV, Excel, a JSON list of lists): its columns are the model's, in its order</label>",
    );
  });

  it("the API's document says so of the upload's field, the job's input and a schedule's reading options", () => {
    const doc = JSON.stringify(openApiDocument({ serverUrl: 'http://localhost' }));
    expect(doc).not.toContain('CSV and Excel: `none`');
    expect(doc).not.toContain('Refused for a JSON or Parquet file');
    expect(doc).toContain(
      "CSV, Excel and pandas' `to_json(orient='values')` JSON (a list of lists): `none` when the file (or sheet) has no header row",
    );
    expect(doc).toContain('Refused for other JSON and for Parquet, which name their columns themselves.');
    expect(doc).toContain(
      "CSV, Excel and JSON lists of lists (pandas’ orient='values'): `none` when the file (or sheet) was read without a header row",
    );
    expect(doc).toContain("a list of lists (pandas' orient='values', read with `header` `none`; the notes say which)");
    expect(doc).toContain('or pandas’ `to_json(orient=\\"values\\")` JSON, a list of lists, its columns the model’s in its order');
  });

  it("the CLI's help says --no-header reads a JSON list of lists too", async () => {
    const all = await runCli('http://127.0.0.1:9', ['--help']);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('--no-header  the CSV (or sheet, or JSON list of lists) has no header row');
    const submit = await runCli('http://127.0.0.1:9', ['submit', '--help']);
    expect(submit.stdout.replace(/\s+/g, ' ')).toContain(
      "--no-header: the CSV or Excel sheet has no header row (as pandas' to_csv(header=False) writes it), or the JSON is a list of lists (pandas' to_json(orient='values'));",
    );
  });
});
