/**
 * @batchcast/html — HTML that is escaped by default. Pages and emails are built with the `html` tag; text
 * from anywhere (file names, model names, error messages, cells of an uploaded file) can only reach the
 * markup escaped, and the one way around it, `unsafeRaw`, is explicit and greppable.
 */
export { escapeHtml } from './escape.js';
export { type HtmlValue, html, joinHtml } from './html.js';
export { SafeHtml, unsafeRaw } from './safe-html.js';
