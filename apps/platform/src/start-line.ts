import path from 'node:path';
import type { Config } from '@batchcast/config';
import type { WebListening } from '@batchcast/runtime';

/**
 * The one line `npm start` prints when the web app listens: where to open it, where the admin pages are (or
 * how to turn them on: a newcomer's next step, registering a model, needs them, and nothing else said they were
 * off), and where emails go when no SMTP server is set (the development outbox). Plain words on stdout,
 * whatever LOG_FORMAT says, so it is read before the logs that follow.
 */
export function startLine(config: Config, web: WebListening): string {
  const admin = config.admin.token
    ? ` Admin: ${web.publicUrl}/admin, signed in with ADMIN_TOKEN.`
    : ' Admin pages (registering models, every job) are off: set ADMIN_TOKEN, e.g. to $(openssl rand -base64 24), to turn them on.';
  const open = `batchcast: open ${web.publicUrl} in a browser (listening on ${web.address}).${admin}${localLinks(config, web.publicUrl)}`;
  if (config.mail.smtpUrl) return open;
  const places = [
    ...(web.devOutboxUrl ? [`${web.devOutboxUrl} on this machine`] : []),
    ...(web.adminOutbox ? [`${web.publicUrl}/dev/outbox signed in as admin`] : []),
  ];
  const outbox = places.length ? places.join(', or ') : `the files in ${path.join(config.storage.dataDir, 'outbox')}`;
  return `${open} No SMTP_URL is set: emails are kept in the development outbox, ${outbox}.`;
}

/**
 * In production, a PUBLIC_URL on this machine's own name (docker-compose.yml's default, for a first try on a laptop):
 * every email's links would open the recipient's own machine. Allowed, as a try-out needs it, but said at start.
 */
function localLinks(config: Config, publicUrl: string): string {
  if (config.env !== 'production') return '';
  const host = new URL(publicUrl).hostname;
  if (!/^(localhost|127(\.\d+){3}|\[::1\])$/i.test(host)) return '';
  return ` PUBLIC_URL is ${publicUrl}: the links in emails open only on the machine of whoever reads them; set PUBLIC_URL to the address people use (e.g. PUBLIC_URL=https://batchcast.example.com).`;
}
