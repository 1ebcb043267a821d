import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Transporter } from 'nodemailer';
import type { RenderedMail } from './templates.js';

export interface Mailer {
  send(to: string, mail: RenderedMail): Promise<void>;
  close(): void;
}

/** A message written to the development outbox (no SMTP_URL set). */
export interface OutboxMessage {
  id: string;
  date: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Sends through SMTP_URL with nodemailer, or, when no SMTP server is configured, writes each message to
 * DATA_DIR/outbox so that a new user sees the email at /dev/outbox without setting up a mail server.
 */
export function createMailer(opts: { smtpUrl: string | null; from: string; dataDir: string }): Mailer {
  if (opts.smtpUrl) {
    // Short timeouts: a dead SMTP server must fail the attempt quickly so BullMQ's backoff takes over.
    const url = new URL(opts.smtpUrl);
    for (const [k, v] of Object.entries({ connectionTimeout: '10000', greetingTimeout: '10000', socketTimeout: '30000' })) {
      if (!url.searchParams.has(k)) url.searchParams.set(k, v);
    }
    // nodemailer is loaded on the first email, not at start: every worker process carries this module,
    // and nodemailer costs ~15 MB of memory that most of them never use.
    let transport: Promise<Transporter> | null = null;
    const connect = () => (transport ??= import('nodemailer').then((m) => m.default.createTransport(url.toString())));
    return {
      async send(to, mail) {
        await (await connect()).sendMail({ from: opts.from, to, subject: mail.subject, text: mail.text, html: mail.html });
      },
      close: () => {
        void transport?.then((t) => t.close());
      },
    };
  }
  const dir = outboxDir(opts.dataDir);
  return {
    async send(to, mail) {
      await mkdir(dir, { recursive: true });
      const date = new Date().toISOString();
      const id = `${date.replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 8)}`;
      const message: OutboxMessage = { id, date, from: opts.from, to, ...mail };
      // Written under another name and renamed: a reader of the outbox never sees half a message.
      const file = path.join(dir, `${id}.json`);
      try {
        await writeFile(`${file}.partial`, JSON.stringify(message, null, 2));
        await rename(`${file}.partial`, file);
      } catch (err) {
        // A full disk: the attempt fails (and is retried as a whole), its half-written file is not left behind
        // until retention for every failed attempt.
        await rm(`${file}.partial`, { force: true }).catch(() => undefined);
        throw err;
      }
    },
    close: () => undefined,
  };
}

export const outboxDir = (dataDir: string): string => path.join(dataDir, 'outbox');

/**
 * The outbox, newest first. A file that cannot be read as a message (removed by someone meanwhile, or
 * damaged, as by a full disk) is left out rather than making the whole outbox unreadable.
 */
export async function readOutbox(dataDir: string): Promise<OutboxMessage[]> {
  const dir = outboxDir(dataDir);
  const names = await readdir(dir).catch(() => [] as string[]);
  const messages = await Promise.all(
    names
      .filter((n) => n.endsWith('.json'))
      .map(async (n) => {
        try {
          return JSON.parse(await readFile(path.join(dir, n), 'utf8')) as OutboxMessage;
        } catch {
          return null;
        }
      }),
  );
  return messages.filter((m): m is OutboxMessage => m !== null).sort((a, b) => b.date.localeCompare(a.date));
}
