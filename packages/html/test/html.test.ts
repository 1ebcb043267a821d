import { escapeHtml, html, joinHtml, SafeHtml, unsafeRaw } from '@batchcast/html';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const SCRIPT = '<script>alert("x")</script>';

describe('escapeHtml', () => {
  it('escapes the five characters that matter in text and in quoted attribute values', () => {
    expect(escapeHtml(`& < > " '`)).toBe('&amp; &lt; &gt; &quot; &#39;');
    expect(escapeHtml('plain text, 3/4 = 0.75')).toBe('plain text, 3/4 = 0.75');
  });

  it('leaves no < > " or \' in any string, and entities decode back to the original', () => {
    const decode = (s: string) =>
      s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? '');
    fc.assert(
      // Mostly the characters that matter, entity look-alikes among them.
      fc.property(fc.string({ unit: fc.constantFrom('&', '<', '>', '"', "'", ';', '#', 'a', 'm', 'p', '3', '9', ' ', 'é') }), (s) => {
        const escaped = escapeHtml(s);
        expect(escaped).not.toMatch(/[<>"']/);
        expect(decode(escaped)).toBe(s);
      }),
    );
  });
});

describe('html``', () => {
  it('escapes every interpolated string, wherever <script> is in it', () => {
    for (const value of [SCRIPT, `before ${SCRIPT}`, `${SCRIPT} after`, `a${SCRIPT}b${SCRIPT}`, '<SCRIPT SRC=//x>']) {
      const out = html`<p>${value}</p>`.toString();
      expect(out).not.toMatch(/<script/i);
      expect(out).toBe(`<p>${escapeHtml(value)}</p>`);
    }
  });

  it('keeps a value inside a quoted attribute', () => {
    const hostile = `x" onmouseover="alert(1)`;
    expect(html`<a title="${hostile}">t</a>`.toString()).toBe('<a title="x&quot; onmouseover=&quot;alert(1)">t</a>');
    expect(html`<a title='${"it's"}'>t</a>`.toString()).toBe(`<a title='it&#39;s'>t</a>`);
    expect(html`<a href="/m/${'a&b'}/x" data-v="${'<>'}">t</a>`.toString()).toBe('<a href="/m/a&amp;b/x" data-v="&lt;&gt;">t</a>');
  });

  it('refuses a value in an unquoted attribute', () => {
    const value = 'x onmouseover=alert(1)';
    expect(() => html`<input value=${value}>`).toThrow(/not in quotes/);
    expect(() => html`<input value = ${value}>`).toThrow(/not in quotes/);
  });

  it('accepts only markup between attributes, where escaped text could still add one', () => {
    const hidden = (on: boolean) => on && html` hidden`;
    expect(html`<p id="a"${hidden(true)}>x</p>`.toString()).toBe('<p id="a" hidden>x</p>');
    expect(html`<p id="a"${hidden(false)}>x</p>`.toString()).toBe('<p id="a">x</p>');
    expect(() => html`<p ${'onclick=alert(1)'}>x</p>`).toThrow(/inside a tag/);
    expect(() => html`<p ${[html` a`, 'onclick=alert(1)']}>x</p>`).toThrow(/inside a tag/);
  });

  it('refuses values inside <script> and <style>, where entities are not decoded', () => {
    expect(() => html`<script>const a = "${'x'}";</script>`).toThrow(/<script> or <style>/);
    expect(() => html`<style>p { color: ${'red'} }</style>`).toThrow(/<script> or <style>/);
    expect(html`<script src="${'/a.js'}"></script><p>${'after'}</p>`.toString()).toBe('<script src="/a.js"></script><p>after</p>');
  });

  it('does not escape nested templates twice, and escapes what is inside them', () => {
    const item = (name: string) => html`<li class="${name}">${name}</li>`;
    const list = html`<ul>${item('a<b')}${item('"q"')}</ul>`;
    expect(list.toString()).toBe('<ul><li class="a&lt;b">a&lt;b</li><li class="&quot;q&quot;">&quot;q&quot;</li></ul>');
    expect(html`<div>${list}</div>`.toString()).toBe(`<div>${list}</div>`);
  });

  it('renders arrays item by item: text escaped, SafeHtml as it is, nested arrays flattened', () => {
    expect(html`<p>${['a', html`<b>b</b>`, SCRIPT, [1, ['<i>']]]}</p>`.toString()).toBe(`<p>a<b>b</b>${escapeHtml(SCRIPT)}1&lt;i&gt;</p>`);
    expect(html`<ul>${[].map(() => html`<li></li>`)}</ul>`.toString()).toBe('<ul></ul>');
  });

  it('renders null, undefined and false as nothing, numbers and bigints as text', () => {
    expect(html`[${null}|${undefined}|${false}]`.toString()).toBe('[||]');
    expect(html`${0} ${1.5} ${-2} ${10n} ${Number.NaN}`.toString()).toBe('0 1.5 -2 10 NaN');
    const shown = (n: number) => n > 0 && html`<em>${n}</em>`;
    expect(html`${shown(0)}${shown(3)}`.toString()).toBe('<em>3</em>');
  });

  it('is not fooled by an object that looks like markup', () => {
    const forged: unknown = JSON.parse('{"markup":"<script>x</script>"}');
    expect(html`${forged as string}`.toString()).toBe('[object Object]');
    expect(forged instanceof SafeHtml).toBe(false);
  });
});

describe('unsafeRaw', () => {
  it('puts trusted markup in as it is, and only where it is used', () => {
    expect(html`<p>${unsafeRaw('<b>trusted</b>')}</p>`.toString()).toBe('<p><b>trusted</b></p>');
    expect(html`<p>${'<b>text</b>'}</p>`.toString()).toBe('<p>&lt;b&gt;text&lt;/b&gt;</p>');
  });
});

describe('joinHtml', () => {
  it('joins values with a separator, escaping text ones', () => {
    expect(joinHtml([html`<tr></tr>`, html`<tr></tr>`], '\n').toString()).toBe('<tr></tr>\n<tr></tr>');
    expect(joinHtml(['a<', 'b'], html`<br>`).toString()).toBe('a&lt;<br>b');
    expect(joinHtml(['a', 'b'], ' & ').toString()).toBe('a &amp; b');
    expect(joinHtml([], '\n').toString()).toBe('');
  });
});
