import { html } from '@batchcast/html';
import { layout } from './layout.js';

/** After "email me my links" (the form without JavaScript): the same page whether or not the address has jobs. */
export function linksSentPage(message: string, email: string): string {
  return layout(
    'Check your inbox',
    html`<h1>Check your inbox</h1>
<div class="card" id="links-sent">
  <p class="lead">${message}</p>
  <p class="muted">Asked for: ${email}</p>
  <p><a href="/">Back to the home page</a></p>
</div>`,
  );
}
