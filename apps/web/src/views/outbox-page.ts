import type { OutboxMessage } from '@batchcast/mail';
import { esc, layout } from './html.js';

/** The development outbox: mail that would have been sent, had SMTP_URL been set. */
export function outboxPage(messages: OutboxMessage[]): string {
  const items = messages
    .map(
      (m) => `<article class="card mail">
  <p class="muted">${esc(m.date)} · to ${esc(m.to)}</p>
  <h2>${esc(m.subject)}</h2>
  <pre>${esc(m.text).replace(/(https?:\/\/[^\s<]+)/g, (u) => `<a href="${u}">${u}</a>`)}</pre>
</article>`,
    )
    .join('\n');
  return layout(
    'Outbox',
    `<h1>Outbox</h1>
<p class="muted">No SMTP_URL is set, so emails are kept here instead of being sent.</p>
${items || '<p>No emails yet.</p>'}`,
  );
}
