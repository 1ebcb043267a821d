import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformDb, until } from './support/faults.js';
import { sendUntilAnswered as sendRows } from './support/slow-upload.js';
import { ADMIN_TOKEN, Platform } from './support/platform.js';

/**
 * A mistake the server can see before the file (the model, the email and its rate, sent as fields before the
 * file part; a header naming a column twice, or lacking a column the model named before the file needs) is
 * answered while the client is still sending, not after the whole file was read: the upload below is far larger
 * than the client ever sends before the answer, and it stops sending once answered. Nothing of a refused upload is
 * kept. Fields sent after the file are checked at the end, as before.
 */
let platform: Platform;
beforeAll(async () => {
  platform = await new Platform({ workers: 1, env: { EMAILS_PER_ADDRESS_PER_HOUR: '1' } }).start();
});
afterAll(async () => {
  await platform?.stop();
});

/** 256 KiB of iris rows; the upload is made of up to 256 of them (64 MiB). */
const PIECE = Buffer.from('5.1,3.5,1.4,0.2\n'.repeat(16 * 1024));
const PIECES = 256;
const HEADER = 'sepal_length,sepal_width,petal_length,petal_width\n';

/**
 * Sends the fields, the file part's header and `header`, then rows a piece at a time until the server answers:
 * the answer, how many pieces were sent before it, and whether the body's end was sent. With no field after the
 * file, the end is held back (holdEnd): an answer with `ended` false is one given before the whole body arrived.
 */
async function sendUntilAnswered(
  fieldsBefore: Record<string, string>,
  header = HEADER,
  fieldsAfter: Record<string, string> = {},
  route = '/api/jobs',
  headers: Record<string, string> = {},
  piece = PIECE,
) {
  const answer = await sendRows(platform.url(route), {
    fieldsBefore,
    head: header,
    piece,
    pieces: PIECES,
    fieldsAfter,
    headers: { accept: 'application/json', ...headers },
    holdEnd: Object.keys(fieldsAfter).length === 0,
  });
  return {
    status: answer.status,
    error: (JSON.parse(answer.body) as { error: { code: string; message: string } }).error,
    sent: answer.sent,
    ended: answer.ended,
  };
}

/** How many jobs PostgreSQL holds, and the files of DATA_DIR/uploads (BLOB_STORE=fs). */
async function kept(): Promise<{ jobs: number; uploads: string[] }> {
  const db = await platformDb(platform);
  try {
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
    const uploads = await readdir(path.join(platform.dataDir, 'uploads')).catch(() => [] as string[]);
    return { jobs: rows[0]!.n, uploads };
  } finally {
    await db.end();
  }
}

/** Nothing more kept than `before`: no job recorded, no upload file left (the refusal removes them before or just after answering). */
async function expectNothingKept(before: { jobs: number; uploads: string[] }): Promise<void> {
  await until(
    'nothing kept of the refused upload',
    async () => {
      const now = await kept();
      if (now.jobs === before.jobs && now.uploads.length === before.uploads.length) return true;
      throw new Error(`kept: ${JSON.stringify(now)}`);
    },
    30_000,
    100,
  );
}

describe('refusals answered before the file is read', () => {
  it('an unknown model, or a version it does not have', async () => {
    for (const model of ['nosuch', 'iris-logreg@9']) {
      const { status, error, ended } = await sendUntilAnswered({ model });
      expect(status, model).toBe(422);
      expect(error.code).toBe('unknown_model');
      expect(ended, model).toBe(false);
    }
  });

  it('an address that is not one, and one past its rate of job emails', async () => {
    const bad = await sendUntilAnswered({ model: 'iris-logreg', email: 'not-an-address' });
    expect([bad.status, bad.error.code]).toEqual([400, 'invalid_email']);
    expect(bad.ended).toBe(false);

    // The one job email this address may have this hour (EMAILS_PER_ADDRESS_PER_HOUR=1), then one too many.
    const form = new FormData();
    form.set('model', 'iris-logreg');
    form.set('email', 'rate@example.com');
    form.set('file', new Blob([`${HEADER}5.1,3.5,1.4,0.2\n`], { type: 'text/csv' }), 'one.csv');
    const first = await fetch(platform.url('/api/jobs'), { method: 'POST', body: form });
    expect(first.status, await first.clone().text()).toBe(202);
    const limited = await sendUntilAnswered({ model: 'iris-logreg', email: 'rate@example.com' });
    expect([limited.status, limited.error.code]).toEqual([429, 'email_rate_limited']);
    expect(limited.ended).toBe(false);
  });

  it('a header naming a column the model reads twice (ignoring case)', async () => {
    const { status, error, ended } = await sendUntilAnswered(
      { model: 'iris-logreg' },
      'sepal_length,sepal_width,SEPAL_LENGTH,petal_length,petal_width\n',
      {},
      '/api/jobs',
      {},
      Buffer.from('5.1,3.5,5.1,1.4,0.2\n'.repeat(16 * 1024)),
    );
    expect([status, error.code]).toEqual([422, 'duplicate_column']);
    expect(ended).toBe(false);
  });

  it('a field sent after the file is checked once the file has arrived, as before', async () => {
    const { status, error, sent, ended } = await sendUntilAnswered({}, HEADER, { model: 'nosuch' });
    expect([status, error.code]).toEqual([422, 'unknown_model']);
    expect([sent, ended]).toEqual([PIECES, true]);
  });

  it("a model registration's name, sent before the model file (as `batchcast models add` sends it)", async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const { status, error, ended } = await sendUntilAnswered({ name: 'Not A Name!' }, 'onnx bytes', {}, '/api/models', admin);
    expect(status).toBe(422);
    expect(error.message).toMatch(/A model name is 1 to 64 lowercase letters/);
    expect(ended).toBe(false);
  });

  it('a CSV header lacking a column the model needs: the same refusal as at the end, hints and all', { timeout: 120_000 }, async () => {
    const before = await kept();
    const wrong = 'sepal_length,sepal_wdth,petal_length,petal_width\n';
    const early = await sendUntilAnswered({ model: 'iris-logreg' }, wrong);
    expect([early.status, early.error.code]).toEqual([422, 'missing_columns']);
    expect(early.error.message).toContain('sepal_width (the file has "sepal_wdth")');
    expect(early.ended).toBe(false);
    await expectNothingKept(before);

    // The model sent after the file: it is only known at the end, and the refusal then is the same.
    const late = await sendUntilAnswered({}, wrong, { model: 'iris-logreg' });
    expect([late.sent, late.ended]).toEqual([PIECES, true]);
    expect([late.status, late.error]).toEqual([early.status, early.error]);
    await expectNothingKept(before);
  });

  it('the same for tab- and semicolon-separated files (decimal commas)', async () => {
    const before = await kept();
    const dialects = [
      { header: 'sepal_length\tsepal_width\tpetal_length\n', row: '5.1\t3.5\t1.4\n' },
      { header: 'sepal_length;sepal_width;petal_length;petal_wdith\n', row: '5,1;3,5;1,4;0,2\n' },
    ];
    for (const { header, row } of dialects) {
      const { status, error, ended } = await sendUntilAnswered(
        { model: 'iris-logreg' },
        header,
        {},
        '/api/jobs',
        {},
        Buffer.from(row.repeat(16 * 1024)),
      );
      expect([status, error.code], header).toEqual([422, 'missing_columns']);
      expect(error.message).toMatch(/missing 1 column the model needs: petal_width/);
      expect(ended, header).toBe(false);
    }
    await expectNothingKept(before);
  });

  it('the upload form is told on its page, with what was chosen', async () => {
    const before = await kept();
    const answer = await sendRows(platform.url('/jobs'), {
      fieldsBefore: { model: 'iris-logreg' },
      head: 'sepal_length,sepal_wdth,petal_length,petal_width\n',
      piece: PIECE,
      pieces: PIECES,
      headers: { accept: 'text/html' },
      holdEnd: true,
    });
    expect(answer.status).toBe(422);
    expect(answer.body).toMatch(/<html/i);
    expect(answer.body).toContain('The CSV is missing 1 column the model needs: sepal_width (the file has &quot;sepal_wdth&quot;)');
    expect(answer.ended).toBe(false);
    await expectNothingKept(before);
  });

  it("a models:write key's registration under a name it does not own (the admin's example)", async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const created = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: 'early-publisher', scopes: ['models:write'] }),
    });
    const { key } = (await created.json()) as { key: string };
    const { status, error, ended } = await sendUntilAnswered({ name: 'iris-logreg' }, 'onnx bytes', {}, '/api/models', {
      authorization: `Bearer ${key}`,
    });
    expect([status, error.code]).toEqual([403, 'model_not_yours']);
    expect(ended).toBe(false);
  });
});
