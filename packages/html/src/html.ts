import { escapeHtml } from './escape.js';
import { SafeHtml } from './safe-html.js';

/**
 * What a template may interpolate. `null`, `undefined` and `false` render as nothing (so `cond && html\`…\``
 * works); `true` is left out on purpose, as it would print "true".
 */
export type HtmlValue = SafeHtml | string | number | bigint | false | null | undefined | readonly HtmlValue[];

/** One value as markup: SafeHtml as it is, text escaped, arrays item by item. */
function markupOf(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.toString();
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(markupOf).join('');
  return escapeHtml(String(value));
}

/**
 * Where a value lands: in text or a quoted attribute value, where escaping is enough; or in a tag between
 * attributes (`<p ${x}>`), where escaped text could still add an attribute (`onclick=alert(1)` has nothing
 * to escape), so only markup that our code built (e.g. html` hidden`) is accepted there.
 */
type Slot = 'escaped' | 'markup-only';

/** The slots of each call site, worked out once: a template's strings array is the same object at every call. */
const slotsByTemplate = new WeakMap<TemplateStringsArray, Slot[]>();

/** Whether the markup so far ends inside a <script> or <style> element, whose content is raw text. */
const insideRawText = (markup: string): boolean => /<(script|style)\b[^>]*>(?![\s\S]*<\/\1)[\s\S]*$/i.test(markup);

function slotsOf(strings: TemplateStringsArray): Slot[] {
  const known = slotsByTemplate.get(strings);
  if (known) return known;
  let state: 'text' | 'tag' | 'double-quoted' | 'single-quoted' = 'text';
  const slots: Slot[] = [];
  for (let i = 0; i < strings.length - 1; i++) {
    const part = strings[i] ?? '';
    for (let j = 0; j < part.length; j++) {
      const c = part[j];
      if (state === 'text') {
        if (c === '<' && /[A-Za-z/!?]/.test(part[j + 1] ?? '')) state = 'tag';
      } else if (state === 'tag') {
        if (c === '"') state = 'double-quoted';
        else if (c === "'") state = 'single-quoted';
        else if (c === '>') state = 'text';
      } else if (state === 'double-quoted') {
        if (c === '"') state = 'tag';
      } else if (c === "'") state = 'tag';
    }
    if (state === 'tag' && /=\s*$/.test(part)) {
      // Escaping keeps a value inside a quoted attribute only: `value=${x}` lets `x onmouseover=…` add one.
      throw new Error(
        `html\`\`: the value after "${part.slice(-40)}" is not in quotes; write name="\${value}" so that it stays in the attribute.`,
      );
    }
    if (state === 'text' && insideRawText(strings.slice(0, i + 1).join(''))) {
      // Script and style content is not HTML: entities are not decoded there, so escaping protects nothing.
      throw new Error(`html\`\`: a value inside <script> or <style> (after "${part.slice(-40)}"); put data in a data- attribute instead.`);
    }
    slots.push(state === 'tag' ? 'markup-only' : 'escaped');
  }
  slotsByTemplate.set(strings, slots);
  return slots;
}

function assertMarkup(value: HtmlValue, after: string): void {
  if (Array.isArray(value)) for (const item of value) assertMarkup(item, after);
  else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') {
    throw new Error(
      `html\`\`: a text value inside a tag (after "${after.slice(-40)}") could add attributes; pass html\`…\` built from literals there.`,
    );
  }
}

/**
 * Escape-by-default HTML: every interpolated value is escaped unless it is itself SafeHtml (a nested html``
 * or an `unsafeRaw`), arrays render item by item, `null`/`undefined`/`false` as nothing, numbers as text.
 * Attribute values must be quoted (a value after a bare `=` throws), and between attributes only SafeHtml
 * is accepted.
 *
 *     html`<p title="${title}"${hidden && html` hidden`}>${name}</p>`
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  const slots = slotsOf(strings);
  let markup = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (slots[i] === 'markup-only') assertMarkup(value, strings[i] ?? '');
    markup += markupOf(value) + (strings[i + 1] ?? '');
  }
  return new SafeHtml(markup);
}

/** Values rendered one after the other with `separator` between them (itself escaped unless SafeHtml). */
export function joinHtml(values: readonly HtmlValue[], separator: SafeHtml | string): SafeHtml {
  const between = markupOf(separator);
  return new SafeHtml(values.map(markupOf).join(between));
}
