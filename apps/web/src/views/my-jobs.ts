import { html, type SafeHtml } from '@batchcast/html';

/** The browser script that lists the remembered jobs (compiled from src/browser/my-jobs.ts). */
export const MY_JOBS_SCRIPT = '/static/browser/my-jobs.js';

/**
 * The home page's way back to earlier jobs: the jobs this browser remembers (drawn by browser/my-jobs.ts
 * from localStorage; hidden when there are none, or without JavaScript), and "email me my links", a plain
 * form that works everywhere.
 */
export function myJobsSections(opts: { retentionDays: number; emailPattern: string }): SafeHtml {
  return html`<section class="card" id="my-jobs" hidden aria-labelledby="my-jobs-heading" data-retention-days="${opts.retentionDays}">
  <h2 id="my-jobs-heading">Your recent jobs</h2>
  <p class="muted">The jobs submitted or opened on this browser, remembered by it alone.</p>
  <ul id="my-jobs-list" class="my-jobs"></ul>
  <button type="button" id="forget-all" class="link-button">Forget them all on this browser</button>
</section>
<section class="card" id="email-links" aria-labelledby="email-links-heading">
  <h2 id="email-links-heading">Lost a link?</h2>
  <form method="post" action="/links" class="inline-form" id="email-links-form">
    <label for="links-email">Your email address</label>
    <input type="email" name="email" id="links-email" autocomplete="email" required placeholder="you@example.com" pattern="${opts.emailPattern}" title="A full address, as in name@example.com">
    <button type="submit" class="secondary">Email me my links</button>
  </form>
  <p class="muted">We send one message listing the recent jobs submitted with this address, each with a fresh link.</p>
</section>`;
}
