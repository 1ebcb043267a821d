import { StringDecoder } from 'node:string_decoder';
import { SaxesParser, type SaxesTagPlain } from 'saxes';

/** The local part of a qualified name (`x:row` -> `row`): some writers prefix the spreadsheet namespace. */
export function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

/** An attribute by local name (`r:id` and `id` alike). */
export function attr(tag: SaxesTagPlain, name: string): string | undefined {
  const direct = tag.attributes[name];
  if (direct !== undefined) return direct;
  for (const key in tag.attributes) if (localName(key) === name) return tag.attributes[key];
  return undefined;
}

export interface XmlHandlers {
  open?(name: string, tag: SaxesTagPlain): void;
  close?(name: string): void;
  text?(text: string): void;
}

/** A non-namespace-aware saxes parser (fast path) calling `handlers` with local names. */
export function xmlParser(handlers: XmlHandlers): SaxesParser {
  const parser = new SaxesParser({ position: false });
  if (handlers.open) {
    const open = handlers.open;
    parser.on('opentag', (tag) => open(localName(tag.name), tag as SaxesTagPlain));
  }
  if (handlers.close) {
    const close = handlers.close;
    parser.on('closetag', (tag) => close(localName(tag.name)));
  }
  if (handlers.text) parser.on('text', handlers.text);
  // CDATA sections are text too.
  if (handlers.text) parser.on('cdata', handlers.text);
  return parser;
}

/** Feeds a byte stream to a parser, decoding UTF-8 across piece boundaries. */
export async function parseStream(parser: SaxesParser, bytes: AsyncIterable<Buffer>): Promise<void> {
  const decoder = new StringDecoder('utf8');
  for await (const piece of bytes) parser.write(decoder.write(piece));
  parser.write(decoder.end());
  parser.close();
}

const XSTRING_ESCAPE = /_x([0-9A-Fa-f]{4})_/g;

/**
 * OOXML text escapes characters XML cannot hold as `_xHHHH_` (`_x000D_` is a carriage return; `_x005F_` an
 * underscore that would otherwise start such an escape).
 */
export function unescapeXstring(text: string): string {
  if (text.indexOf('_x') === -1) return text;
  return text.replace(XSTRING_ESCAPE, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}
