import { html, joinHtml, type SafeHtml } from '@batchcast/html';

/** ` hidden` on an element, or nothing: elements the page shows later (browser scripts toggle it). */
export const hiddenIf = (hidden: boolean): SafeHtml | null => (hidden ? html` hidden` : null);

/**
 * Every page's frame. Scripts are separate files from /static (the CSP allows no inline script), loaded as
 * ES modules; the page is complete without them.
 */
export function layout(title: string, body: SafeHtml, opts: { scripts?: string[]; head?: SafeHtml | null } = {}): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · batchcast</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/style.css">
${opts.head ?? null}
</head>
<body>
<header class="top"><a href="/" class="brand">batchcast</a></header>
<main>
${body}
</main>
${joinHtml(
  (opts.scripts ?? []).map((src) => html`<script type="module" src="${src}"></script>`),
  '\n',
)}
</body>
</html>`.toString();
}
