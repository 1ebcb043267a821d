import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { signIn } from './support/admin.js';
import { fileBlob, submit } from './support/http.js';
import { ADMIN_TOKEN, type Platform, platformForFile, repoRoot } from './support/platform.js';

/**
 * A new version under an existing name that reads other columns, or answers other classes: its registration says
 * what changed against the previous version (API, admin page, CLI), and a file refused by the latest version of a
 * name given without a version is told which version checked it and which one takes its columns.
 */
let platform: Platform;
platformForFile({ workers: 1 }, (started) => {
  platform = started;
});

const FIXTURES = path.join(repoRoot, 'test/fixtures/models/versions');
const NATIVE = path.join(repoRoot, 'packages/importers/test/fixtures/native');
const CLI = path.join(repoRoot, 'apps/cli/dist/main.js');
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const cliEnv = () => ({ PATH: process.env.PATH ?? '', BATCHCAST_URL: platform.baseUrl, BATCHCAST_ADMIN_TOKEN: ADMIN_TOKEN });

async function register(file: string, name: string, dir = FIXTURES): Promise<{ version: number; notes?: string[] }> {
  const form = new FormData();
  form.set('name', name);
  form.set('file', fileBlob(await readFile(path.join(dir, file))), file);
  const res = await fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: admin });
  if (res.status !== 201) throw new Error(await res.text());
  return (await res.json()) as { version: number; notes?: string[] };
}

const iris = Buffer.from('sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n');

describe('a new version that changes columns and classes', () => {
  it('says so in its registration (API and admin page), and a refused file is told which version checked it and which takes it', async () => {
    const first = await register('iris-pipeline.joblib', 'ver-people', NATIVE);
    expect(first.version).toBe(1);
    expect(first.notes ?? []).toEqual([]);
    // One version: nothing to choose between, the refusal says nothing of versions.
    const alone = await submit(platform, Buffer.from('x\n1\n'), { model: 'ver-people' });
    expect(alone.status).toBe(422);
    expect(((await alone.json()) as { error: { message: string } }).error.message).not.toContain('checked against');

    const second = await register('rf.joblib', 'ver-people');
    expect(second.version).toBe(2);
    expect(second.notes).toEqual([
      'The columns changed from ver-people@1: it needs 2 columns ver-people@1 did not: "age", "income"; it no longer reads ' +
        '"sepal_length", "sepal_width", "petal_length", "petal_width", which ver-people@1 needed. Files made for ver-people@1 may be refused.',
      'The classes changed: ver-people@1 had "setosa", "versicolor", "virginica"; ver-people@2 has "basic", "enterprise", "pro".',
      'Jobs and requests naming "ver-people" without a version now use ver-people@2; choose ver-people@1 to keep the previous one.',
    ]);

    const { cookie } = await signIn(platform);
    const page = await (await fetch(platform.url('/admin?registered=ver-people%402'), { headers: { cookie } })).text();
    expect(page).toContain('Registered ver-people@2.');
    expect(page).toContain(
      'The columns changed from ver-people@1: it needs 2 columns ver-people@1 did not: &quot;age&quot;, &quot;income&quot;;',
    );
    expect(page).toContain('The classes changed: ver-people@1 had &quot;setosa&quot;');

    // The model field before the file (checked as soon as the header has arrived) and after it (checked once stored).
    const early = await submit(platform, iris, { model: 'ver-people' });
    expect(early.status).toBe(422);
    const earlyBody = (await early.json()) as { error: { code: string; message: string } };
    expect(earlyBody.error.code).toBe('missing_columns');
    expect(earlyBody.error.message).toContain(
      'It was checked against ver-people@2, the latest version of "ver-people". ver-people@1 takes these columns: choose "ver-people@1" as the model to use that version.',
    );
    const form = new FormData();
    form.set('file', fileBlob(iris, 'text/csv'), 'ages.csv');
    form.set('model', 'ver-people');
    const late = await fetch(platform.url('/api/jobs'), { method: 'POST', body: form });
    expect(late.status).toBe(422);
    expect(((await late.json()) as { error: { message: string } }).error.message).toBe(earlyBody.error.message);

    const predicted = await fetch(platform.url('/api/models/ver-people/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }] }),
    });
    expect(predicted.status).toBe(422);
    expect(((await predicted.json()) as { error: { message: string } }).error.message).toContain(
      'checked against ver-people@2, the latest version of "ver-people". ver-people@1 takes these columns',
    );

    // The upload page offers the earlier version too, with its own columns and sample.
    const home = await (await fetch(platform.url('/'))).text();
    expect(home).toMatch(/<option value="ver-people@2"[^>]*>ver-people \(v2\)<\/option>/);
    expect(home).toMatch(
      /<optgroup label="Earlier versions">.*<option value="ver-people@1"[^>]*data-columns="\[&quot;sepal_length&quot;[^>]*data-sample="\/models\/ver-people\/sample\.csv\?version=1"[^>]*>ver-people@1 \(v1, an earlier version\)<\/option>.*<\/optgroup>/s,
    );

    // Named with its version, the refusal is about that version alone; the older version takes the file.
    const versioned = await submit(platform, iris, { model: 'ver-people@2' });
    expect(versioned.status).toBe(422);
    expect(((await versioned.json()) as { error: { message: string } }).error.message).not.toContain('checked against');
    expect((await submit(platform, iris, { model: 'ver-people@1' })).status).toBe(202);
  });

  it('a refused file, or request, is told which other models take its columns', async () => {
    // The churn file sent to the iris model: churn-pipeline alone takes its columns (the version a name's latest).
    const churn = await readFile(path.join(repoRoot, 'examples/data/churn.csv'));
    const message = async (res: Response) => {
      expect(res.status).toBe(422);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('missing_columns');
      return body.error.message;
    };
    const other = 'Model "churn-pipeline" takes these columns: if it is the model meant, choose it.';
    expect((await message(await submit(platform, churn, { model: 'iris-logreg' }))).endsWith(` ${other}`)).toBe(true);
    // iris rows: iris-logreg and ver-people@1 take them, but ver-people is named by its latest version, which does not.
    const rows = [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }];
    const predicted = await fetch(platform.url('/api/models/churn-pipeline/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows }),
    });
    expect(await message(predicted)).toMatch(/ Model "iris-logreg" takes these columns: if it is the model meant, choose it\.$/);
    // A file no other model takes is told nothing more.
    expect(await message(await submit(platform, Buffer.from('x\n1\n'), { model: 'iris-logreg' }))).not.toContain('takes these columns');
  });

  it('the CLI shows the notes, and names its own --features option', async () => {
    const run = promisify(execFile);
    await run(process.execPath, [CLI, 'models', 'add', path.join(FIXTURES, 'rf.joblib'), '--name', 'ver-cli'], { env: cliEnv() });
    const { stderr } = await run(process.execPath, [CLI, 'models', 'add', path.join(FIXTURES, 'noname.joblib'), '--name', 'ver-cli'], {
      env: cliEnv(),
    });
    expect(stderr).toContain('note: The columns changed from ver-cli@1: it no longer reads "age", "income", which ver-cli@1 needed;');
    expect(stderr).toContain('it reads 2 columns by position (not by name), where ver-cli@1 read no columns.');
    expect(stderr).toContain('note: The classes changed: ver-cli@1 had "basic", "enterprise", "pro"; ver-cli@2 has 0, 1.');
    expect(stderr).toContain('Register it again with --features a,b,... (the column names, in order) to match columns by name.');
    expect(stderr).not.toContain('"features"');

    const third = await register('diabetes-gbr.joblib', 'ver-cli', NATIVE);
    expect(third.notes).toContain('The task changed: ver-cli@2 was a classifier, ver-cli@3 is a regressor.');
  });
});
