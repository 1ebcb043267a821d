import { html, type SafeHtml } from '@batchcast/html';
import { JOB_LINK_ADVICE } from '@batchcast/jobs';
import { layout } from './layout.js';

export interface ErrorPageView {
  status: number;
  code: string;
  /** The API's message: what happened, in words. */
  message: string;
  /** The path asked for, to tell a job link from another page. */
  path: string;
}

const JOB_LINK = /^\/(?:api\/)?jobs\/[^/]+/;

/** A title a person understands at a glance. */
function titleOf(v: ErrorPageView): string {
  if (v.status === 410) return 'This job has been deleted';
  if (v.status === 404) return JOB_LINK.test(v.path) ? 'No job at this link' : 'Page not found';
  if (v.status === 429) return 'Too many requests';
  if (v.status === 401 || v.status === 403) return 'Not allowed';
  if (v.status === 413) return 'Too large';
  if (v.status >= 500) return v.status === 503 ? 'batchcast is unavailable for a moment' : 'Something went wrong on our side';
  return 'This request could not be done';
}

/** What the person can do next, for this kind of failure. */
function nextSteps(v: ErrorPageView): SafeHtml {
  if (v.status === 410 && v.code === 'deleted') {
    return html`<p>Nothing of it is kept: the link no longer opens anything. To get predictions again, <a href="/">upload the file again</a>.</p>`;
  }
  if (v.status === 410) {
    return html`<p>Results are kept for a limited time after a job ends, then deleted with the uploaded file. To get predictions again,
<a href="/">upload the file again</a>.</p>`;
  }
  if (v.status === 404 && JOB_LINK.test(v.path)) {
    return html`<ul>
<li>Check that the link was copied whole: it ends with a long <code>token=…</code> part, and a link without it, or with part of it, opens nothing.</li>
<li>A job submitted with an API key is no longer reachable once that key is revoked; a job whose upload was cut off before its end was not kept: <a href="/">upload the file again</a>.</li>
<li>Jobs you submitted from this browser are listed on <a href="/#my-jobs">the home page</a>.</li>
<li>Lost the link? <a href="/#email-links">Ask for an email with the links</a> to the jobs submitted with your address.</li>
</ul>`;
  }
  if (v.status === 404) return html`<p>Go to <a href="/">the home page</a> to score a file or find your jobs.</p>`;
  if (v.status === 429) return html`<p>Wait a little, then try again.</p>`;
  if (v.status >= 500) return html`<p>Try again in a minute. If it keeps happening, tell the people who run this batchcast.</p>`;
  return html`<p>Go back, correct what the message says, and try again; or go to <a href="/">the home page</a>.</p>`;
}

/**
 * The page a browser gets instead of the API's JSON when something fails (a wrong, expired or mistyped job
 * link, any 4xx/5xx): what happened, in words, and what to do. The message is the API's own, escaped.
 */
export function errorPage(v: ErrorPageView): string {
  const title = titleOf(v);
  // A job link that opens nothing: the steps below say to check the link, which the API's message says too.
  const lead = v.status === 404 && JOB_LINK.test(v.path) ? v.message.replace(` ${JOB_LINK_ADVICE}`, '') : v.message;
  return layout(
    title,
    html`<h1>${title}</h1>
<div class="card error-page" data-status="${v.status}" data-code="${v.code}">
  <p class="lead">${lead}</p>
  ${nextSteps(v)}
  <p class="muted">HTTP ${v.status} · <code>${v.code}</code></p>
</div>`,
  );
}
