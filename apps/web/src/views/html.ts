/** Escapes text for HTML element content and attribute values. Every interpolated value goes through it. */
export const esc = (value: unknown): string =>
  String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function layout(title: string, body: string, opts: { scripts?: string[] } = {}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · batchcast</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<header class="top"><a href="/" class="brand">batchcast</a></header>
<main>
${body}
</main>
${(opts.scripts ?? []).map((s) => `<script type="module" src="${esc(s)}"></script>`).join('\n')}
</body>
</html>`;
}
