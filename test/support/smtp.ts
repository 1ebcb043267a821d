import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll } from 'vitest';
import { Platform, type PlatformOptions } from './platform.js';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  raw: string;
  /** The SMTP envelope's recipients (RCPT TO), which is who really gets the message, whatever the headers say. */
  rcptTo: string[];
}

/** A real SMTP server in the test process: what the platform sends arrives here over TCP. */
export class TestSmtp {
  readonly received: ReceivedMail[] = [];
  private server: SMTPServer;
  private waiters: (() => void)[] = [];
  /** While true, the server refuses every message (an SMTP outage the sender must retry through). */
  refuse = false;
  /** Messages refused while `refuse` was on. */
  refused = 0;

  constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        const parts: Buffer[] = [];
        stream.on('data', (d: Buffer) => parts.push(d));
        stream.on('end', async () => {
          if (this.refuse) {
            this.refused++;
            return callback(Object.assign(new Error('mailbox unavailable (test outage)'), { responseCode: 451 }));
          }
          const raw = Buffer.concat(parts).toString('utf8');
          const mail: ParsedMail = await simpleParser(raw);
          const to = Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : (mail.to?.text ?? '');
          this.received.push({
            to,
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : '',
            raw,
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
          });
          for (const w of this.waiters.splice(0)) w();
          callback();
        });
      },
    });
    this.server.on('error', () => undefined);
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.server.address() as AddressInfo).port;
  }

  /** Resolves with the first mail to `to` (after `after` mails to it already seen), or rejects at timeout. */
  async waitFor(to: string, timeoutMs = 60_000, nth = 1): Promise<ReceivedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const mails = this.received.filter((m) => m.to.includes(to));
      if (mails.length >= nth) return mails[nth - 1]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no email to ${to} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1_000));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * One platform for the test file, sending its emails to a real SMTP server in the test process: started before
 * the file's tests (then handed to `ready`), both stopped after them.
 */
export function platformWithSmtp(opts: Omit<PlatformOptions, 'smtpPort'>, ready: (platform: Platform, smtp: TestSmtp) => void): void {
  let smtp: TestSmtp | undefined;
  let platform: Platform | undefined;
  beforeAll(async () => {
    smtp = new TestSmtp();
    platform = await new Platform({ ...opts, smtpPort: await smtp.start() }).start();
    ready(platform, smtp);
  });
  afterAll(async () => {
    await platform?.stop();
    await smtp?.stop();
  });
}
