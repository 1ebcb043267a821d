import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createMailer, outboxDir, readOutbox } from '../src/index.js';

let dataDir = '';
/** packages/mail: the test runs its built module in a process of its own. */
const packageRoot = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
afterEach(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the development outbox', () => {
  it('holds whole messages only, and a damaged file in it does not make the rest unreadable', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'outbox-'));
    const mailer = createMailer({ smtpUrl: null, from: 'batchcast <noreply@example.com>', dataDir });
    await mailer.send('a@example.com', { subject: 'first', text: 'one', html: '<p>one</p>' });
    await mailer.send('b@example.com', { subject: 'second', text: 'two', html: '<p>two</p>' });
    // What a reader would have met while a message was half written, before messages were renamed into place.
    await writeFile(path.join(outboxDir(dataDir), 'zz-half-written.json'), '{"id": "zz", "subj');
    const messages = await readOutbox(dataDir);
    expect(messages.map((m) => m.subject).sort()).toEqual(['first', 'second']);
    expect(messages.map((m) => m.to).sort()).toEqual(['a@example.com', 'b@example.com']);
    // Nothing is left under the name it was written with.
    expect((await readdir(outboxDir(dataDir))).filter((n) => !n.endsWith('.json'))).toEqual([]);
  });

  it('leaves no half-written file behind when the disk refuses a message', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'outbox-'));
    // A process that may write files of 1,000 bytes at most (prlimit): its write fails with EFBIG, as on a full disk.
    const mailer = pathToFileURL(path.join(packageRoot, 'dist', 'index.js')).href;
    const script = `import { createMailer } from ${JSON.stringify(mailer)};
      const m = createMailer({ smtpUrl: null, from: 'b <b@example.com>', dataDir: ${JSON.stringify(dataDir)} });
      m.send('a@example.com', { subject: 's', text: 'x'.repeat(5000), html: '' }).then(() => console.log('sent'), (e) => console.log(e.code));`;
    const run = spawnSync('prlimit', ['--fsize=1000', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stdout.trim(), run.stderr).toBe('EFBIG');
    expect(await readdir(outboxDir(dataDir))).toEqual([]);
  });

  it('is empty, not an error, before the first message', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'outbox-'));
    expect(await readOutbox(dataDir)).toEqual([]);
  });
});
