import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlowUpload } from './support/slow-upload.js';
import { ADMIN_TOKEN, Platform } from './support/platform.js';

/**
 * A mistake the server can see before the file (the model, the email and its rate, sent as fields before the
 * file part; a header naming a column twice) is answered while the client is still sending, not after the
 * whole file was read: the upload below is far larger than the client ever sends before the answer, and it
 * stops sending once answered. Fields sent after the file are checked at the end, as before.
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
 * the answer, and how many pieces were sent before it (PIECES: all, the body ended).
 */
async function sendUntilAnswered(
  fieldsBefore: Record<string, string>,
  header = HEADER,
  fieldsAfter: Record<string, string> = {},
  route = '/api/jobs',
  headers: Record<string, string> = {},
) {
  const upload = startSlowUpload(platform.url(route), fieldsBefore, fieldsAfter, { accept: 'application/json', ...headers });
  let answered = false;
  upload.answer.then(
    () => {
      answered = true;
    },
    () => undefined,
  );
  await upload.start();
  await upload.write(header);
  let sent = 0;
  try {
    while (!answered && sent < PIECES) {
      await upload.write(PIECE);
      sent++;
    }
    if (!answered) await upload.end();
  } catch {
    // The server closed the connection after answering: the rest is not sent, as a client that heard it does.
  }
  const answer = await upload.answer;
  upload.abort(); // answered: what is left is not sent (the server closes the connection anyway)
  return { status: answer.status, error: (JSON.parse(answer.body) as { error: { code: string; message: string } }).error, sent };
}

describe('refusals answered before the file is read', () => {
  it('an unknown model, or a version it does not have', async () => {
    for (const model of ['nosuch', 'iris-logreg@9']) {
      const { status, error, sent } = await sendUntilAnswered({ model });
      expect(status, model).toBe(422);
      expect(error.code).toBe('unknown_model');
      expect(sent, model).toBeLessThan(PIECES);
    }
  });

  it('an address that is not one, and one past its rate of job emails', async () => {
    const bad = await sendUntilAnswered({ model: 'iris-logreg', email: 'not-an-address' });
    expect([bad.status, bad.error.code]).toEqual([400, 'invalid_email']);
    expect(bad.sent).toBeLessThan(PIECES);

    // The one job email this address may have this hour (EMAILS_PER_ADDRESS_PER_HOUR=1), then one too many.
    const form = new FormData();
    form.set('model', 'iris-logreg');
    form.set('email', 'rate@example.com');
    form.set('file', new Blob([`${HEADER}5.1,3.5,1.4,0.2\n`], { type: 'text/csv' }), 'one.csv');
    const first = await fetch(platform.url('/api/jobs'), { method: 'POST', body: form });
    expect(first.status, await first.clone().text()).toBe(202);
    const limited = await sendUntilAnswered({ model: 'iris-logreg', email: 'rate@example.com' });
    expect([limited.status, limited.error.code]).toEqual([429, 'email_rate_limited']);
    expect(limited.sent).toBeLessThan(PIECES);
  });

  it('a header naming a column twice (ignoring case)', async () => {
    const { status, error, sent } = await sendUntilAnswered(
      { model: 'iris-logreg' },
      'sepal_length,SEPAL_LENGTH,petal_length,petal_width\n',
    );
    expect([status, error.code]).toEqual([422, 'duplicate_column']);
    expect(sent).toBeLessThan(PIECES);
  });

  it('a field sent after the file is checked once the file has arrived, as before', async () => {
    const { status, error, sent } = await sendUntilAnswered({}, HEADER, { model: 'nosuch' });
    expect([status, error.code]).toEqual([422, 'unknown_model']);
    expect(sent).toBe(PIECES);
  });

  it("a model registration's name, sent before the model file (as `batchcast models add` sends it)", async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const { status, error, sent } = await sendUntilAnswered({ name: 'Not A Name!' }, 'onnx bytes', {}, '/api/models', admin);
    expect(status).toBe(422);
    expect(error.message).toMatch(/A model name is 1 to 64 lowercase letters/);
    expect(sent).toBeLessThan(PIECES);
  });
});
