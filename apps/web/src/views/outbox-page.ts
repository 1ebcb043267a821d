import { html, joinHtml, type SafeHtml } from '@batchcast/html';
import type { OutboxMessage } from '@batchcast/mail';
import { layout } from './layout.js';

/** The text of a mail with its http(s) addresses as links (every part escaped, the address in the href too). */
function linkedText(text: string): SafeHtml[] {
  return text.split(/(https?:\/\/\S+)/).map((part, i) => (i % 2 ? html`<a href="${part}">${part}</a>` : html`${part}`));
}

/** The development outbox: mail that would have been sent, had SMTP_URL been set. */
export function outboxPage(messages: OutboxMessage[]): string {
  const items = messages.map(
    (m) => html`<article class="card mail">
  <p class="muted">${m.date} · to ${m.to}</p>
  <h2>${m.subject}</h2>
  <pre>${linkedText(m.text)}</pre>
</article>`,
  );
  return layout(
    'Outbox',
    html`<h1>Outbox</h1>
<p class="muted">No SMTP_URL is set, so emails are kept here instead of being sent.</p>
${items.length ? joinHtml(items, '\n') : html`<p>No emails yet.</p>`}`,
  );
}
